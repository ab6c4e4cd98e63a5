"""Signing in with two factors, and first sign-in (activation).

Step one checks the password and opens the private key with it; step two checks a TOTP
code whose secret only that private key can decrypt. A first sign-in sets a new
password, enrols TOTP and shows a recovery code once. Messages never say whether a
user exists; attempts are throttled so that strangers cannot lock a person out (count_attempt).

Codes cannot be guessed: after CODE_FAILURES_ALLOWED wrong codes the account's code step
pauses (30 s, then twice as long after each lockout, up to an hour) and the person starts
again from the password; one audit entry marks each lockout.
"""

import base64
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_otp.oath import TOTP

from tipline.accounts.models import User
from tipline.audit.services import Action, record
from tipline.base.crypto_policy import kdf_policy
from tipline.core import throttle
from tipline.crypto import account_secrets, recipient_keys
from tipline.crypto.errors import DecryptionError, WrongPasswordError

TOTP_NAME = "totp"
ATTEMPTS_PER_USERNAME = 5  # per 15 minutes, per client, or per browser that signed in as this user before
ATTEMPTS_PER_USERNAME_ALL_CLIENTS = 50  # per 15 minutes, from all browsers that never signed in as this user
ATTEMPTS_SITE_WIDE = 300  # per minute, from browsers that never signed in as the name typed
ATTEMPTS_WINDOW_SECONDS = 900
PASSWORD_CONFIRMATIONS = 5  # per 15 minutes, per signed-in account (password change, before adding a passkey)
ISSUER = "Tipline"
CODE_FAILURES_ALLOWED = 5
FIRST_PAUSE_SECONDS = 30
LONGEST_PAUSE_SECONDS = 3600
# Session keys of the half-signed-in state (between the password and the second step).
PENDING_USER = "pending_user_id"
PENDING_SINCE = "pending_since"  # when the password step was passed
NEW_AUTHENTICATOR = "pending_new_authenticator"  # the second step enrols a new authenticator


class SignInRefused(Exception):
    """Wrong username, password or code: deliberately not saying which."""


class CodeLocked(throttle.Throttled):
    """Too many wrong codes for this account: start again from the password, later."""


@dataclass(frozen=True)
class Origin:
    """Where an attempt comes from, as far as the throttle may know: the client's hourly bucket
    (None when its address is not known) and, from the device cookie, the user this browser
    signed in as before and the browser's random id."""

    client: str | None = None
    device_user_id: int | None = None
    device_id: str = ""


@dataclass(frozen=True)
class PasswordChecked:
    user: User
    private_key: bytes


def check_password(username: str, password: str, origin: Origin = Origin()) -> PasswordChecked:
    """Raises throttle.Throttled or SignInRefused."""
    user = User.objects.filter(username=username, is_active=True).first()
    count_attempt(username, user, origin)
    if user is None:
        make_password(password)  # the same work as a real check, so timing does not tell
        record("unknown account", Action.SIGN_IN_FAILED)  # never the typed name: it may be a password
        raise SignInRefused()
    if not user.check_password(password) or user.private_key_by_password is None:
        record(user.username, Action.SIGN_IN_FAILED)
        raise SignInRefused()
    try:
        private_key = recipient_keys.unwrap_with_password(bytes(user.private_key_by_password), password, user.key_owner)
    except WrongPasswordError:
        record(user.username, Action.SIGN_IN_FAILED)
        raise SignInRefused() from None
    refuse_while_locked(user)  # only now: a stranger must not learn that an account is paused
    return PasswordChecked(user=user, private_key=private_key)


def count_attempt(username: str, user: User | None, origin: Origin) -> None:
    """Count one attempt at a way in (password, recovery code) where strangers cannot lock the
    person out. A browser that signed in as this user before counts in its own bucket. Any other
    counts per username and client, per username over all clients at a higher ceiling, and
    against the site-wide ceiling, whether or not an account has the name: which attempt is
    held back, and when, never tells whether a name exists. Past any of these the password is
    not checked at all (a correct one let through would let a stranger go on guessing).
    Raises throttle.Throttled."""
    if user is not None and origin.device_user_id == user.pk:
        device = throttle.scope_for_secret("sign-in:device", origin.device_id.encode())
        throttle.count_against(device, ATTEMPTS_PER_USERNAME, ATTEMPTS_WINDOW_SECONDS)
        return
    name = username.lower().encode()
    client = (origin.client or "address not known").encode()
    throttle.count_against(
        throttle.scope_for_secret("sign-in:user-client", name + b"\0" + client),
        ATTEMPTS_PER_USERNAME,
        ATTEMPTS_WINDOW_SECONDS,
    )
    throttle.count_against(
        throttle.scope_for_secret("sign-in:user", name), ATTEMPTS_PER_USERNAME_ALL_CLIENTS, ATTEMPTS_WINDOW_SECONDS
    )
    throttle.count_against("sign-in:site", ATTEMPTS_SITE_WIDE)


def confirm_password(user: User, password: str, purpose: str) -> None:
    """A signed-in person types their password again (`purpose`: to change it, before adding a
    passkey). Counted per account, so that a session left open does not let anyone guess it.
    Raises throttle.Throttled or SignInRefused."""
    throttle.count_against(f"password-confirm:{user.pk}", PASSWORD_CONFIRMATIONS, ATTEMPTS_WINDOW_SECONDS)
    if not user.check_password(password):
        record(user.username, Action.SIGN_IN_FAILED, confirming=purpose)
        raise SignInRefused()


def refuse_while_locked(user: User) -> None:
    if user.code_locked_until and user.code_locked_until > timezone.now():
        raise CodeLocked(retry_after_seconds=int((user.code_locked_until - timezone.now()).total_seconds()) + 1)


def check_code(user: User, private_key: bytes, code: str) -> None:
    """Accept a TOTP code once. Raises SignInRefused for a wrong code, CodeLocked when the
    account's code step is paused (this failure may be the one that pauses it)."""
    refuse_while_locked(user)
    if user.totp_secret_sealed is None:
        raise SignInRefused()
    try:
        secret = account_secrets.open_account_secret(
            private_key, bytes(user.totp_secret_sealed), user.key_owner, TOTP_NAME
        )
    except DecryptionError:
        raise SignInRefused() from None
    totp = TOTP(secret)
    if not code.isdigit() or not totp.verify(int(code), tolerance=1, min_t=user.totp_last_step + 1):
        count_code_failure(user)
        raise SignInRefused()
    # Spend the step in one statement, so two sign-ins racing with one code cannot both pass.
    if not User.objects.filter(pk=user.pk, totp_last_step__lt=totp.t()).update(
        totp_last_step=totp.t(), code_failures=0, code_lockouts=0, code_locked_until=None
    ):
        raise SignInRefused()
    record(user.username, Action.SIGN_IN)


def count_code_failure(user: User) -> None:
    """Counted in the database, so every process and every half-signed-in session shares it."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(code_failures=F("code_failures") + 1)
        counts = User.objects.select_for_update().values("code_failures", "code_lockouts").get(pk=user.pk)
        if counts["code_failures"] < CODE_FAILURES_ALLOWED:
            return
        pause = min(FIRST_PAUSE_SECONDS * 2 ** counts["code_lockouts"], LONGEST_PAUSE_SECONDS)
        User.objects.filter(pk=user.pk).update(
            code_failures=0,
            code_lockouts=F("code_lockouts") + 1,
            code_locked_until=timezone.now() + timedelta(seconds=pause),
        )
        record(user.username, Action.SECOND_FACTOR_LOCKED, pause_seconds=pause)
    raise CodeLocked(retry_after_seconds=pause)


def new_totp_secret() -> bytes:
    return secrets.token_bytes(20)


def totp_secret_text(secret: bytes) -> str:
    encoded = base64.b32encode(secret).decode()
    return " ".join(encoded[start : start + 4] for start in range(0, len(encoded), 4))


def provisioning_uri(user: User, secret: bytes) -> str:
    return f"otpauth://totp/{ISSUER}:{user.username}?secret={base64.b32encode(secret).decode()}&issuer={ISSUER}"


def verified_totp(totp_secret: bytes, code: str) -> TOTP:
    """A new authenticator, confirmed by a code from it; raises SignInRefused otherwise."""
    totp = TOTP(totp_secret)
    if not code.isdigit() or not totp.verify(int(code), tolerance=1):
        raise SignInRefused()
    return totp


@transaction.atomic
def activate(user: User, one_time_private_key: bytes, new_password: str, totp_secret: bytes, code: str) -> str:
    """First sign-in: the chosen password, TOTP and a recovery code replace the one-time
    password. Returns the recovery code, to be shown once."""
    totp = verified_totp(totp_secret, code)
    recovery_code = recipient_keys.new_recovery_code()
    user.set_password(new_password)
    user.private_key_by_password = recipient_keys.wrap_with_password(
        one_time_private_key, new_password, kdf_policy().password, user.key_owner
    )
    user.private_key_by_recovery_code = recipient_keys.wrap_with_recovery_code(
        one_time_private_key, recovery_code, user.key_owner
    )
    user.totp_secret_sealed = account_secrets.seal_account_secret(
        one_time_private_key, totp_secret, user.key_owner, TOTP_NAME
    )
    user.totp_last_step = totp.t()
    user.must_change_password = False
    user.save()
    record(user.username, Action.ACCOUNT_ACTIVATED)
    return recovery_code
