"""Personal API tokens: `tl1.<token id>.<secret>`. The secret opens the owner's private
key sealed in the token's row (tipline.crypto.sessions), so the database alone opens
nothing and a revoked or expired token opens nothing either."""

import hmac
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from tipline.accounts.models import ApiToken, User
from tipline.audit.services import Action, record
from tipline.crypto import recipient_keys, sessions
from tipline.crypto.errors import DecryptionError

PREFIX = "tl1"


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret_string: str  # shown once


def _context(token_id) -> bytes:
    return f"api-token:{token_id}".encode()


@transaction.atomic
def create_token(user: User, private_key: bytes, name: str, days: int) -> NewToken:
    token = ApiToken(user=user, name=name, expires_at=timezone.now() + timedelta(days=days))
    seal = sessions.seal_for_session(private_key, _context(token.id))
    token.sealed_private_key = seal.ciphertext
    token.save()
    record(user.username, Action.API_TOKEN_CREATED, user.username, token=name, days=days)
    return NewToken(token=token, secret_string=f"{PREFIX}.{token.id.hex}.{seal.cookie_secret}")


@transaction.atomic
def revoke_token(user: User, token_id) -> bool:
    revoked = ApiToken.objects.filter(pk=token_id, user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    if revoked:
        record(user.username, Action.API_TOKEN_REVOKED, user.username, token=str(token_id))
    return bool(revoked)


def expiry_of(secret_string: str):
    """When a token (as presented) expires, or None for one that is not a token."""
    parts = secret_string.strip().split(".")
    try:
        token = ApiToken.objects.filter(pk=uuid.UUID(hex=parts[1])).first() if len(parts) == 3 else None
    except ValueError:
        token = None
    return token.expires_at if token else None


def open_token(secret_string: str) -> tuple[User, bytes] | None:
    """The token's owner and opened private key, or None for anything not a live token."""
    parts = secret_string.strip().split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        return None
    try:
        token_id = uuid.UUID(hex=parts[1])
    except ValueError:
        return None
    token = ApiToken.objects.select_related("user").filter(pk=token_id).first()
    if token is None or token.revoked_at is not None or token.expires_at <= timezone.now() or not token.user.is_active:
        return None
    try:
        private_key = sessions.open_from_session(parts[2], bytes(token.sealed_private_key), _context(token.id))
    except DecryptionError:
        return None
    if not holds_current_key(token.user, private_key):
        return None  # made for a key the account no longer has (it was reset)
    return token.user, private_key


def holds_current_key(user: User, private_key: bytes) -> bool:
    """True when this private key is the half of the account's current key pair."""
    return user.public_key is not None and hmac.compare_digest(
        recipient_keys.public_key_of(private_key), bytes(user.public_key)
    )


def revoke_all(user: User, because: str) -> int:
    """Revoke every live token of this person (`because` their password changed or was
    recovered): a token made before goes on opening the key, whoever holds it. Returns how many."""
    revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    if revoked:
        record(user.username, Action.API_TOKEN_REVOKED, user.username, tokens=revoked, because=because)
    return revoked
