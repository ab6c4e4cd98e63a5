"""Members: created by admins in bulk from a list, each with a one-time sign-in code that the
member's client trades once for a credential. A member can fetch tokens and nothing else:
a member is not a user account and no staff page or tip accepts its credential."""

import hashlib
import secrets
from dataclasses import dataclass

from django.db import transaction

from tipline.crypto.recipient_keys import new_recovery_code
from tipline.insider.models import Member, Organisation

CREDENTIAL_PREFIX = "tlm1."


class UnknownCode(Exception):
    """No unused sign-in code of this organisation matches."""


@dataclass(frozen=True)
class NewCode:
    reference: str
    code: str


def digest(secret: str) -> bytes:
    # Codes and credentials are 160 random bits or more: a plain hash is enough to look them up.
    return hashlib.sha256(secret.encode()).digest()


def code_digest(code: str) -> bytes:
    """Codes are typed by hand: case, spaces and dashes do not matter."""
    return digest("".join(code.upper().replace("-", " ").split()))


def references_from_list(text: str) -> list[str]:
    """One member per non-empty line; surrounding spaces and repeats do not count."""
    seen: dict[str, None] = {}
    for line in text.splitlines():
        if line.strip():
            seen.setdefault(line.strip(), None)
    return list(seen)


@transaction.atomic
def add_members(organisation: Organisation, references: list[str]) -> list[NewCode]:
    """Create the members not there yet; return each new member's code (shown once)."""
    existing = set(organisation.members.values_list("reference", flat=True))
    codes = []
    for reference in references:
        if reference in existing:
            continue
        code = new_recovery_code()
        Member.objects.create(organisation=organisation, reference=reference, code_hash=code_digest(code))
        codes.append(NewCode(reference, code))
    return codes


@transaction.atomic
def new_code(member: Member) -> NewCode:
    """A lost device: a fresh one-time code; the old credential stops working at once."""
    code = new_recovery_code()
    member.code_hash, member.credential_hash, member.is_active = code_digest(code), None, True
    member.save(update_fields=["code_hash", "credential_hash", "is_active"])
    return NewCode(member.reference, code)


@transaction.atomic
def activate(organisation_slug: str, code: str) -> str:
    """Spend a one-time code; return the credential the member's client keeps."""
    member = (
        Member.objects.select_for_update()
        .filter(organisation__slug=organisation_slug, code_hash=code_digest(code), is_active=True)
        .first()
    )
    if member is None:
        raise UnknownCode
    credential = CREDENTIAL_PREFIX + secrets.token_urlsafe(32)
    member.code_hash, member.credential_hash = None, digest(credential)
    member.save(update_fields=["code_hash", "credential_hash"])
    return credential


def member_with(credential: str) -> Member | None:
    if not credential.startswith(CREDENTIAL_PREFIX):
        return None
    return (
        Member.objects.select_related("organisation").filter(credential_hash=digest(credential), is_active=True).first()
    )
