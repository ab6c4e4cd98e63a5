"""Recipient pages: the inbox and a tip with its conversation, notes, triage, grants,
downloads and export. Views parse, call one service, render."""

from django.core.exceptions import BadRequest
from django.http import Http404, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tipline.accounts.access import staff_page
from tipline.alerts.health import deliveries_of
from tipline.casework import export, services, spam
from tipline.casework import handover as handover_pdf
from tipline.casework.forms import (
    BulkTriageForm,
    DeadlineForm,
    DestroyForm,
    GrantForm,
    HandoverForm,
    HoldForm,
    JoiningForm,
    NoteForm,
    ReplyForm,
    TitleForm,
    TriageForm,
)
from tipline.casework.inbox import InboxFilters, colleagues_of, inbox_page, pressing_duties, urgency
from tipline.casework.summaries import summaries_for
from tipline.core import joining
from tipline.core.duties import duties_of
from tipline.core.models import Tip


@require_GET
@staff_page
def inbox(request):
    return _render_inbox(request, request.GET)


def _render_inbox(request, query, bulk_form=None, status=200):
    filters = InboxFilters(request.user, query or None)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    page = inbox_page(request.user, chosen, cursor=chosen.get("after", ""))
    summaries = summaries_for(request.user, request.private_key, page.tips)
    rows = [(tip, urgency(tip), pressing_duties(tip), summaries.get(tip.pk, "")) for tip in page.tips]
    query = query.copy()
    for name in ("after", "changed", "refused"):
        query.pop(name, None)
    context = {
        "filters": filters,
        "rows": rows,
        "next_cursor": page.next_cursor,
        "query": query.urlencode(),
        "receives_no_channel": not request.user.channels.exists(),
        "channels_with_people_waiting": request.user.channels.filter(join_requests__isnull=False).distinct(),
        "bulk_form": bulk_form or BulkTriageForm(filters.colleagues),
        "changed": request.GET.get("changed", ""),
        "refused": request.GET.getlist("refused"),
    }
    return render(request, "casework/inbox.html", context, status=status)


@require_POST
@staff_page
def inbox_bulk(request):
    """Apply one status, label or assignee to the ticked rows, then back to the same view."""
    query = QueryDict(request.POST.get("query", ""))
    form = BulkTriageForm(colleagues_of(request.user), request.POST)
    if not form.is_valid():
        return _render_inbox(request, query, bulk_form=form, status=400)
    data = form.cleaned_data
    result = _or_404(
        services.bulk_triage, request.user, data["tips"], data["status"], data["label"].strip(), data["assignee"]
    )
    back = query.copy()
    back["changed"] = str(result.changed)
    back.setlist("refused", result.refused)
    return redirect(f"{reverse('casework:inbox')}?{back.urlencode()}")


@require_GET
@staff_page
def tip_detail(request, tip_id):
    return _render_tip(request, tip_id)


def _render_tip(request, tip_id, status=200, **forms):
    try:
        opened = services.open_tip(request.user, request.private_key, tip_id)
    except services.TipNotFound:
        raise Http404("No such tip in your channels.") from None
    context = {
        "opened": opened,
        "tip": opened.tip,
        "reply_form": forms.get("reply_form") or ReplyForm(),
        "note_form": forms.get("note_form") or NoteForm(),
        "title_form": forms.get("title_form") or TitleForm(initial={"title": opened.title}),
        "triage_form": forms.get("triage_form") or TriageForm(opened.tip, initial=_triage_initial(opened.tip)),
        "grant_form": forms.get("grant_form") or GrantForm(opened.grantable),
        "hold_form": forms.get("hold_form") or HoldForm(initial={"hold": not opened.tip.on_hold}),
        "deadline_form": forms.get("deadline_form") or _deadline_form(opened.tip),
        "alerts": deliveries_of(opened.tip),
        "done": request.GET.get("done", ""),
        "duties": [(duty, duty.state(timezone.now())) for duty in duties_of(opened.tip)],
    }
    return render(request, "casework/tip.html", context, status=status)


def _deadline_form(tip: Tip) -> DeadlineForm:
    form = DeadlineForm(tip)
    if tip.deadline:
        form.initial["deadline"] = tip.deadline.astimezone(form.zone).replace(tzinfo=None)  # as the zone reads it
    return form


def _triage_initial(tip: Tip) -> dict:
    return {
        "status": tip.status,
        "labels": ", ".join(tip.labels.values_list("name", flat=True)),
        "assignee": tip.assignee.username if tip.assignee else "",
    }


def _after_action(tip_id, done: str):
    return redirect(f"/staff/tips/{tip_id}/?done={done}")


@require_POST
@staff_page
def reply(request, tip_id):
    return _form_action(
        request,
        tip_id,
        ReplyForm(request.POST),
        "reply_form",
        "reply",
        lambda data: services.reply(request.user, request.private_key, tip_id, data["text"], data["purpose"]),
    )


@require_POST
@staff_page
def acknowledge(request, tip_id):
    _or_404(services.acknowledge, request.user, request.private_key, tip_id)
    return _after_action(tip_id, "acknowledged")


@require_POST
@staff_page
def note(request, tip_id):
    return _form_action(
        request,
        tip_id,
        NoteForm(request.POST),
        "note_form",
        "note",
        lambda data: services.add_note(request.user, request.private_key, tip_id, data["text"]),
    )


@require_POST
@staff_page
def title(request, tip_id):
    return _form_action(
        request,
        tip_id,
        TitleForm(request.POST),
        "title_form",
        "title",
        lambda data: services.set_title(request.user, request.private_key, tip_id, data["title"]),
    )


@require_POST
@staff_page
def triage(request, tip_id):
    form = TriageForm(_or_404(services.find_tip, request.user, tip_id), request.POST)
    return _form_action(
        request,
        tip_id,
        form,
        "triage_form",
        "triage",
        lambda data: services.set_triage(request.user, tip_id, data["status"], form.label_names(), data["assignee"]),
    )


@require_POST
@staff_page
def deadline(request, tip_id):
    form = DeadlineForm(_or_404(services.find_tip, request.user, tip_id), request.POST)
    return _form_action(
        request,
        tip_id,
        form,
        "deadline_form",
        "deadline",
        lambda data: services.set_deadline(request.user, tip_id, data["deadline"]),
    )


@require_POST
@staff_page
def grant(request, tip_id):
    form = GrantForm(services.grantable(_or_404(services.find_tip, request.user, tip_id)), request.POST)
    return _form_action(
        request,
        tip_id,
        form,
        "grant_form",
        "grant",
        lambda data: services.grant_access(request.user, request.private_key, tip_id, data["grantee"]),
    )


@require_POST
@staff_page
def hold(request, tip_id):
    return _form_action(
        request,
        tip_id,
        HoldForm(request.POST),
        "hold_form",
        "hold",
        lambda data: services.set_hold(request.user, tip_id, data["hold"], data["reason"]),
    )


def _form_action(request, tip_id, form, form_name: str, done: str, act):
    """Every action on a tip: a form with a problem is shown again (400); a good one acts,
    then goes back to the tip."""
    if not form.is_valid():
        return _render_tip(request, tip_id, 400, **{form_name: form})
    _or_404(act, form.cleaned_data)
    return _after_action(tip_id, done)


@require_http_methods(["GET", "POST"])
@staff_page
def channel_access(request, slug):
    """Who of the channel's recipients still lacks open tips, and granting them all at once."""
    result = None
    if request.method == "POST":
        result = _or_404(services.grant_all, request.user, request.private_key, slug, request.POST.get("grantee", ""))
        result = {"grantee": request.POST["grantee"], "granted": result.granted, "remaining": result.remaining}
    channel, waiting = _or_404(services.access_overview, request.user, slug)
    context = {"channel": channel, "waiting": waiting, "result": result, "joining": joining.waiting(channel)}
    return render(request, "casework/channel_access.html", context)


@require_POST
@staff_page
def channel_joining(request, slug):
    """A recipient approves or refuses someone an admin chose for the channel, then back to its access page."""
    channel, _waiting = _or_404(services.access_overview, request.user, slug)
    form = JoiningForm(request.POST)
    if not form.is_valid():
        raise BadRequest("Choose a person and approve or refuse.")
    try:
        joining.decide(request.user, channel, form.cleaned_data["username"], form.cleaned_data["decision"] == "approve")
    except joining.CannotApprove as refusal:
        raise BadRequest(str(refusal)) from None
    return redirect("casework:channel_access", slug=channel.slug)


@require_GET
@staff_page
def download(request, tip_id, file_id):
    view, chunks = _or_404(services.download, request.user, request.private_key, tip_id, file_id)
    response = StreamingHttpResponse(chunks, content_type="application/octet-stream")
    response.headers["Content-Disposition"] = _attachment_header(view.name)
    return response


@require_http_methods(["GET", "POST"])
@staff_page
def handover(request, tip_id):
    """Choose what a PDF copy leaves out (nothing: the whole tip), then download it."""
    opened, _tip_key = _or_404(
        services.open_tip_and_key, request.user, request.private_key, tip_id
    )  # as the zip: none of a tip only tipline-reader opens
    parts = handover_pdf.parts_of(opened)
    form = HandoverForm([part.id for part in parts], request.POST if request.method == "POST" else None)
    unmatched = []
    if request.method == "POST" and form.is_valid():
        redaction = handover_pdf.Redaction(form.cleaned_data["leave_out"], form.cleaned_data["passages"])
        unmatched = redaction.unmatched(parts)
        if not unmatched or form.cleaned_data["despite_unmatched"]:
            name, pdf = handover_pdf.hand_over(request.user, opened, parts, redaction)
            response = HttpResponse(pdf, content_type="application/pdf")
            response.headers["Content-Disposition"] = _attachment_header(name)
            return response
    context = {
        "tip": opened.tip,
        "parts": parts,
        "form": form,
        "left_out": set(request.POST.getlist("leave_out")),
        "unmatched": unmatched,
    }
    return render(request, "casework/handover.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@staff_page
def destroy(request, tip_id):
    """Destroy a tip as spam, after a page that says what that means and asks to confirm."""
    tip = _or_404(services.find_tip, request.user, tip_id)
    form = DestroyForm(request.POST if request.method == "POST" else None)
    try:
        if request.method == "POST" and form.is_valid():
            reference = _or_404(spam.destroy_as_spam, request.user, tip_id)
            return render(request, "casework/destroy.html", {"destroyed": reference})
        spam.check_destroyable(request.user, tip_id)
    except spam.CannotDestroy as refusal:
        return render(request, "casework/destroy.html", {"tip": tip, "refusal": str(refusal)}, status=409)
    return render(request, "casework/destroy.html", {"tip": tip, "form": form}, status=400 if form.errors else 200)


@require_POST
@staff_page
def export_zip(request, tip_id):
    name, chunks = _or_404(export.export_tip, request.user, request.private_key, tip_id)
    response = StreamingHttpResponse(chunks, content_type="application/zip")
    response.headers["Content-Disposition"] = _attachment_header(name)
    return response


def _or_404(service, *args):
    try:
        return service(*args)
    except services.TipNotFound:
        raise Http404("No such tip in your channels.") from None
    except services.CannotGrant as refusal:
        raise BadRequest(str(refusal)) from None


def _attachment_header(name: str) -> str:
    from urllib.parse import quote

    return f"attachment; filename*=UTF-8''{quote(name)}"
