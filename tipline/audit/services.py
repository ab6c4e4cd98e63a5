"""Writing and verifying the audit log. Entries never hold tip content: only who, what
action, which tip or user, and small details such as a new status."""

import hashlib
import json
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from tipline.audit.models import AuditEntry, ChainHead

GENESIS = "0" * 64


class Action:
    SIGN_IN = "sign-in"
    SIGN_IN_FAILED = "sign-in-failed"
    SECOND_FACTOR_LOCKED = "second-factor-locked"
    SIGN_OUT = "sign-out"
    ACCOUNT_ACTIVATED = "account-activated"
    TIP_OPENED = "tip-opened"
    TIP_EXPORTED = "tip-exported"
    FILE_DOWNLOADED = "file-downloaded"
    REPLY_SENT = "reply-sent"
    NOTE_ADDED = "note-added"
    STATUS_CHANGED = "status-changed"
    LABELS_CHANGED = "labels-changed"
    ASSIGNEE_CHANGED = "assignee-changed"
    ACCESS_GRANTED = "access-granted"
    USER_CREATED = "user-created"
    USER_CHANGED = "user-changed"
    USER_RESET = "user-reset"
    CHANNEL_CHANGED = "channel-changed"
    ORGANISATION_CHANGED = "organisation-changed"
    MEMBERS_ADDED = "members-added"
    MEMBER_RESET = "member-reset"
    INSIDER_KEYS_ROTATED = "insider-keys-rotated"
    SETTING_CHANGED = "setting-changed"
    TIP_HELD = "tip-held"
    TIP_RELEASED = "tip-released"
    TIP_PURGED = "tip-purged"
    PREFERENCES_CHANGED = "preferences-changed"
    API_TOKEN_CREATED = "api-token-created"
    API_TOKEN_REVOKED = "api-token-revoked"
    ROUTE_ADDED = "route-added"
    ROUTE_REMOVED = "route-removed"
    ROUTE_TESTED = "route-tested"
    DEADLINE_CHANGED = "deadline-changed"


def entry_digest(previous_hash: str, at, actor: str, action: str, target: str, details: dict) -> str:
    canonical = json.dumps(
        [previous_hash, at.isoformat(), actor, action, target, details], sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def record(actor: str, action: str, target: str = "", **details) -> AuditEntry:
    """Append one entry; joins the caller's transaction, so it commits or rolls back with the act."""
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1, defaults={"last_hash": GENESIS})
        at = timezone.now().replace(microsecond=0)
        digest = entry_digest(head.last_hash, at, actor, action, target, details)
        entry = AuditEntry.objects.create(
            at=at, actor=actor, action=action, target=target, details=details,
            previous_hash=head.last_hash, entry_hash=digest,
        )
        head.last_hash = digest
        head.save(update_fields=["last_hash"])
    return entry


@dataclass(frozen=True)
class ChainReport:
    entries: int
    first_broken_id: int | None
    reason: str = ""


def verify_chain() -> ChainReport:
    """Walk the log in order; report the first entry whose link or content does not match."""
    previous = GENESIS
    count = 0
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        count += 1
        if entry.previous_hash != previous:
            return ChainReport(count, entry.id, "it does not point to the entry before it (a row was removed or reordered)")
        expected = entry_digest(previous, entry.at, entry.actor, entry.action, entry.target, entry.details)
        if entry.entry_hash != expected:
            return ChainReport(count, entry.id, "its content was changed after it was written")
        previous = entry.entry_hash
    head = ChainHead.objects.filter(pk=1).first()
    if head is not None and head.last_hash != previous:
        return ChainReport(count, None, "the newest entries were removed")
    return ChainReport(count, None)
