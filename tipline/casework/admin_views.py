"""Admin pages: accounts, channels (with their forms as YAML, import and export) and the
audit log. Admin role only; no tip content is shown here."""

import csv
import io
from datetime import UTC, datetime, time, timedelta

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tipline.accounts.access import admin_page
from tipline.accounts.models import User
from tipline.accounts.services import AccountError
from tipline.audit.services import verify_chain
from tipline.casework import admin_services, form_editor
from tipline.core import duties, joining
from tipline.core.channel_schema import ChannelFormatError, export_channel, parse_document
from tipline.core.joining import CannotReset
from tipline.core.models import Channel, FieldKind
from tipline.core.uploads import UploadRefused

MAX_CHANNEL_FILE_BYTES = 1024 * 1024
NEW_CHANNEL_TEMPLATE = """slug: new-channel
name: New channel
description: What tipsters should know before they write.
fields:
  - key: tip
    kind: long_text
    label: Your tip
    required: true
"""


class NewUserForm(forms.Form):
    username = forms.SlugField(max_length=150, label=gettext_lazy("Username"))
    admin = forms.BooleanField(required=False, label=gettext_lazy("Admin"))
    channels = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label=gettext_lazy("Recipient of")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channels"].choices = [(channel.slug, channel.name) for channel in Channel.objects.all()]


class ConfirmForm(forms.Form):
    """Ticked on the confirmation step: the admin has read what the action leaves unread."""

    confirmed = forms.BooleanField()


class ChannelForm(forms.Form):
    document = forms.CharField(
        label=gettext_lazy("Channel and form (YAML or JSON)"),
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "false"}),
        help_text=gettext_lazy(
            "The format is described in docs/channels.md. Answers already received keep their labels."
        ),
    )
    recipients = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label=gettext_lazy("Recipients")
    )
    upload = forms.FileField(required=False, label=gettext_lazy("Or import a file"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipients"].choices = [
            (user.username, user.username) for user in User.objects.filter(is_active=True)
        ]


@require_GET
@admin_page
def admin_home(request):
    entries_shown = admin_services.audit_entries_for(request.user).count()
    return render(request, "casework/admin_home.html", {"chain": verify_chain(), "entries_shown": entries_shown})


@require_http_methods(["GET", "POST"])
@admin_page
def users(request):
    form = NewUserForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        roles = ["admin"] * form.cleaned_data["admin"] + ["recipient"] * bool(form.cleaned_data["channels"])
        try:
            created = admin_services.add_user(
                request.user, form.cleaned_data["username"], roles or ["recipient"], form.cleaned_data["channels"]
            )
            form = NewUserForm()
        except AccountError as refusal:
            form.add_error(None, str(refusal))
    context = {
        "form": form,
        "created": created,
        "users": User.objects.order_by("username").prefetch_related("channels"),
    }
    return render(request, "casework/admin_users.html", context, status=400 if form.errors else 200)


@require_POST
@admin_page
def user_action(request, username, action):
    user = get_object_or_404(User, username=username)
    if action not in ("disable", "enable", "reset"):
        raise Http404("No such action.")
    try:
        if action == "reset":
            return _reset(request, user)
        if action == "disable" and not ConfirmForm(request.POST).is_valid():
            left_unread = admin_services.channels_left_unread_without(user)
            if left_unread:
                admin_services.check_keeps_an_admin(user)
                return _users_page(request, confirm_disable=user, left_unread=left_unread)
        admin_services.set_active(request.user, user, action == "enable")
    except (AccountError, CannotReset) as refusal:
        return _users_page(request, status=400, refused=str(refusal))
    return redirect("casework:admin_users")


def _reset(request, user):
    """Reset in two steps: first what it would leave unreadable, then the reset once confirmed
    (by typing the number of tips it leaves unreadable for good, when there are any)."""
    left = admin_services.left_unread_by_reset(request.user, user)
    if not ConfirmForm(request.POST).is_valid():
        admin_services.check_keeps_an_admin(user)
        joining.check_reset_leaves_an_approver(user)
        return _users_page(request, confirm_reset=user, left=left, name_needed=admin_services.reset_needs_the_name())
    try:
        login = admin_services.reset_user(
            request.user.username, user, request.POST.get("unreadable"), viewer=request.user
        )
    except admin_services.NotConfirmed as refusal:
        return _users_page(
            request,
            status=400,
            confirm_reset=user,
            left=left,
            typed_problem=str(refusal),
            name_needed=admin_services.reset_needs_the_name(),
        )
    context = {
        "form": NewUserForm(),
        "created": login,
        "users": User.objects.order_by("username"),
        "was_reset": True,
        "left": left,
    }
    return render(request, "casework/admin_users.html", context)


def _users_page(request, status: int = 200, **extra):
    """The accounts page again, with why an action was refused or what it would leave unread."""
    context = {"form": NewUserForm(), "users": User.objects.order_by("username").prefetch_related("channels"), **extra}
    return render(request, "casework/admin_users.html", context, status=status)


@require_GET
@admin_page
def channels(request):
    return render(request, "casework/admin_channels.html", {"channels": Channel.objects.prefetch_related("recipients")})


@require_http_methods(["GET", "POST"])
@admin_page
def channel_edit(request, slug=None):
    channel = get_object_or_404(Channel, slug=slug) if slug else None
    initial = {
        "document": export_channel(channel) if channel else NEW_CHANNEL_TEMPLATE,
        "recipients": list(channel.recipients.values_list("username", flat=True)) if channel else [],
    }
    form = ChannelForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("upload")
        try:
            text = (
                upload.read_and_discard(MAX_CHANNEL_FILE_BYTES).decode("utf-8", "replace")
                if upload
                else form.cleaned_data["document"]
            )
            spec = parse_document(text, upload.name if upload else "channel.yaml")
            saved, _created = admin_services.save_channel(
                request.user.username,
                spec,
                form.cleaned_data["recipients"],
                viewer=request.user,
                typed=request.POST.get("unreadable"),
            )
        except admin_services.NotConfirmed as refusal:
            _ask_to_type_the_number(
                form,
                admin_services.left_unread_by_channel_change(request.user, spec.slug, form.cleaned_data["recipients"]),
                refusal,
            )
        except ChannelFormatError as refusal:
            for problem in refusal.problems:  # one line each, beside the text they concern
                form.add_error("document", problem)
        except UploadRefused as refusal:
            form.add_error("upload", str(refusal))
        else:
            return redirect(reverse("casework:admin_channel_edit", args=[saved.slug]) + "?saved=1")
    context = {
        "form": form,
        "channel": channel,
        "changes": admin_services.recipient_history(channel) if channel else [],
        "offline_keys": channel.offline_keys.select_related("uploaded_by").order_by("-created_at") if channel else [],
        "saved": request.method == "GET" and request.GET.get("saved") == "1",
    }
    return render(request, "casework/admin_channel.html", context, status=400 if form.errors else 200)


def _ask_to_type_the_number(form, left, refusal) -> None:
    """Taking recipients out would leave tips unreadable for good: a box to type their number in."""
    form.fields["unreadable"] = forms.CharField(
        required=False,
        label=_("Tips left unreadable for good"),
        help_text=ngettext(
            "%(count)d tip of this channel can be read only by %(people)s, and the recovery key cannot grant it again: "
            "taken out of the channel, nobody could ever read it. Keep them as recipients, or have them grant it to a "
            "colleague first.",
            "%(count)d tips of this channel can be read only by %(people)s, and the recovery key cannot grant them "
            "again: taken out of the channel, nobody could ever read them. Keep them as recipients, or have them grant "
            "them to a colleague first.",
            left.lost,
        )
        % {"count": left.lost, "people": left.person},
    )
    form.add_error("unreadable", str(refusal))


@require_http_methods(["GET", "POST"])
@admin_page
def channel_form_editor(request, slug):
    """The channel's form edited field by field (form_editor); Save goes back to the channel."""
    channel = get_object_or_404(Channel, slug=slug)
    if request.method == "GET":
        editor = form_editor.blank_editor(channel)
    else:
        editor, saved = form_editor.handle(channel, request.POST, request.POST.get("action", ""), request.user.username)
        if saved:
            return redirect(reverse("casework:admin_channel_edit", args=[channel.slug]) + "?saved=1")
    status = 400 if editor.problems else 200
    context = {"editor": editor, "channel": channel, "kinds": FieldKind.choices}
    return render(request, "casework/admin_form_editor.html", context, status=status)


@require_GET
@admin_page
def channel_export(request, slug, file_format):
    channel = get_object_or_404(Channel, slug=slug)
    as_json = file_format == "json"
    response = HttpResponse(
        export_channel(channel, as_json=as_json), content_type="application/json" if as_json else "application/yaml"
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{channel.slug}.{file_format}"'
    return response


@require_GET
@admin_page
def audit_log(request):
    # Neither entry numbers nor the chain's total are shown, only what this person may see:
    # gaps would tell of the entries left out.
    visible = admin_services.audit_entries_for(request.user)
    entries = visible.order_by("-id")
    if request.GET.get("actor"):
        entries = entries.filter(actor=request.GET["actor"])
    if request.GET.get("action"):
        entries = entries.filter(action=request.GET["action"])
    actions = visible.order_by("action").values_list("action", flat=True).distinct()
    context = {
        "entries": entries[:200],
        "actions": actions,
        "chain": verify_chain(),
        "entries_shown": visible.count(),
        "query": request.GET,
    }
    return render(request, "casework/admin_audit.html", context)


class DutyReportForm(forms.Form):
    channel = forms.ChoiceField(required=False, label=gettext_lazy("Channel"))
    start = forms.DateField(
        required=False, label=gettext_lazy("Received from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        required=False, label=gettext_lazy("Received before"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [
            ("", _("All channels")),
            *((channel.slug, channel.name) for channel in Channel.objects.all()),
        ]

    def period(self):
        """The chosen channels and [start, end) as aware datetimes (default: the last 365 days)."""
        chosen = self.cleaned_data if self.is_valid() else {}
        now = timezone.now()
        start = chosen.get("start") or (now - timedelta(days=365)).date()
        end = chosen.get("end") or (now + timedelta(days=1)).date()
        channels = Channel.objects.filter(slug=chosen["channel"]) if chosen.get("channel") else Channel.objects.all()
        as_moment = lambda day: datetime.combine(day, time.min, tzinfo=UTC)  # noqa: E731
        return channels, as_moment(start), as_moment(end)


@require_GET
@admin_page
def duty_report(request):
    form = DutyReportForm(request.GET or None)
    channels, start, end = form.period()
    rows = duties.report(channels, start, end, timezone.now(), request.user)
    context = {"form": form, "rows": rows, "start": start, "end": end, "query": request.GET.urlencode()}
    return render(request, "casework/admin_duties.html", context)


@require_GET
@admin_page
def duty_report_csv(request):
    channels, start, end = DutyReportForm(request.GET or None).period()
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(
        ["channel", "tips", "duty", "in_time", "late", "overdue", "pending", "share_in_time", "overdue_tip_ids"]
    )
    for row in duties.report(channels, start, end, timezone.now(), request.user):
        for kind, figures in row.duty_rows:
            share = "" if figures.share_in_time is None else f"{figures.share_in_time:.3f}"
            writer.writerow(
                [
                    row.channel.slug,
                    row.tips,
                    kind,
                    figures.in_time,
                    figures.late,
                    len(figures.overdue_ids),
                    figures.pending,
                    share,
                    " ".join(figures.overdue_ids),
                ]
            )
    response = HttpResponse(output.getvalue(), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="answering-duties-{start:%Y%m%d}-{end:%Y%m%d}.csv"'
    return response
