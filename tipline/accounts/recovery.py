"""Getting back in without an admin, and changing a password.

- A forgotten password: the username, the recovery code (which opens a second wrap of the
  private key) and a current authenticator code set a new password.
- A lost authenticator: the username, the password and the recovery code enrol a new one.
- A password change from the staff pages, with the current password.

Each re-wraps the private key (so the tips sealed to it stay readable), ends the person's
other sessions, is audited, and the first two hand out a new recovery code, shown once:
a code that was typed somewhere is not kept in use. Attempts share the sign-in limits.
"""

import hmac
from dataclasses import dataclass

from django.db import transaction

from tipline.accounts import signin
from tipline.accounts.models import User
from tipline.accounts.services import end_sessions_of
from tipline.audit.services import Action, record
from tipline.core.crypto_policy import kdf_policy
from tipline.crypto import account_secrets, recipient_keys
from tipline.crypto.errors import RecoveryCodeFormatError, UnsupportedFormatError, WrongPasswordError


@dataclass(frozen=True)
class Recovered:
    user: User
    private_key: bytes


def open_with_recovery_code(username: str, recovery_code: str) -> Recovered:
    """Raises throttle.Throttled or signin.SignInRefused (never saying which part was wrong)."""
    signin.count_attempt(username)
    user = User.objects.filter(username=username, is_active=True, must_change_password=False).first()
    if user is None or user.private_key_by_recovery_code is None:
        raise signin.SignInRefused()
    try:
        private_key = recipient_keys.unwrap_with_recovery_code(user.private_key_by_recovery_code, recovery_code, user.key_owner)
    except (WrongPasswordError, RecoveryCodeFormatError, UnsupportedFormatError):
        record(user.username, Action.SIGN_IN_FAILED, recovery_code=True)
        raise signin.SignInRefused() from None
    return Recovered(user, private_key)


def recover_password(username: str, recovery_code: str, code: str, new_password: str) -> str:
    """A forgotten password. Returns the new recovery code, to be shown once."""
    recovered = open_with_recovery_code(username, recovery_code)
    signin.check_code(recovered.user, recovered.private_key, code)  # the authenticator too: two factors still
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=recovered.user.pk)
        _set_password(user, recovered.private_key, new_password)
        new_code = _new_recovery_code(user, recovered.private_key)
        user.save()
        end_sessions_of(user)
        record(user.username, Action.PASSWORD_RECOVERED)
    return new_code


def check_for_new_authenticator(username: str, password: str, recovery_code: str) -> Recovered:
    """A lost authenticator: the password and the recovery code must open the same key."""
    checked = signin.check_password(username, password)
    recovered = open_with_recovery_code(username, recovery_code)
    if not hmac.compare_digest(recovered.private_key, checked.private_key):
        raise signin.SignInRefused()
    return recovered


def replace_authenticator(recovered: Recovered, totp_secret: bytes, code: str) -> str:
    """Enrol the new authenticator once a code from it matches. Returns the new recovery code."""
    totp = signin.verified_totp(totp_secret, code)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=recovered.user.pk)
        user.totp_secret_sealed = account_secrets.seal_account_secret(recovered.private_key, totp_secret, user.key_owner, signin.TOTP_NAME)
        user.totp_last_step = totp.t()
        user.code_failures = user.code_lockouts = 0
        user.code_locked_until = None
        new_code = _new_recovery_code(user, recovered.private_key)
        user.save()
        end_sessions_of(user)
        record(user.username, Action.AUTHENTICATOR_REPLACED)
    return new_code


@transaction.atomic
def change_password(user: User, private_key: bytes, current_password: str, new_password: str) -> None:
    """From the staff pages; the person's other sessions end (the caller keeps this one)."""
    if not user.check_password(current_password):
        record(user.username, Action.SIGN_IN_FAILED, password_change=True)
        raise signin.SignInRefused()
    user = User.objects.select_for_update().get(pk=user.pk)
    _set_password(user, private_key, new_password)
    user.save()
    end_sessions_of(user)
    record(user.username, Action.PASSWORD_CHANGED)


def _set_password(user: User, private_key: bytes, new_password: str) -> None:
    user.set_password(new_password)
    user.private_key_by_password = recipient_keys.wrap_with_password(private_key, new_password, kdf_policy().password, user.key_owner)


def _new_recovery_code(user: User, private_key: bytes) -> str:
    code = recipient_keys.new_recovery_code()
    user.private_key_by_recovery_code = recipient_keys.wrap_with_recovery_code(private_key, code, user.key_owner)
    return code
