"""Passkeys (WebAuthn, through the `webauthn` library) as a second factor beside TOTP.

Registration happens on a staff page after a full sign-in; at sign-in a passkey answers the
second step instead of a code. The relying party is the host the page was served from (set
TIPLINE_PASSKEY_RP_ID to pin it), the challenge lives in the session and is used once, and a
failed passkey counts against the same lockout as a wrong code. Pages need JavaScript only
for the passkey itself: TOTP keeps working without it.
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.options_to_json_dict import options_to_json_dict
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from tipline.accounts import signin
from tipline.accounts.models import Passkey, User
from tipline.audit.services import Action, record

CHALLENGE = "passkey_challenge"


class PasskeyRefused(Exception):
    """The browser's answer did not verify; the message says what to do."""


def relying_party(request) -> tuple[str, str]:
    """(RP id, expected origin) of this request."""
    host = request.get_host()
    rp_id = settings.PASSKEY_RP_ID or host.rsplit(":", 1)[0].strip("[]")
    return rp_id, f"{request.scheme}://{host}"


def registration_options(request, user: User) -> dict:
    rp_id, _origin = relying_party(request)
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name="Tipline",
        user_name=user.username,
        user_id=f"tipline-user-{user.pk}".encode(),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=bytes(key.credential_id)) for key in user.passkeys.all()],
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.DISCOURAGED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
    )
    request.session[CHALLENGE] = options.challenge.hex()
    return options_to_json_dict(options)


def register(request, user: User, credential: dict, name: str) -> Passkey:
    rp_id, origin = relying_party(request)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=_take_challenge(request),
            expected_rp_id=rp_id,
            expected_origin=origin,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        raise PasskeyRefused(str(error)) from None
    with transaction.atomic():
        passkey = Passkey.objects.create(
            user=user,
            name=name[:80] or "passkey",
            credential_id=verified.credential_id,
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
        )
        record(user.username, Action.PASSKEY_ADDED, user.username, passkey=passkey.name)
    return passkey


def remove(user: User, passkey_id: int) -> None:
    with transaction.atomic():
        removed = Passkey.objects.filter(pk=passkey_id, user=user).first()
        if removed is not None:
            removed.delete()
            record(user.username, Action.PASSKEY_REMOVED, user.username, passkey=removed.name)


def authentication_options(request, user: User) -> dict:
    rp_id, _origin = relying_party(request)
    options = generate_authentication_options(
        rp_id=rp_id,
        allow_credentials=[PublicKeyCredentialDescriptor(id=bytes(key.credential_id)) for key in user.passkeys.all()],
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    request.session[CHALLENGE] = options.challenge.hex()
    return options_to_json_dict(options)


def authenticate(request, user: User, credential: dict) -> None:
    """The second step by passkey. Raises signin.CodeLocked while the account is paused, or
    signin.SignInRefused (a failure counts like a wrong code)."""
    signin.refuse_while_locked(user)
    rp_id, origin = relying_party(request)
    challenge = _take_challenge(request)
    try:
        passkey = next(
            key for key in user.passkeys.all() if bytes_to_base64url(bytes(key.credential_id)) == credential["rawId"]
        )
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
        )
    except (WebAuthnException, StopIteration, ValueError, KeyError, TypeError):
        signin.count_code_failure(user)
        raise signin.SignInRefused() from None
    Passkey.objects.filter(pk=passkey.pk).update(sign_count=verified.new_sign_count, last_used_at=timezone.now())
    User.objects.filter(pk=user.pk).update(code_failures=0, code_lockouts=0, code_locked_until=None)
    record(user.username, Action.SIGN_IN, passkey=passkey.name)


def _take_challenge(request) -> bytes:
    stored = request.session.pop(CHALLENGE, None)
    if not stored:
        raise PasskeyRefused("the passkey request expired; try again")
    return bytes.fromhex(stored)
