"""Getting back in without an admin, and changing a password.

- A forgotten password: the username, the recovery code (which opens a second wrap of the
  private key) and a current authenticator code set a new password.
- A lost authenticator: the username, the password and the recovery code enrol a new one.
- A password change from the staff pages, with the current password.

Each re-wraps the private key (so the tips sealed to it stay readable), ends the person's
other sessions and revokes their API tokens (a change of password may keep them, when asked),
is audited, and the first two hand out a new recovery code, shown once: a code that was typed
somewhere is not kept in use. Attempts share the sign-in limits; the current password on the
change page has its own limit per account.
"""

import hmac
from dataclasses import dataclass

from django.db import transaction

from tipline.accounts import signin, tokens
from tipline.accounts.models import User
from tipline.accounts.services import end_sessions_of
from tipline.audit.services import Action, record
from tipline.base.crypto_policy import kdf_policy
from tipline.crypto import account_secrets, recipient_keys
from tipline.crypto.errors import RecoveryCodeFormatError, UnsupportedFormatError, WrongPasswordError


@dataclass(frozen=True)
class Recovered:
    user: User
    private_key: bytes


def open_with_recovery_code(username: str, recovery_code: str, origin: signin.Origin = signin.Origin()) -> Recovered:
    """Raises throttle.Throttled or signin.SignInRefused (never saying which part was wrong)."""
    user = User.objects.filter(username=username, is_active=True, must_change_password=False).first()
    signin.count_attempt(username, user, origin)
    if user is None or user.private_key_by_recovery_code is None:
        raise signin.SignInRefused()
    try:
        private_key = recipient_keys.unwrap_with_recovery_code(
            bytes(user.private_key_by_recovery_code), recovery_code, user.key_owner
        )
    except (WrongPasswordError, RecoveryCodeFormatError, UnsupportedFormatError):
        record(user.username, Action.SIGN_IN_FAILED, recovery_code=True)
        raise signin.SignInRefused() from None
    return Recovered(user, private_key)


def recover_password(
    username: str, recovery_code: str, code: str, new_password: str, origin: signin.Origin = signin.Origin()
) -> str:
    """A forgotten password. Returns the new recovery code, to be shown once."""
    recovered = open_with_recovery_code(username, recovery_code, origin)
    signin.check_code(recovered.user, recovered.private_key, code)  # the authenticator too: two factors still
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=recovered.user.pk)
        _set_password(user, recovered.private_key, new_password)
        new_code = _new_recovery_code(user, recovered.private_key)
        user.save()
        end_sessions_of(user)
        tokens.revoke_all(user, because="password-recovered")
        record(user.username, Action.PASSWORD_RECOVERED)
    return new_code


def check_for_new_authenticator(
    username: str, password: str, recovery_code: str, origin: signin.Origin = signin.Origin()
) -> Recovered:
    """A lost authenticator: the password and the recovery code must open the same key."""
    checked = signin.check_password(username, password, origin)
    recovered = open_with_recovery_code(username, recovery_code, origin)
    if not hmac.compare_digest(recovered.private_key, checked.private_key):
        raise signin.SignInRefused()
    return recovered


def replace_authenticator(recovered: Recovered, totp_secret: bytes, code: str) -> str:
    """Enrol the new authenticator once a code from it matches. Returns the new recovery code."""
    totp = signin.verified_totp(totp_secret, code)
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=recovered.user.pk)
        user.totp_secret_sealed = account_secrets.seal_account_secret(
            recovered.private_key, totp_secret, user.key_owner, signin.TOTP_NAME
        )
        user.totp_last_step = totp.t()
        user.code_failures = user.code_lockouts = 0
        user.code_locked_until = None
        new_code = _new_recovery_code(user, recovered.private_key)
        user.save()
        end_sessions_of(user)
        tokens.revoke_all(user, because="authenticator-replaced")
        record(user.username, Action.AUTHENTICATOR_REPLACED)
    return new_code


def change_password(
    user: User, private_key: bytes, current_password: str, new_password: str, keep_api_tokens: bool = False
) -> int:
    """From the staff pages; the person's other sessions end (the caller keeps this one) and,
    unless kept, their API tokens are revoked. Returns how many tokens were revoked.
    Raises throttle.Throttled or signin.SignInRefused for the current password."""
    signin.confirm_password(user, current_password, "password-change")
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        _set_password(user, private_key, new_password)
        user.save()
        end_sessions_of(user)
        revoked = 0 if keep_api_tokens else tokens.revoke_all(user, because="password-changed")
        record(user.username, Action.PASSWORD_CHANGED, api_tokens_kept=keep_api_tokens)
    return revoked


def _set_password(user: User, private_key: bytes, new_password: str) -> None:
    user.set_password(new_password)
    user.private_key_by_password = recipient_keys.wrap_with_password(
        private_key, new_password, kdf_policy().password, user.key_owner
    )


def _new_recovery_code(user: User, private_key: bytes) -> str:
    code = recipient_keys.new_recovery_code()
    user.private_key_by_recovery_code = recipient_keys.wrap_with_recovery_code(private_key, code, user.key_owner)
    return code
