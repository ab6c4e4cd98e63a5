"""Public endpoints: channels, sending a tip, following it up with the receipt. The same
form validation, limits and services as the tipster pages."""

import json

from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from tipline.api.errors import ApiError
from tipline.api.privacy_pass import challenge_header, token_from_authorization
from tipline.api.schemas import (
    ChannelOut,
    ErrorOut,
    ReceiptIn,
    SentOut,
    SubmittedOut,
    TipsterTipOut,
)
from tipline.api.serialise import (
    answer_out,
    channel_out,
    duty_out,
    file_out,
    message_out,
)
from tipline.core import attachments, check_in, conversation, readers, submission
from tipline.core.duties import duties_of
from tipline.core.models import Author, Channel, FieldKind, InsiderTokens
from tipline.forms.tipster import ReplyForm, TipForm, new_form_token
from tipline.web.client_buckets import client_bucket
from tipline.web.uploads import upload_handler_of

router = Router(tags=["tipsters"])
ERRORS = {code: ErrorOut for code in (400, 401, 404, 409, 413, 429, 503, 507)}


@router.get("/channels", response={200: list[ChannelOut]}, summary="Channels and their forms")
def list_channels(request):
    return [channel_out(channel) for channel in Channel.objects.filter(is_listed=True).prefetch_related("fields")]


@router.post("/channels/{slug}/tips", response={201: SubmittedOut, **ERRORS}, summary="Send a tip")
def submit(
    request,
    slug: str,
    answers: Form[str] = "{}",
    insider_token: Form[str] = "",
    leave_out: Form[list[int]] = None,  # type: ignore[assignment]  # ninja: optional, without null in the document
    files: File[list[UploadedFile]] = None,  # type: ignore[assignment]  # likewise
):
    """Multipart: `answers` is a JSON object of field key to value; `files` may repeat;
    `leave_out` may repeat, with the ids of `recipients_to_leave_out` the tip must be hidden
    from (at least one recipient remains). `insider_token` is a member's token (`tipv1:…`)
    where the channel asks for one; RFC 9577's `Authorization: PrivateToken token="…"` header
    carries it as well. A channel that requires one answers a tip without it with 401 and the
    challenge in WWW-Authenticate.
    A date or time without an offset (`2030-01-15T06:00`) is read in the channel's
    `time_zone`, as the form reads it; one with an offset (`…T06:00+01:00`, `…Z`) is
    taken as given."""
    channel = Channel.objects.filter(slug=slug).first()
    if channel is None:
        raise ApiError(404, "not_found", "No channel with this slug.", "slug")
    _refuse_broken_upload(request)
    data = _form_data(answers)
    data["insider_token"] = _insider_token(request, channel, insider_token)
    data.setlist("leave_out", [str(recipient) for recipient in leave_out or []])
    form = TipForm(channel, data=data, files=_form_files(channel, files or []))
    if leave_out and "leave_out" not in form.fields:
        raise ApiError(400, "invalid", "This channel does not let tipsters leave recipients out.", "leave_out")
    if not form.is_valid():
        _discard(request)
        raise _form_error(form)
    submission.count_submission(
        channel, client_bucket(request), form.offers_valid_token()
    )  # after: an invalid tip costs no Argon2id
    submitted = submission.submit_tip(
        channel,
        form.answers(),
        form.deadline(),
        form.uploads(),
        form.cleaned_data["form_token"],
        form.verified_token,
        left_out=form.left_out(),
    )
    return Status(
        201,
        {
            "receipt": submitted.receipt,
            "reference": submitted.reference,
            "files": [note.__dict__ for note in submitted.file_notes],
        },
    )


@router.post("/followup", response={200: TipsterTipOut, **ERRORS}, summary="Read your tip and its conversation")
def follow_up(request, body: ReceiptIn):
    tip, tip_key = check_in.open_with_receipt(body.receipt, client_bucket(request))
    answer_can_come = readers.answer_can_come(tip)
    return {
        "channel": tip.channel.name,
        "reference": tip.reference,
        "received_hour": tip.received_hour,
        "answers": [answer_out(answer) for answer in conversation.read_answers(tip, tip_key)],
        "files": [file_out(view) for view in attachments.submitted_files(tip, tip_key)],
        "messages": [message_out(message) for message in conversation.read_conversation(tip, tip_key)],
        "expected_answers": [duty_out(duty) for duty in duties_of(tip)] if answer_can_come else [],
        "team_can_read": answer_can_come,
    }


@router.post("/followup/messages", response={201: SentOut, **ERRORS}, summary="Write to the team, with files")
def write(request, receipt: Form[str], text: Form[str] = "", files: File[list[UploadedFile]] = None):  # type: ignore[assignment]  # ninja: optional, without null in the document
    _refuse_broken_upload(request)
    tip, tip_key = check_in.open_with_receipt(receipt, client_bucket(request))
    conversation.count_follow_up(tip, client_bucket(request))
    data = QueryDict(mutable=True)
    data["text"] = text
    form = ReplyForm(data, MultiValueDict({"files": list(files or [])}))
    if not form.is_valid():
        _discard(request)
        raise _form_error(form)
    conversation.add_message(tip, tip_key, Author.TIPSTER, form.cleaned_data["text"], form.cleaned_data["files"])
    return Status(201, {"sent": True})


def _insider_token(request, channel: Channel, in_form: str) -> str:
    in_header = token_from_authorization(request)
    if in_header and in_form.strip():
        raise ApiError(400, "invalid", "Send the member's token once: in the form or in the header.", "insider_token")
    token = in_header or in_form
    if not token.strip() and channel.insider_tokens == InsiderTokens.REQUIRED and channel.insider_organisation:
        raise ApiError(
            401,
            "token_required",
            f"This channel takes tips only with a member's token of {channel.insider_organisation.name}.",
            "insider_token",
            headers={"WWW-Authenticate": challenge_header(channel.insider_organisation)},
        )
    return token


def _form_data(answers_json: str) -> QueryDict:
    try:
        answers = json.loads(answers_json)
    except (ValueError, RecursionError):  # not JSON, a number of thousands of digits, endless nesting
        raise ApiError(400, "invalid", "`answers` must be a JSON object of field key to value.", "answers") from None
    if not isinstance(answers, dict):
        raise ApiError(400, "invalid", "`answers` must be a JSON object of field key to value.", "answers")
    data = QueryDict(mutable=True)
    data["form_token"] = new_form_token()  # the API has no reload to guard against
    for key, value in answers.items():
        values = value if isinstance(value, list) else [value]
        data.setlist(
            f"answer-{key}", ["on" if item is True else "" if item in (None, False) else str(item) for item in values]
        )
    return data


def _form_files(channel: Channel, files: list) -> MultiValueDict:
    file_fields = [field.key for field in channel.fields.all() if field.kind == FieldKind.FILE]
    if files and not file_fields:
        raise ApiError(400, "invalid", "This channel takes no files.", "files")
    return MultiValueDict({f"answer-{file_fields[0]}": files} if files else {})


def _form_error(form) -> ApiError:
    for name, problems in form.errors.as_data().items():
        field = None if name == "__all__" else name.removeprefix("answer-")
        code = (
            problems[0].code if name == "insider_token" and (problems[0].code or "").startswith("token_") else "invalid"
        )
        return ApiError(400, code, " ".join(message for problem in problems for message in problem.messages), field)
    return ApiError(400, "invalid", "The request is not valid.")


def _refuse_broken_upload(request) -> None:
    handler = upload_handler_of(request)
    if handler is not None and handler.refusal:
        code = {413: "too_large", 507: "storage_full"}.get(handler.refusal_status, "unavailable")
        raise ApiError(handler.refusal_status, code, handler.refusal, "files")


def _discard(request) -> None:
    handler = upload_handler_of(request)
    if handler is not None:
        handler.discard_all()
