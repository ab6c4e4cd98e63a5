"""Content-free notifications: which channel, what kind of event, how much time is left,
and a link to sign in. Never an answer, a file name, a message or a label: the texts
are built here from those four things only, so nothing else can slip in.
"""

import hashlib
import hmac
import json
import time
from dataclasses import asdict, dataclass

from django.conf import settings

EVENTS = {
    "new-tip": "A new tip arrived",
    "new-message": "A tipster wrote a new message",
    "deadline-soon": "A tip's deadline is near",
    "deadline-passed": "A tip's deadline passed while it was still new",
    "acknowledgement-soon": "A tip must be acknowledged soon",
    "feedback-soon": "A tipster must be given feedback soon",
    "acknowledgement-overdue": "A tip's acknowledgement is overdue",
    "feedback-overdue": "A tipster's feedback is overdue",
}


@dataclass(frozen=True)
class Notice:
    event: str
    channel: str
    seconds_left: int | None = None

    def __post_init__(self):
        if self.event not in EVENTS:
            raise ValueError(f"unknown event {self.event!r}")


def sign_in_link() -> str:
    return settings.BASE_URL.rstrip("/") + "/staff/sign-in/"


def time_left_text(seconds: int | None) -> str:
    if seconds is None:
        return ""
    hours = max(0, round(seconds / 3600))
    return f"Time left: about {hours} hour{'s' if hours != 1 else ''}." if seconds > 0 else "The deadline has passed."


def email_subject(notice: Notice) -> str:
    return f"[Tipline] {EVENTS[notice.event]} in {notice.channel}"


def email_body(notice: Notice) -> str:
    lines = [f"{EVENTS[notice.event]} in the channel “{notice.channel}”."]
    if notice.seconds_left is not None:
        lines.append(time_left_text(notice.seconds_left))
    lines += ["", f"Sign in to read it: {sign_in_link()}", "", "This message holds no tip content by design."]
    return "\n".join(lines) + "\n"


def digest_body(counts: dict[tuple[str, str], int]) -> str:
    lines = ["Since the last digest:", ""]
    lines += [f"- {EVENTS[event]} in “{channel}”: {count}" for (channel, event), count in sorted(counts.items())]
    lines += ["", f"Sign in to read them: {sign_in_link()}"]
    return "\n".join(lines) + "\n"


def webhook_payload(notice: Notice) -> bytes:
    body = asdict(notice) | {"link": sign_in_link()}
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()


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
