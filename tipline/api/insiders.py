"""Verified-insider endpoints: the public, append-only key list and issuance counts, a
member's one-time code traded for a credential, and blind issuance with that credential.
A member credential opens these endpoints and nothing else."""

from django.conf import settings
from ninja import Router
from ninja.security import HttpBearer

from tipline.api.errors import ApiError
from tipline.api.schemas import (
    ActivatedOut,
    ActivateIn,
    ErrorOut,
    InsiderDirectoryOut,
    InsiderStatusOut,
    TokenRequestsIn,
    TokenResponsesOut,
)
from tipline.crypto.encoding import b64, from_b64
from tipline.insider import epochs, issuance, keys, members
from tipline.insider.models import IssuerKey, Organisation

router = Router(tags=["verified insiders"])
ERRORS = {code: ErrorOut for code in (400, 401, 404, 409, 429, 503)}


class MemberCredential(HttpBearer):
    """`Authorization: Bearer tlm1.…`, from trading a one-time code: sets request.member."""

    def authenticate(self, request, token):
        request.member = members.member_with(token)
        return request.member


def _organisation(slug: str) -> Organisation:
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None:
        raise ApiError(404, "not_found", "No organisation with this short name.", "organisation")
    return organisation


@router.get(
    "/insiders/{organisation}/keys", response={200: InsiderDirectoryOut, **ERRORS}, summary="Published token keys"
)
def directory(request, organisation: str):
    """Every key this organisation ever had, oldest first, with its Privacy Pass key id and
    the fixed public challenge; never rewritten, so a member's client can pin it."""
    found = _organisation(organisation)
    keys.ensure_keys(found)
    published = IssuerKey.objects.filter(organisation=found).order_by("epoch")
    return {
        "organisation": found.slug,
        "name": found.name,
        "issuer_name": settings.INSIDER_ISSUER_NAME,
        "token_type": 2,
        "tokens_per_epoch": found.tokens_per_epoch,
        "epoch_seconds": found.epoch_seconds,
        "current_epoch": epochs.current(found.epoch_seconds).number,
        "keys": [_key_out(key, found.epoch_seconds) for key in published],
    }


def _key_out(key: IssuerKey, seconds: int) -> dict:
    epoch = epochs.Epoch(key.epoch, seconds)
    return {
        "epoch": key.epoch,
        "key_id": bytes(key.key_id).hex(),
        "public_key": b64(key.public_key),
        "challenge": b64(key.challenge),
        "issue_from": epoch.starts,
        "issue_until": epoch.ends,
        "redeem_from": epoch.redeem_from,
        "redeem_until": epoch.redeem_until,
    }


@router.get(
    "/insiders/{organisation}/status", response={200: InsiderStatusOut, **ERRORS}, summary="How many members fetched"
)
def status(request, organisation: str):
    """The size of each recent period's crowd: how many members fetched tokens in it."""
    found = _organisation(organisation)
    current = epochs.current(found.epoch_seconds).number
    return {
        "current_epoch": current,
        "members": found.members.filter(is_active=True).count(),
        "epochs": [
            {"epoch": epoch, "members_fetched": issuance.members_fetched(found, epoch)}
            for epoch in range(current - epochs.ACCEPTED_AFTER[1], current + 1)
        ],
    }


@router.post(
    "/insiders/activate", response={200: ActivatedOut, **ERRORS}, summary="Trade a one-time code for a credential"
)
def activate(request, body: ActivateIn):
    try:
        credential = members.activate(body.organisation, body.code)
    except members.UnknownCode:
        raise ApiError(
            401, "code_unknown", "This code is wrong or was used already. Ask for a new one.", "code"
        ) from None
    return {"credential": credential, "organisation": body.organisation}


@router.post(
    "/insiders/{organisation}/tokens",
    response={200: TokenResponsesOut, **ERRORS},
    auth=MemberCredential(),
    summary="Blind-sign this period's token requests",
)
def issue(request, organisation: str, body: TokenRequestsIn):
    member = request.member
    if member.organisation.slug != organisation:
        raise ApiError(404, "not_found", "No organisation with this short name.", "organisation")
    try:
        requests = [from_b64(item) for item in body.requests]
    except ValueError:
        raise ApiError(400, "invalid", "Each request is base64url.", "requests") from None
    try:
        issued = issuance.issue(member, requests)
    except issuance.IssuanceRefused as refusal:
        raise ApiError(409 if refusal.code != "invalid" else 400, refusal.code, refusal.message, "requests") from None
    return {
        "epoch": issued.key.epoch,
        "key_id": bytes(issued.key.key_id).hex(),
        "responses": [b64(item) for item in issued.responses],
    }
