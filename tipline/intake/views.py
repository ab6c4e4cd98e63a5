"""Tipster-facing views: the landing page, a channel's tip form, the receipt, and the
"check on your tip" pages. Each parses input, calls one service, renders."""

import dataclasses
import zoneinfo

from django import forms
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db import DatabaseError
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tipline.core import readers, receipt_again, throttle
from tipline.core.attachments import submitted_files
from tipline.core.check_in import UnknownReceipt, open_with_receipt
from tipline.core.conversation import (
    add_message,
    count_follow_up,
    read_answers,
    read_conversation,
)
from tipline.core.duties import duties_of
from tipline.core.metadata import CleaningBusy
from tipline.core.models import Author, Channel
from tipline.core.storage_budget import StorageBudgetSpent
from tipline.core.submission import (
    AlreadySubmitted,
    ChannelNotReceiving,
    count_submission,
    form_page_is_receiving,
    form_was_sent,
    submit_tip,
)
from tipline.crypto.errors import ReceiptFormatError, ReceiptTypoError
from tipline.forms.tipster import ReceiptForm, ReplyForm, TipForm, new_form_token
from tipline.insider.redemption import TokenRejected
from tipline.intake import resends, tipster_session
from tipline.web.client_buckets import client_bucket
from tipline.web.middleware import CLEAR_SITE_DATA
from tipline.web.unavailable import retry_later, unavailable
from tipline.web.uploads import upload_handler_of

RESENT = gettext_lazy(
    "You sent this same tip a moment ago. It is stored, and its receipt was shown on the page after "
    "sending; it was not stored twice. To send it again as a new tip, tick the box below and send."
)
CLEANING_BUSY = gettext_lazy(
    "Many files are being cleaned for other tipsters right now, so yours could not be taken. "
    "Nothing was saved. Your text is kept below; please add your files again and send in a minute."
)
NOT_STORED = gettext_lazy(
    "Your tip could not be stored because of a problem on our side. Nothing was saved. "
    "Your text is kept below; please send it again in a few minutes."
)


def landing(request):
    channels = Channel.objects.filter(is_listed=True)
    return render(request, "intake/landing.html", {"channels": channels})


@require_http_methods(["GET", "POST"])
def submit(request, slug):
    channel = get_object_or_404(Channel, slug=slug)
    with timezone.override(zoneinfo.ZoneInfo(channel.time_zone)):
        if request.method == "GET":
            form = TipForm(channel, initial={"form_token": new_form_token()})
            return render_tip_form(request, channel, form)
        return _receive_tip(request, channel)


def _receive_tip(request, channel):
    try:
        form = TipForm(channel, data=request.POST, files=request.FILES)
    except (RequestDataTooBig, TooManyFieldsSent, MultiPartParserError):
        return _discard_and_render(
            request,
            channel,
            TipForm(channel),
            _("Your tip is too large to send in one go. Shorten it or send fewer files."),
            413,
        )
    handler = upload_handler_of(request)
    if handler is not None and handler.refusal:
        return _discard_and_render(request, channel, form, handler.refusal, handler.refusal_status)
    if not form.is_valid():
        return _discard_and_render(request, channel, form, None, 400)
    if form_was_sent(form.cleaned_data["form_token"]):  # the same page sent twice: certainly no new tip
        return _already_sent(request, channel, form)
    answers, uploads = form.answers(), form.uploads()
    if request.POST.get("send_again") != "on" and resends.sent_within_the_hour(request, channel, answers, uploads):
        return _discard_and_render(request, channel, _with_send_again_box(form), RESENT, 409)
    try:  # only now: a post refused above cost no Argon2id, so it uses up no tipster's budget
        count_submission(channel, client_bucket(request), form.offers_valid_token())
    except throttle.Throttled as limit:
        message = ngettext(
            "Too many tips are arriving right now. Your text is kept below; please try again in %(minutes)d minute.",
            "Too many tips are arriving right now. Your text is kept below; please try again in %(minutes)d minutes.",
            limit.retry_after_minutes,
        ) % {"minutes": limit.retry_after_minutes}
        return _try_again_after(_discard_and_render(request, channel, form, message, 429), limit)
    try:
        submitted = submit_tip(
            channel,
            answers,
            form.deadline(),
            uploads,
            form.cleaned_data["form_token"],
            form.verified_token,
            left_out=form.left_out(),
            before_commit=receipt_again.keeper(form.cleaned_data["form_token"], _browser(request)),
        )
    except TokenRejected as rejection:  # spent by another tip a moment ago
        form.add_error("insider_token", rejection.message)
        return render_tip_form(request, channel, form, None, 409)
    except AlreadySubmitted:  # sent twice at once: the other request stored it a moment ago
        return _already_sent(request, channel, form)
    except ChannelNotReceiving:
        return render_tip_form(
            request, channel, form, _("This channel is not taking tips right now. Nothing was saved."), 503
        )
    except StorageBudgetSpent as spent:
        return _try_again_after(_discard_and_render(request, channel, form, _budget_spent(spent), 507), spent)
    except CleaningBusy:
        return retry_later(render_tip_form(request, channel, form, CLEANING_BUSY, 503))
    except (DatabaseError, OSError):  # database locked or down, disk full: nothing was kept
        return retry_later(render_tip_form(request, channel, form, NOT_STORED, 503))
    resends.remember(request, channel, answers, uploads)
    return render(request, "intake/receipt.html", {"channel": channel, "submitted": submitted})


def _already_sent(request, channel, form):
    """The receipt page again, to the browser that sent this form, while its window lasts
    (its first answer may have been lost); else the page that says why it cannot be."""
    submitted = receipt_again.find(form.cleaned_data["form_token"], _browser(request))
    if submitted is not None:
        return render(request, "intake/receipt.html", {"channel": channel, "submitted": submitted, "shown_again": True})
    return render(request, "intake/already_sent.html", {"channel": channel}, status=409)


def _browser(request) -> str | None:
    return request.COOKIES.get(settings.CSRF_COOKIE_NAME)


def _with_send_again_box(form):
    form.fields["send_again"] = forms.BooleanField(required=False, label=_("Send it as a new tip, with a new receipt"))
    return form


def render_tip_form(request, channel, form, problem: str | None = None, status: int = 200):
    if form.is_bound:
        # Re-sent forms get a fresh token; the text typed so far stays as it is.
        form.data = form.data.copy()
        form.data["form_token"] = new_form_token()
    context = {
        "channel": channel,
        "form": form,
        "problem": problem,
        "receiving": form_page_is_receiving(channel),
        "files_were_dropped": form.is_bound and form.has_files and bool(request.FILES),
    }
    return render(request, "intake/submit.html", context, status=status)


def _discard_and_render(request, channel, form, problem, status):
    handler = upload_handler_of(request)
    if handler is not None:
        handler.discard_all()
    response = render_tip_form(request, channel, form, problem, status)
    return retry_later(response) if status in (503, 507) else response


def csrf_failure(request, reason=""):
    """A missing or stale security token (e.g. cookies cleared by "New Identity"):
    on a tip form, show the typed text again to send anew; nothing was stored."""
    match = request.resolver_match
    # Only a post from our own page is shown again (another site must not fill our form).
    same_site = request.META.get("HTTP_SEC_FETCH_SITE", "same-origin") == "same-origin"
    if request.method == "POST" and same_site and match is not None and match.url_name == "submit":
        try:
            channel = get_object_or_404(Channel, slug=match.kwargs["slug"])
        except DatabaseError:
            return unavailable(request)
        form = TipForm(channel, data=request.POST)
        problem = _(
            "Your browser's security token was missing or out of date, so nothing was sent. Your text is kept below; "
            "please send it again."
        )
        return _discard_and_render(request, channel, form, problem, 403)
    return render(request, "403_csrf.html", status=403)


@require_http_methods(["GET", "POST"])
def check(request):
    if request.method == "GET":
        return render(request, "intake/check.html", {"form": ReceiptForm()})
    form = ReceiptForm(request.POST)
    if not form.is_valid():
        return render(request, "intake/check.html", {"form": form}, status=400)
    typed = form.cleaned_data["receipt"]
    try:
        tip, tip_key = open_with_receipt(typed, client_bucket(request))
    except throttle.Throttled as limit:
        form.add_error(
            None,
            ngettext(
                "Too many attempts right now. Please try again in %(minutes)d minute.",
                "Too many attempts right now. Please try again in %(minutes)d minutes.",
                limit.retry_after_minutes,
            )
            % {"minutes": limit.retry_after_minutes},
        )
        return render(request, "intake/check.html", {"form": form}, status=429)
    except ReceiptFormatError as error:
        form.add_error("receipt", _receipt_format_problem(error))
        return render(request, "intake/check.html", {"form": form}, status=400)
    except ReceiptTypoError:
        form.add_error(
            "receipt",
            _("This receipt has a typo: a digit is wrong or two are swapped. Compare it with what you wrote down."),
        )
        return render(request, "intake/check.html", {"form": form}, status=400)
    except UnknownReceipt:
        form.add_error("receipt", _("No tip has this receipt. Check each digit against what you wrote down."))
        return render(request, "intake/check.html", {"form": form}, status=404)
    pending = form.cleaned_data["pending_text"]
    if pending.strip():  # a message typed after the session had ended, not sent yet
        response = _your_tip_page(request, tip, tip_key, ReplyForm(initial={"text": pending}), message_kept=True)
    else:
        response = redirect("intake:your_tip")
    tipster_session.start(request, response, tip, tip_key)
    return response


def _receipt_format_problem(error: ReceiptFormatError) -> str:
    if error.character is not None:
        return _("That is not a receipt. A receipt has only digits; “%(character)s” is not one.") % {
            "character": error.character
        }
    return _("That is not a receipt. A receipt has %(expected)d digits; this has %(found)d.") % {
        "expected": error.expected,
        "found": error.found,
    }


@require_http_methods(["GET", "POST"])
def your_tip(request):
    opened = tipster_session.open_tip(request)
    if opened is None:
        return _discard_and_redirect_to_check(request)
    tip, tip_key = opened
    if request.method == "GET":
        return _your_tip_page(request, tip, tip_key, ReplyForm())
    form = ReplyForm(request.POST, request.FILES)
    status = _refuse_follow_up(request, form)
    if status is not None:
        response = _your_tip_page(request, tip, tip_key, form, status)
        return retry_later(response) if status in (503, 507) else response
    try:
        count_follow_up(tip, client_bucket(request))
    except throttle.Throttled as limit:
        form.add_error(
            None,
            ngettext(
                "Too many messages were sent about this tip. Your text is kept below; please try again in %(minutes)d "
                "minute.",
                "Too many messages were sent about this tip. Your text is kept below; please try again in %(minutes)d "
                "minutes.",
                limit.retry_after_minutes,
            )
            % {"minutes": limit.retry_after_minutes},
        )
        return _try_again_after(_your_tip_page(request, tip, tip_key, form, 429), limit)
    try:
        add_message(tip, tip_key, Author.TIPSTER, form.cleaned_data["text"], form.cleaned_data["files"])
    except StorageBudgetSpent as spent:
        form.add_error(None, _budget_spent(spent))
        return _try_again_after(_your_tip_page(request, tip, tip_key, form, 507), spent)
    except CleaningBusy:
        form.add_error(None, CLEANING_BUSY)
        return retry_later(_your_tip_page(request, tip, tip_key, form, 503))
    return redirect(f"{request.path}?sent=1#conversation")


def _budget_spent(spent: StorageBudgetSpent) -> str:
    minutes = max(1, -(-spent.retry_after_seconds // 60))
    return ngettext(
        "This channel has taken as many files as it can this hour. Nothing was saved; your text is kept below. "
        "Please try again in %(minutes)d minute, or send your text without files.",
        "This channel has taken as many files as it can this hour. Nothing was saved; your text is kept below. "
        "Please try again in %(minutes)d minutes, or send your text without files.",
        minutes,
    ) % {"minutes": minutes}


def _your_tip_page(request, tip, tip_key, form, status: int = 200, message_kept: bool = False):
    context = {
        "tip": tip,
        "answers": _in_the_pages_language(tip.channel, read_answers(tip, tip_key)),
        "files": submitted_files(tip, tip_key),
        "conversation": read_conversation(tip, tip_key),
        "form": form,
        "sent": request.GET.get("sent") == "1",
        "message_kept": message_kept,
        **_what_to_expect(tip),
    }
    return render(request, "intake/your_tip.html", context, status=status)


def _what_to_expect(tip) -> dict:
    if readers.answer_can_come(tip):
        return {"duties": duties_of(tip), "unread": False}
    return {"duties": [], "unread": True}  # no promise the team cannot keep


def _in_the_pages_language(channel, answers):
    """Labels as the channel words them in the page's language (stored as sent, in the
    language the tipster sent in)."""
    language = get_language()
    return [
        dataclasses.replace(answer, label=channel.field_text(answer.key, "label", language, answer.label))
        for answer in answers
    ]


def _refuse_follow_up(request, form) -> int | None:
    """The status to answer with when a tipster's message cannot be taken (its files were
    refused, or the form is invalid; the reason is on the form), or None when it can."""
    handler = upload_handler_of(request)
    if handler is not None and handler.refusal:
        form.add_error(None, handler.refusal)
        return handler.refusal_status
    return None if form.is_valid() else 400


def _try_again_after(response, limit: throttle.Throttled | StorageBudgetSpent):
    response.headers["Retry-After"] = str(limit.retry_after_seconds)
    return response


def _discard_and_redirect_to_check(request):
    """The session ended. A message typed meanwhile is shown again with the receipt form,
    to come back after the receipt (its files cannot be kept: they are discarded)."""
    handler = upload_handler_of(request)
    if handler is not None and request.method == "POST":
        text = request.POST.get("text", "")  # reading the body encrypts any upload, discarded next
        handler.discard_all()
        if text.strip():
            form = ReceiptForm(initial={"pending_text": text})
            context = {"form": form, "ended": True, "files_were_dropped": bool(request.FILES)}
            return render(request, "intake/check.html", context)
    return redirect(f"{reverse('intake:check')}?ended=1")


@require_POST
def leave(request):
    response = redirect("intake:landing")
    tipster_session.end(request, response)
    response.headers["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response
