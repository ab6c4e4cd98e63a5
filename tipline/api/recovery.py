"""Endpoints for the organisation recovery key (admins' personal tokens only), which
`tipline-reader recover` calls from an admin's own computer: the installed key, tips sealed to
it page by page, a recipient's public key, and the grants and reseals sealed there. The
private half is never sent here; the server checks who may hold each tip (core.recovery)."""

from uuid import UUID

from django.db.models import Exists, OuterRef, Q
from ninja import Query, Router, Schema
from pydantic import Field

from tipline.api.errors import ApiError
from tipline.api.schemas import ErrorOut
from tipline.core import readers, recovery
from tipline.core.models import RecoveryKey, Tip, TipKeyGrant
from tipline.crypto.encoding import b64, from_b64
from tipline.crypto.recovery_keys import account_fingerprint

router = Router(tags=["recovery key"])
ERRORS = {code: ErrorOut for code in (400, 401, 403, 404, 409)}
PAGE_SIZE = 200


class RecoveryKeyOut(Schema):
    generation: int
    public_key: str = Field(description="base64url X25519 public key.")
    fingerprint: str = Field(description="32 hex digits in groups of four, as tipline recovery-key show prints them.")
    vouched: bool = Field(
        description="Whether it holds its check under the secret key file; one that does not is never sealed to.",
    )
    tips: int


class RecoveryKeysOut(Schema):
    current: RecoveryKeyOut | None
    retired: list[RecoveryKeyOut] = Field(description="Generations tips still point at, until they are sealed again.")


class RecoveryTipOut(Schema):
    id: UUID
    reference: str
    channel: str
    restricted: bool = Field(description="Its tipster chose its readers: only those may be granted it.")
    generation: int = Field(description="The recovery key generation its box is sealed to.")
    sealed_key: str = Field(description="base64url sealed box (tip id, tip key, team key) to that recovery key.")


class RecoveryPageOut(Schema):
    items: list[RecoveryTipOut]
    next_cursor: str | None


class RecoveryTipFilters(Schema):
    unreadable: bool = Field(default=False, description="Only tips no current recipient can read.")
    reference: list[str] = Field(default_factory=list, description="Only these tips (repeat): T-XXXX-XXXX.")
    retired: bool = Field(default=False, description="Only tips sealed to a retired generation (to seal again).")
    after: str = ""


class AccountKeyOut(Schema):
    username: str
    display_name: str
    public_key: str
    fingerprint: str = Field(
        description="What the person sees on their Notifications page: compare before sealing to it.",
    )
    channels: list[str]


class SealedForIn(Schema):
    tip: UUID
    sealed_key: str = Field(max_length=400)


class RecoveryGrantsIn(Schema):
    grantee: str = Field(max_length=150)
    tips: list[SealedForIn] = Field(max_length=500)


class RefusedOut(Schema):
    tip: str
    reason: str


class RecoveryGrantsOut(Schema):
    granted: int
    refused: list[RefusedOut]


class RecoveryResealIn(Schema):
    tips: list[SealedForIn] = Field(max_length=500)


class RecoveryResealedOut(Schema):
    resealed: int
    remaining: int = Field(description="Tips still sealed to a retired generation.")


def _known_to(admin):
    """The recovery tips an admin may know of, decided in the query (so that neither a page's
    length nor a count tells of others): every unrestricted one; a restricted one only if they
    hold a grant to it (lapsed or not), or if nobody can read it any more and they are no
    recipient of its channel (a recipient without a grant was not chosen by its tipster)."""
    theirs = TipKeyGrant.objects.filter(tip=OuterRef("pk"), recipient=admin)
    stranded = Q(pk__in=readers.unreadable_tips().values("pk")) & ~Q(channel__recipients=admin)
    return Tip.objects.filter(recovery_key__isnull=False).filter(Q(restricted=False) | Q(Exists(theirs)) | stranded)


def _admin(request) -> None:
    if not request.user.is_admin:
        raise ApiError(403, "forbidden", "Only an admin's token may use the recovery key.")


@router.get("/recovery/key", response={200: RecoveryKeysOut, **ERRORS}, summary="The recovery key's generations")
def keys(request):
    _admin(request)
    summary = recovery.summary()
    known = _known_to(request.user)
    out = [
        _key_out(generation, known.filter(recovery_key=generation.key).count()) for generation in summary.generations
    ]
    current = summary.current.generation if summary.current else None
    return {
        "current": next((key for key in out if key["generation"] == current), None),
        "retired": [key for key in out if key["generation"] != current],
    }


@router.get("/recovery/tips", response={200: RecoveryPageOut, **ERRORS}, summary="Tips sealed to the recovery key")
def tips(request, filters: Query[RecoveryTipFilters]):
    _admin(request)
    found = _known_to(request.user).select_related("channel", "recovery_key").order_by("id")
    if filters.unreadable:
        found = found.filter(pk__in=readers.unreadable_tips().values("pk"))
    if filters.reference:
        found = found.filter(reference__in=[reference.strip().upper() for reference in filters.reference])
    if filters.retired:
        found = found.filter(recovery_key__retired_at__isnull=False)
    if filters.after:
        try:
            found = found.filter(id__gt=UUID(filters.after))
        except ValueError:
            raise ApiError(400, "invalid", "after must be the next_cursor of the page before.", "after") from None
    page = list(found[: PAGE_SIZE + 1])
    more = len(page) > PAGE_SIZE
    shown = [_tip_out(tip) for tip in page[:PAGE_SIZE] if not recovery.left_out_of(tip, request.user)]
    return {"items": shown, "next_cursor": str(page[PAGE_SIZE - 1].id) if more else None}


@router.get("/recovery/accounts/{username}", response={200: AccountKeyOut, **ERRORS}, summary="A recipient's key")
def account_key(request, username: str):
    _admin(request)
    try:
        grantee = recovery.grantee_for(username)
    except recovery.RecoveryRefused as refusal:
        raise ApiError(404, "not_found", str(refusal), refusal.field) from None
    return {
        "username": grantee.username,
        "display_name": grantee.display_name,
        "public_key": b64(grantee.public_key),
        "fingerprint": account_fingerprint(bytes(grantee.public_key)),
        "channels": sorted(grantee.channels.values_list("slug", flat=True)),
    }


@router.post("/recovery/grants", response={200: RecoveryGrantsOut, **ERRORS}, summary="Grants from recovery boxes")
def grants(request, body: RecoveryGrantsIn):
    _admin(request)
    try:
        done = recovery.grant(request.user, body.grantee, _boxes(body.tips))
    except recovery.RecoveryRefused as refusal:
        raise ApiError(409, "refused", str(refusal), refusal.field) from None
    return {"granted": done.granted, "refused": [{"tip": tip, "reason": reason} for tip, reason in done.refused]}


@router.post("/recovery/resealed", response={200: RecoveryResealedOut, **ERRORS}, summary="Tips sealed anew")
def resealed(request, body: RecoveryResealIn):
    _admin(request)
    try:
        done = recovery.reseal(request.user, _boxes(body.tips))
    except recovery.RecoveryRefused as refusal:
        raise ApiError(409, "refused", str(refusal), refusal.field) from None
    return {
        "resealed": done,
        "remaining": _known_to(request.user).filter(recovery_key__retired_at__isnull=False).count(),
    }


def _boxes(items) -> dict:
    try:
        return {item.tip: from_b64(item.sealed_key) for item in items}
    except ValueError:
        raise ApiError(400, "invalid", "sealed_key must be base64url.", "tips") from None


def _key_out(generation: recovery.Generation, tips: int) -> dict:
    key: RecoveryKey = generation.key
    return {
        "generation": key.generation,
        "public_key": b64(key.public_key),
        "fingerprint": key.fingerprint,
        "vouched": generation.vouched,
        "tips": tips,
    }


def _tip_out(tip: Tip) -> dict:
    assert tip.recovery_key is not None, "_known_to finds tips sealed to the recovery key only"
    return {
        "id": tip.id,
        "reference": tip.reference,
        "channel": tip.channel.slug,
        "restricted": tip.restricted,
        "generation": tip.recovery_key.generation,
        "sealed_key": b64(tip.sealed_for_recovery_key),
    }
