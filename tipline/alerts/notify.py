"""Content-free notices: which channel, what kind of event, how much time is left, and a
link to sign in. Never an answer, a file name, a message or a label: every text and
payload is built here from those things only (and the event's id, for receivers that
drop a repeat; for a change of recipients, the staff names it is about), so nothing else
can slip in."""

import hashlib
import hmac
import json
import time
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

# Emails are written in each recipient's language (the caller activates it); chat and push
# texts in the site's language; the signed webhook sends only the event's code.
EVENTS = {
    "new-tip": gettext_lazy("A new tip arrived"),
    "new-message": gettext_lazy("A tipster wrote a new message"),
    "deadline-soon": gettext_lazy("A tip's deadline is near"),
    "deadline-passed": gettext_lazy("A tip's deadline passed while it was still new"),
    "acknowledgement-soon": gettext_lazy("A tip must be acknowledged soon"),
    "feedback-soon": gettext_lazy("A tipster must be given feedback soon"),
    "acknowledgement-overdue": gettext_lazy("A tip's acknowledgement is overdue"),
    "feedback-overdue": gettext_lazy("A tipster's feedback is overdue"),
    "escalation": gettext_lazy("Nobody has acted on a deadline alert"),
    "recipients-changed": gettext_lazy("The recipients of a channel changed"),
    "joining-asked": gettext_lazy("Someone is to become a recipient of a channel; a current recipient must approve"),
    "recipient-reset": gettext_lazy("A recipient's account was reset with a one-time password"),
    "recipient-reset-waiting": gettext_lazy("A recipient's account was reset and waits for approval again"),
    "recipient-key-refused": gettext_lazy("A recipient's key failed its check; new tips are not sealed to it"),
    "channel-key-changed": gettext_lazy("The offline key of a channel was set or replaced in tipline-reader"),
    "channel-key-refused": gettext_lazy("Offline key failed its check; tips refused"),
    "channel-setting-refused": gettext_lazy("Offline-key setting failed its check; tips refused"),
    "recovery-key-refused": gettext_lazy("The recovery key failed its check; new tips are not sealed to it"),
    "storage-budget-reached": gettext_lazy(
        "A channel stored as many files as it may this hour; tipsters' files are refused until the hour ends"
    ),
    "test": gettext_lazy("Test alert: this route works"),
}
URGENT_EVENTS = (
    "deadline-soon",
    "deadline-passed",
    "acknowledgement-overdue",
    "feedback-overdue",
    "escalation",
    "recipient-key-refused",
    "channel-key-changed",
    "channel-key-refused",
    "channel-setting-refused",
    "recovery-key-refused",
)
# What a failed check means, and what to do: the headline alone cannot say it.
EXPLANATIONS = {
    "channel-key-refused": gettext_lazy(
        "The channel's offline key, or its offline-key setting, is not what the site vouched for. "
        "Compare the key's fingerprint with your readers' and run tipline check."
    ),
    "channel-setting-refused": gettext_lazy(
        "This channel has no offline key, but its offline-key setting no longer matches the site's check: "
        "it was changed outside Tipline, or the site's secret key file changed. Run tipline check."
    ),
    "recovery-key-refused": gettext_lazy(
        "The recovery key in the database is not the one an admin installed: it was changed outside Tipline. "
        "Tips are still stored for their recipients. Run tipline check and tipline recovery-key show."
    ),
}


@dataclass(frozen=True)
class Notice:
    event: str
    channel: str
    seconds_left: int | None = None
    id: str = ""
    # Who joined, left, asks to join or was reset, and who did it (recipients-changed, joining-asked, recipient-reset).
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed_by: str = ""
    reset: tuple[str, ...] = ()

    def __post_init__(self):
        if self.event not in EVENTS:
            raise ValueError(f"unknown event {self.event!r}")


def sign_in_link() -> str:
    """The sign-in page in the active language: a recipient's own, in their emails."""
    return settings.BASE_URL.rstrip("/") + reverse("accounts:sign_in")


def time_left_text(seconds: int | None) -> str:
    if seconds is None:
        return ""
    hours = max(0, round(seconds / 3600))
    if seconds <= 0:
        return _("The deadline has passed.")
    return ngettext("Time left: about %(hours)d hour.", "Time left: about %(hours)d hours.", hours) % {"hours": hours}


def people_text(notice: Notice) -> str:
    """Who the change is about, so that a recipient can tell their own colleague from a stranger."""
    lines = []
    if notice.added:
        if notice.event == "joining-asked":
            lines.append(_("To become a recipient: %(names)s.") % {"names": ", ".join(notice.added)})
        else:
            lines.append(_("Now a recipient: %(names)s.") % {"names": ", ".join(notice.added)})
    if notice.removed:
        lines.append(_("No longer a recipient: %(names)s.") % {"names": ", ".join(notice.removed)})
    if notice.reset:
        lines.append(_("Reset: %(names)s.") % {"names": ", ".join(notice.reset)})
    if notice.changed_by:
        lines.append(_("Changed by: %(name)s.") % {"name": notice.changed_by})
    return " ".join(lines)


def headline(notice: Notice) -> str:
    return _("%(event)s in the channel “%(channel)s”.") % {"event": EVENTS[notice.event], "channel": notice.channel}


def email_subject(notice: Notice) -> str:
    return _("[Tipline] %(event)s in %(channel)s") % {"event": EVENTS[notice.event], "channel": notice.channel}


def email_body(notice: Notice) -> str:
    lines = [headline(notice)]
    if notice.seconds_left is not None:
        lines.append(time_left_text(notice.seconds_left))
    if people_text(notice):
        lines.append(people_text(notice))
    if notice.event in EXPLANATIONS:
        lines.append(str(EXPLANATIONS[notice.event]))
    lines += [
        "",
        _("Sign in to read it: %(link)s") % {"link": sign_in_link()},
        "",
        _("This message holds no tip content by design."),
    ]
    return "\n".join(lines) + "\n"


def digest_subject() -> str:
    return _("[Tipline] Your digest")


def digest_body(counts: dict[tuple[str, str], int]) -> str:
    lines = [_("Since the last digest:"), ""]
    lines += [
        _("- %(event)s in “%(channel)s”: %(count)d") % {"event": EVENTS[event], "channel": channel, "count": count}
        for (channel, event), count in sorted(counts.items())
    ]
    lines += ["", _("Sign in to read them: %(link)s") % {"link": sign_in_link()}]
    return "\n".join(lines) + "\n"


def chat_text(notice: Notice) -> str:
    """One short paragraph for chat rooms and phones, in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        parts = [
            "[Tipline] " + headline(notice),
            time_left_text(notice.seconds_left),
            people_text(notice),
            _("Sign in: %(link)s") % {"link": sign_in_link()},
        ]
    return " ".join(part for part in parts if part)


def _json(body: dict) -> bytes:
    return json.dumps(body, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def webhook_payload(notice: Notice) -> bytes:
    with translation.override(settings.LANGUAGE_CODE):  # machines read one address, whoever triggered it
        link = sign_in_link()
    return _json(
        {
            "id": notice.id,
            "event": notice.event,
            "channel": notice.channel,
            "seconds_left": notice.seconds_left,
            "link": link,
        }
    )


def slack_payload(notice: Notice) -> bytes:
    """Slack's incoming-webhook message; Mattermost and Rocket.Chat take the same."""
    return _json({"text": chat_text(notice)})


def teams_payload(notice: Notice) -> bytes:
    """An Adaptive Card message, the one format Teams workflow webhooks take."""
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [{"type": "TextBlock", "text": chat_text(notice), "wrap": True}],
    }
    return _json(
        {
            "type": "message",
            "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}],
        }
    )


def matrix_payload(notice: Notice) -> bytes:
    return _json({"msgtype": "m.text", "body": chat_text(notice)})


def ntfy_payload(notice: Notice, topic: str) -> bytes:
    """ntfy's JSON publishing: urgent events ring at high priority."""
    with translation.override(settings.LANGUAGE_CODE):
        title, link = email_subject(notice), sign_in_link()
    return _json(
        {
            "topic": topic,
            "title": title,
            "message": chat_text(notice),
            "click": link,
            "priority": 5 if notice.event == "escalation" else 4 if notice.event in URGENT_EVENTS else 3,
            "tags": ["tipline"],
        }
    )


def webhook_signature(secret: str, timestamp: str, payload: bytes) -> str:
    """HMAC-SHA256 over `timestamp.payload`; receivers recompute it and compare in constant time."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + payload, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def webhook_headers(secret: str, payload: bytes) -> dict[str, str]:
    timestamp = str(int(time.time()))
    return {
        "Content-Type": "application/json",
        "X-Tipline-Timestamp": timestamp,
        "X-Tipline-Signature": webhook_signature(secret, timestamp, payload),
    }
