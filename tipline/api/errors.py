"""Every error of the API in one JSON shape: {"code", "message", "field"}. A client's
mistake is a 4xx with a code it can branch on; nothing a client sends gives a 5xx."""

from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError
from ninja.errors import AuthenticationError, HttpError, ValidationError

from tipline.casework.offline import NoChannelKey, NotOfflineChannel
from tipline.casework.services import (
    CannotGrant,
    InvalidDeadline,
    ReadInReader,
    TipNotFound,
)
from tipline.core import throttle
from tipline.core.check_in import UnknownReceipt
from tipline.core.metadata import CleaningBusy
from tipline.core.storage_budget import StorageBudgetSpent
from tipline.core.submission import AlreadySubmitted, ChannelNotReceiving
from tipline.crypto.errors import ReceiptFormatError, ReceiptTypoError
from tipline.insider.redemption import TokenRejected

READ_IN_READER = (
    "This tip is sealed to its channel's offline key: read it and answer it in tipline-reader (docs/casework.md)."
)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field
        self.headers = headers or {}


def install(api) -> None:
    def reply(request, status: int, code: str, message: str, field: str | None = None, headers=None):
        response = api.create_response(request, {"code": code, "message": message, "field": field}, status=status)
        for name, value in (headers or {}).items():
            response.headers[name] = value
        return response

    def storage_unavailable(request, error):
        # The database down or locked, the disk full: nothing was saved, and it is no client's fault.
        return reply(
            request,
            503,
            "unavailable",
            "The tip line cannot store this right now. Nothing was saved; try again later.",
            headers={"Retry-After": "60"},
        )

    handlers = {
        ApiError: lambda request, error: reply(
            request, error.status, error.code, error.message, error.field, error.headers
        ),
        ValidationError: lambda request, error: reply(request, 400, "invalid", *_first_problem(error)),
        AuthenticationError: lambda request, error: reply(
            request, 401, "unauthenticated", "Send a valid personal API token: Authorization: Bearer tl1.…"
        ),
        HttpError: lambda request, error: reply(request, error.status_code, "invalid", str(error)),
        RequestDataTooBig: lambda request, error: reply(
            request,
            400,
            "too_large",
            "The request's body is larger than this API takes (2 MiB); nothing was stored.",
        ),
        ReadInReader: lambda request, error: reply(request, 409, "read_in_reader", READ_IN_READER),
        TipNotFound: lambda request, error: reply(request, 404, "not_found", "No such tip (or file) in your channels."),
        NoChannelKey: lambda request, error: reply(request, 403, "no_channel_key", str(error), "proof"),
        NotOfflineChannel: lambda request, error: reply(
            request, error.status, "not_found" if error.status == 404 else "not_offline", str(error)
        ),
        CannotGrant: lambda request, error: reply(request, 400, "invalid", str(error), error.field),
        InvalidDeadline: lambda request, error: reply(request, 400, "invalid", str(error), "deadline"),
        UnknownReceipt: lambda request, error: reply(
            request, 404, "receipt_unknown", "No tip has this receipt.", "receipt"
        ),
        ReceiptTypoError: lambda request, error: reply(request, 400, "receipt_typo", str(error), "receipt"),
        ReceiptFormatError: lambda request, error: reply(request, 400, "receipt_malformed", str(error), "receipt"),
        AlreadySubmitted: lambda request, error: reply(request, 409, "already_submitted", "This tip was sent already."),
        ChannelNotReceiving: lambda request, error: reply(
            request, 409, "channel_closed", "This channel is not taking tips right now. Nothing was saved."
        ),
        TokenRejected: lambda request, error: reply(request, 409, error.code, error.message, "insider_token"),
        CleaningBusy: lambda request, error: reply(
            request,
            503,
            "cleaning_busy",
            "Files are being cleaned for others right now; nothing was saved. Send again in a minute.",
            "files",
            headers={"Retry-After": "60"},
        ),
        DatabaseError: storage_unavailable,
        OSError: storage_unavailable,
        StorageBudgetSpent: lambda request, error: reply(
            request,
            507,
            "storage_budget_spent",
            "This channel has taken as many files as it can this hour. Nothing was saved; send again later, or without "
            "files.",
            "files",
            headers={"Retry-After": str(error.retry_after_seconds)},
        ),
        throttle.Throttled: lambda request, error: reply(
            request,
            429,
            "rate_limited",
            f"Too many requests right now; try again in {error.retry_after_minutes} minutes.",
            headers={"Retry-After": str(error.retry_after_seconds)},
        ),
    }
    for exception_class, handler in handlers.items():
        api.add_exception_handler(exception_class, handler)


def _first_problem(error: ValidationError) -> tuple[str, str | None]:
    problem = error.errors[0] if error.errors else {"msg": "The request is not valid.", "loc": ()}
    location = [
        str(part) for part in problem.get("loc", ()) if part not in ("body", "query", "path", "form", "file", "payload")
    ]
    return str(problem.get("msg", "The request is not valid.")), ".".join(location) or None
