"""Writing and verifying the audit log. Entries never hold tip content: only who, what
action, which tip or user, and small details such as a new status.

Each entry's hash is an HMAC-SHA256 under a key derived from the secret key file and
covers the hash before it: editing, removing or reordering rows cannot be made consistent
again without that file. Removing the newest rows (and pointing the head back) is caught
by the signed, chained checkpoints outside the database (tipline.audit.checkpoints)."""

import hashlib
import hmac
import json
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from tipline.audit.models import AuditEntry, ChainHead
from tipline.base.site_keys import site_key

GENESIS = "0" * 64


class Action:
    SIGN_IN = "sign-in"
    SIGN_IN_FAILED = "sign-in-failed"
    SECOND_FACTOR_LOCKED = "second-factor-locked"
    PUBLIC_KEY_REFUSED = "public-key-refused"
    PASSWORD_RECOVERED = "password-recovered"
    PASSWORD_CHANGED = "password-changed"
    AUTHENTICATOR_REPLACED = "authenticator-replaced"
    PASSKEY_ADDED = "passkey-added"
    PASSKEY_REMOVED = "passkey-removed"
    RESTORED_WITHOUT_SECRET_KEY = "restored-without-secret-key"
    SIGN_OUT = "sign-out"
    ACCOUNT_ACTIVATED = "account-activated"
    TIP_OPENED = "tip-opened"
    TIP_EXPORTED = "tip-exported"
    FILE_DOWNLOADED = "file-downloaded"
    REPLY_SENT = "reply-sent"
    NOTE_ADDED = "note-added"
    TITLE_CHANGED = "title-changed"
    STATUS_CHANGED = "status-changed"
    LABELS_CHANGED = "labels-changed"
    ASSIGNEE_CHANGED = "assignee-changed"
    ACCESS_GRANTED = "access-granted"
    ACCESS_GRANTED_IN_BULK = "access-granted-in-bulk"
    USER_CREATED = "user-created"
    USER_CHANGED = "user-changed"
    USER_RESET = "user-reset"
    CHANNEL_CHANGED = "channel-changed"
    JOINING_ASKED = "joining-asked"
    JOINING_APPROVED = "joining-approved"
    JOINING_REFUSED = "joining-refused"
    ORGANISATION_CHANGED = "organisation-changed"
    MEMBERS_ADDED = "members-added"
    MEMBER_RESET = "member-reset"
    INSIDER_KEYS_ROTATED = "insider-keys-rotated"
    SETTING_CHANGED = "setting-changed"
    TIP_HELD = "tip-held"
    TIP_RELEASED = "tip-released"
    TIP_PURGED = "tip-purged"
    TIP_DESTROYED_AS_SPAM = "tip-destroyed-as-spam"
    PREFERENCES_CHANGED = "preferences-changed"
    API_TOKEN_CREATED = "api-token-created"
    API_TOKEN_REVOKED = "api-token-revoked"
    ROUTE_ADDED = "route-added"
    ROUTE_REMOVED = "route-removed"
    ROUTE_TESTED = "route-tested"
    DEADLINE_CHANGED = "deadline-changed"
    CHANNEL_KEY_SET = "channel-key-set"
    CHANNEL_KEY_ROTATED = "channel-key-rotated"
    CHANNEL_KEY_REFUSED = "channel-key-refused"
    TIPS_RESEALED = "tips-resealed"
    TIPS_SYNCED = "tips-synced"
    READER_VOUCHED = "reader-vouched"
    RECOVERY_KEY_INSTALLED = "recovery-key-installed"
    RECOVERY_KEY_REFUSED = "recovery-key-refused"
    RECOVERY_KEY_FORGOTTEN = "recovery-key-forgotten"
    RECOVERY_TIPS_RESEALED = "recovery-tips-resealed"


# Entries that record a tip's destruction; for a tip whose tipster chose its readers they
# name those readers (user ids, under "readers"), the only ones who may still see its entries.
DESTRUCTIONS = (Action.TIP_PURGED, Action.TIP_DESTROYED_AS_SPAM)


def audit_key(secret: str | None = None) -> bytes:
    """The chain's key, derived from the site's secret key file, which is not in the database:
    whoever can only write the database cannot compute a valid link."""
    return site_key(b"tipline-audit", secret)


def entry_digest(
    previous_hash: str, at, actor: str, action: str, target: str, details: dict, key: bytes | None = None
) -> str:
    canonical = json.dumps(
        [previous_hash, at.isoformat(), actor, action, target, details], sort_keys=True, separators=(",", ":")
    )
    return hmac.new(key or audit_key(), canonical.encode(), hashlib.sha256).hexdigest()


def record(actor: str, action: str, target: str = "", at=None, **details) -> AuditEntry:
    """Append one entry; joins the caller's transaction, so it commits or rolls back with the act."""
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1, defaults={"last_hash": GENESIS})
        at = at or timezone.now().replace(microsecond=0)
        digest = entry_digest(head.last_hash, at, actor, action, target, details)
        entry = AuditEntry.objects.create(
            at=at,
            actor=actor,
            action=action,
            target=target,
            details=details,
            previous_hash=head.last_hash,
            entry_hash=digest,
        )
        head.last_hash = digest
        head.save(update_fields=["last_hash"])
    return entry


def record_once_this_hour(actor: str, action: str, target: str = "", **details) -> AuditEntry | None:
    """For what a tipster's attempt brings to light (a refused key): one entry per clock hour,
    stamped with the hour, so that the log does not tell the second of each attempt."""
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    with transaction.atomic():
        ChainHead.objects.select_for_update().get_or_create(pk=1, defaults={"last_hash": GENESIS})
        if AuditEntry.objects.filter(action=action, target=target, at__gte=hour).exists():
            return None
        return record(actor, action, target, at=hour, **details)


@dataclass(frozen=True)
class ChainReport:
    entries: int
    first_broken_id: int | None
    reason: str = ""
    checkpoint_entries: int | None = None  # what the latest checkpoint vouches for; None: no checkpoint yet
    uncovered: int = 0  # entries written after the latest checkpoint
    unwitnessed: bool = False  # entries exist but no checkpoint was ever written

    @property
    def intact(self) -> bool:
        return self.first_broken_id is None and not self.reason


def verify_chain(key: bytes | None = None) -> ChainReport:
    """Walk the log in order and report the first entry whose link or content does not
    match; then hold the log against the latest signed checkpoint kept outside the database."""
    from tipline.audit import checkpoints

    key = key or audit_key()
    walked = _walk(key)
    if not walked.intact:
        return walked
    return checkpoints.witness(walked.entries, key)


def _walk(key: bytes) -> ChainReport:
    previous = GENESIS
    count = 0
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        count += 1
        if entry.previous_hash != previous:
            return ChainReport(
                count, entry.id, "it does not point to the entry before it (a row was removed or reordered)"
            )
        expected = entry_digest(previous, entry.at, entry.actor, entry.action, entry.target, entry.details, key)
        if not hmac.compare_digest(entry.entry_hash, expected):
            return ChainReport(count, entry.id, "its content was changed after it was written")
        previous = entry.entry_hash
    head = ChainHead.objects.filter(pk=1).first()
    if head is not None and head.last_hash != previous:
        return ChainReport(count, None, "the newest entries were removed")
    return ChainReport(count, None)


@transaction.atomic
def rekey(old_secret: str) -> int:
    """After the secret key file was replaced: check the chain under the old key, then link
    it again under the new one (and sign the checkpoints again). Refuses a broken chain."""
    from tipline.audit import checkpoints

    old_key, new_key = audit_key(old_secret), audit_key()
    report = verify_chain(old_key)
    if not report.intact and not report.unwitnessed:
        raise ValueError(f"the audit log does not verify under the old key: {report.reason or report.first_broken_id}")
    _link_under(new_key)
    checkpoints.resign(new_key)
    return report.entries


@transaction.atomic
def relink_as_it_is() -> int:
    """A restore without the old secret key file: the chain cannot be checked, only linked
    again under this instance's key as the restored archive holds it (the caller says so)."""
    from tipline.audit import checkpoints

    count = _link_under(audit_key())
    checkpoints.write_checkpoint(restart=True)
    return count


def _link_under(key: bytes) -> int:
    previous, count = GENESIS, 0
    for entry in AuditEntry.objects.select_for_update().order_by("id"):
        digest = entry_digest(previous, entry.at, entry.actor, entry.action, entry.target, entry.details, key)
        AuditEntry.objects.filter(pk=entry.pk).update(previous_hash=previous, entry_hash=digest)
        previous, count = digest, count + 1
    ChainHead.objects.update_or_create(pk=1, defaults={"last_hash": previous})
    return count
