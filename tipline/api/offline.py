"""Endpoints for tipline-reader on offline-key channels (personal token): the channel's key
and its proof challenge, setting or replacing the key, sealing tips again after a rotation,
fetching tips and files as ciphertext, and storing replies and notes sealed on the reader."""

from django.http import StreamingHttpResponse
from ninja import Router, Status

from tipline.accounts.tokens import expiry_of
from tipline.api.errors import ApiError
from tipline.api.schemas import (
    ErrorOut,
    OfflineKeyIn,
    OfflineKeyOut,
    ReaderVouchesOut,
    ReaderVouchIn,
    ResealedOut,
    ResealIn,
    SealedNoteIn,
    SealedPageOut,
    SealedReplyIn,
    SentOut,
)
from tipline.api.serialise import tip_summary_out
from tipline.casework import offline
from tipline.core import offline_keys
from tipline.core.models import ChannelKey, Tip
from tipline.crypto.encoding import b64, from_b64

router = Router(tags=["tipline-reader"])
ERRORS = {code: ErrorOut for code in (400, 401, 403, 404, 409, 429)}


@router.get(
    "/channels/{slug}/offline-key", response={200: OfflineKeyOut, **ERRORS}, summary="An offline-key channel's keys"
)
def read_key(request, slug: str):
    channel = offline.offline_channel(request.user, slug)
    keys = list(channel.offline_keys.select_related("uploaded_by").order_by("-created_at"))
    challenge = offline_keys.challenge_for(request.user, channel)
    return {
        "channel": channel.slug,
        "you": request.user.username,
        "current": next((_key_out(key) for key in keys if key.retired_at is None), None),
        "retired": [_key_out(key) for key in keys if key.retired_at is not None],
        "challenge": b64(challenge),
        "proof_key": b64(offline_keys.proof_key()[1]),
        "token_expires_at": expiry_of(request.token_secret),
    }


@router.put(
    "/channels/{slug}/offline-key", response={200: OfflineKeyOut, **ERRORS}, summary="Set or replace the channel's key"
)
def set_key(request, slug: str, body: OfflineKeyIn):
    channel = offline.offline_channel(request.user, slug)
    try:
        offline_keys.set_key(
            request.user, channel, _decoded(body.public_key, "public_key"), _decoded(body.proof, "proof")
        )
    except offline_keys.KeyRefused as refusal:
        raise ApiError(409, "key_refused", str(refusal), refusal.field) from None
    return read_key(request, slug)


@router.post(
    "/channels/{slug}/offline-key/resealed",
    response={200: ResealedOut, **ERRORS},
    summary="Seal tips again to the current key",
)
def reseal(request, slug: str, body: ResealIn):
    channel = offline.offline_channel(request.user, slug)
    sealed = {item.tip: _decoded(item.sealed_key, "tips") for item in body.tips}
    try:
        return {"resealed": offline_keys.reseal(request.user, channel, _decoded(body.proof, "proof"), sealed)}
    except offline_keys.KeyRefused as refusal:
        raise ApiError(409, "key_refused", str(refusal), refusal.field) from None


@router.get(
    "/channels/{slug}/sealed-tips", response={200: SealedPageOut, **ERRORS}, summary="Tips as stored: ciphertext only"
)
def sealed_tips(request, slug: str, after: str = "", proof: str = ""):
    channel = offline.offline_channel(request.user, slug)
    try:
        page = offline.sealed_tips(request.user, channel, after, _decoded(proof, "proof") if proof else b"")
    except offline.NotSealedHere as problem:
        raise ApiError(400, "invalid", str(problem), problem.field) from None
    return {"items": [_sealed_tip_out(tip) for tip in page.tips], "next_cursor": page.next_cursor}


@router.get("/tips/{tip_id}/sealed-files/{file_id}", response={200: None, **ERRORS}, summary="A file's encrypted bytes")
def sealed_file(request, tip_id: str, file_id: str):
    return StreamingHttpResponse(
        offline.sealed_file(request.user, tip_id, file_id), content_type="application/octet-stream"
    )


@router.post(
    "/tips/{tip_id}/sealed-replies", response={201: SentOut, **ERRORS}, summary="A reply sealed by tipline-reader"
)
def sealed_reply(request, tip_id: str, body: SealedReplyIn):
    try:
        offline.add_reply(
            request.user,
            tip_id,
            body.key,
            _decoded(body.ciphertext, "ciphertext"),
            body.purpose,
            bound=body.bound,
            seal=body.seal.dict() if body.seal else None,
            proof=_decoded(body.proof, "proof"),
        )
    except offline.NotSealedHere as problem:
        raise ApiError(400, "invalid", str(problem), problem.field) from None
    return Status(201, {"sent": True})


@router.post(
    "/tips/{tip_id}/sealed-notes", response={201: SentOut, **ERRORS}, summary="A note sealed by tipline-reader"
)
def sealed_note(request, tip_id: str, body: SealedNoteIn):
    try:
        offline.add_note(
            request.user,
            tip_id,
            body.key,
            _decoded(body.ciphertext, "ciphertext"),
            team=body.team,
            team_key_box=_decoded(body.sealed_key, "sealed_key") if body.sealed_key else None,
            resealed={item.key: _decoded(item.ciphertext, "resealed_notes") for item in body.resealed_notes},
            bound=body.bound,
            seal=body.seal.dict() if body.seal else None,
            proof=_decoded(body.proof, "proof"),
        )
    except offline.NotSealedHere as problem:
        raise ApiError(400, "invalid", str(problem), problem.field) from None
    return Status(201, {"sent": True})


@router.get(
    "/channels/{slug}/reader-vouches",
    response={200: ReaderVouchesOut, **ERRORS},
    summary="Readers' vouches for colleagues' signing keys",
)
def reader_vouches(request, slug: str):
    return {"vouches": offline.vouches(offline.offline_channel(request.user, slug))}


@router.post(
    "/channels/{slug}/reader-vouches", response={201: SentOut, **ERRORS}, summary="Vouch for a colleague's signing key"
)
def add_reader_vouch(request, slug: str, body: ReaderVouchIn):
    channel = offline.offline_channel(request.user, slug)
    try:
        offline.add_vouch(
            request.user,
            channel,
            body.name,
            _decoded(body.public_key, "public_key"),
            _decoded(body.voucher, "voucher"),
            _decoded(body.signature, "signature"),
            _decoded(body.proof, "proof"),
        )
    except offline.NotSealedHere as problem:
        raise ApiError(400, "invalid", str(problem), problem.field) from None
    return Status(201, {"sent": True})


def _decoded(text: str, field: str) -> bytes:
    try:
        return from_b64(text)
    except ValueError:
        raise ApiError(400, "invalid", f"{field} must be base64url.", field) from None


def _key_out(key: ChannelKey) -> dict:
    return {
        "id": key.pk,
        "generation": key.generation,
        "public_key": b64(key.public_key),
        "fingerprint": key.fingerprint,
        "created_at": key.created_at,
        "uploaded_by": key.uploaded_by.username if key.uploaded_by else None,
    }


def _sealed_tip_out(tip: Tip) -> dict:
    message_keys: dict[int | None, object] = {message.pk: message.key for message in tip.messages.all()}
    return tip_summary_out(tip) | {
        "destroyed_after": tip.destroyed_after,
        "channel_key": tip.channel_key_id,
        "sealed_key": b64(tip.sealed_for_channel_key),
        "answers": b64(tip.answers_ciphertext),
        "title": b64(tip.title_ciphertext),
        "messages": [
            {
                "key": message.key,
                "author": message.author,
                "sender": message.sender.username if message.sender else "",
                "sent_hour": message.sent_hour,
                "purpose": message.purpose,
                "ciphertext": b64(message.ciphertext),
                "bound_as": message.bound_as,
                "seal": message.reader_seal,
            }
            for message in tip.messages.all()
        ],
        "notes": [
            {
                "key": note.key,
                "author": note.author.username if note.author else "",
                "written_hour": note.written_hour,
                "team": note.under_team_key,
                "ciphertext": b64(note.ciphertext),
                "bound_as": note.bound_as,
                "seal": note.reader_seal,
            }
            for note in tip.notes.all()
        ],
        "files": [
            {
                "id": attachment.id,
                "message": message_keys.get(attachment.message_id),
                "author": attachment.author,
                "blob_name": attachment.blob_name,
                "wrapped_key": b64(attachment.wrapped_file_key),
                "meta": b64(attachment.meta_ciphertext),
            }
            for attachment in tip.attachments.all()
        ],
    }
