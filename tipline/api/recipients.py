"""Recipient endpoints (personal token): list and filter tips, read one, reply, triage,
download files. Each calls the same casework service as its page twin, audited alike."""

from urllib.parse import quote

from django.http import StreamingHttpResponse
from ninja import Query, Router, Schema, Status

from tipline.api.errors import ApiError
from tipline.api.schemas import (
    BulkGrantIn,
    BulkGrantOut,
    ErrorOut,
    ReplyIn,
    SentOut,
    TipOut,
    TipPageOut,
    TipSummaryOut,
    TriageIn,
)
from tipline.api.serialise import answer_out, duty_out, file_out, message_out, tip_summary_out
from tipline.casework import services
from tipline.casework.inbox import InboxFilters, inbox_page
from tipline.core.duties import duties_of

router = Router(tags=["recipients"])
ERRORS = {code: ErrorOut for code in (400, 401, 404, 429)}


class TipFilters(Schema):
    channel: str = ""
    status: str = ""
    label: str = ""
    assignee: str = ""
    deadline: str = ""
    duty: str = ""
    insider: str = ""
    after: str = ""


@router.get("/tips", response={200: TipPageOut, **ERRORS}, summary="Tips of your channels, most urgent first")
def list_tips(request, filters: Query[TipFilters]):
    form = InboxFilters(request.user, filters.dict())
    if not form.is_valid():
        name, problems = next(iter(form.errors.items()))
        raise ApiError(400, "invalid", " ".join(str(problem) for problem in problems), name)
    page = inbox_page(request.user, form.cleaned_data, cursor=form.cleaned_data.get("after", ""))
    return {"items": [tip_summary_out(tip) for tip in page.tips], "next_cursor": page.next_cursor}


@router.get("/tips/{tip_id}", response={200: TipOut, **ERRORS}, summary="One tip, decrypted")
def read_tip(request, tip_id: str):
    opened = services.open_tip(request.user, request.private_key, tip_id)
    if opened.in_reader:
        raise services.ReadInReader()
    return tip_summary_out(opened.tip) | {
        "answers": [answer_out(answer) for answer in opened.answers],
        "files": [file_out(view) for view in opened.files],
        "messages": [message_out(message, for_colleagues=True) for message in opened.conversation],
        "notes": [
            {"author": note.author, "written_hour": note.written_hour, "text": note.text} for note in opened.notes
        ],
        "duties": [duty_out(duty) for duty in duties_of(opened.tip)],
    }


@router.post("/tips/{tip_id}/replies", response={201: SentOut, **ERRORS}, summary="Reply to the tipster")
def reply(request, tip_id: str, body: ReplyIn):
    services.reply(request.user, request.private_key, tip_id, body.text, body.purpose)
    return Status(201, {"sent": True})


@router.patch(
    "/tips/{tip_id}", response={200: TipSummaryOut, **ERRORS}, summary="Change status, labels, assignee, deadline"
)
def triage(request, tip_id: str, body: TriageIn):
    tip = services.find_tip(request.user, tip_id)
    if "deadline" in body.model_fields_set:
        services.set_deadline(request.user, tip_id, services.in_channel_zone(body.deadline, tip.channel))
    return tip_summary_out(
        services.set_triage(
            request.user,
            tip_id,
            body.status or tip.status,
            body.labels if body.labels is not None else list(tip.labels.values_list("name", flat=True)),
            body.assignee if body.assignee is not None else (tip.assignee.username if tip.assignee else ""),
        )
    )


@router.get("/tips/{tip_id}/files/{file_id}", response={200: None, **ERRORS}, summary="Download a file, decrypted")
def download(request, tip_id: str, file_id: str):
    view, chunks = services.download(request.user, request.private_key, tip_id, file_id)
    response = StreamingHttpResponse(chunks, content_type="application/octet-stream")
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(view.name)}"
    return response


@router.post(
    "/channels/{slug}/grants",
    response={200: BulkGrantOut, **ERRORS},
    summary="Grant a late-joining recipient every open tip",
)
def grant_all(request, slug: str, body: BulkGrantIn):
    """Seal every open tip of the channel that you can open to `grantee`, up to 500 a call."""
    done = services.grant_all(request.user, request.private_key, slug, body.grantee)
    return {"granted": done.granted, "remaining": done.remaining}
