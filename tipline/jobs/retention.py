"""Retention: a tip is destroyed its channel's retention period after its last activity,
unless a recipient put it on hold. Destruction is crypto-shredding first: the sealed and
wrapped tip keys are deleted and committed, so the content is unreadable at once even if
a later step fails; then the rows and blobs go. The audit log keeps that it happened.

Blobs that no stored file refers to (a server killed mid-upload, a delete that failed) are
swept once they are a day old: any request that wrote one has long ended."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from tipline.audit.services import Action, record
from tipline.core import blobs
from tipline.core.models import Attachment, Channel, Tip, TipKeyGrant

ORPHAN_BLOB_GRACE = timedelta(days=1)


def due_for_purge(now: datetime):
    for channel in Channel.objects.all():
        cutoff = now - timedelta(days=channel.retention_days)
        yield from Tip.objects.filter(channel=channel, on_hold=False, last_activity_hour__lt=cutoff)


def purge_due(now: datetime) -> int:
    purged = 0
    for tip in list(due_for_purge(now)):
        purge(tip)
        purged += 1
    return purged


def purge(tip: Tip) -> None:
    shred_keys(tip)
    remove(tip)


def shred_keys(tip: Tip, actor: str = "system", action: str = Action.TIP_PURGED) -> None:
    """Committed on its own: from here on no key opens the tip, whatever happens next.
    Audited as `action` by `actor` (retention's purge, or a recipient destroying spam)."""
    with transaction.atomic():
        readers = chosen_readers(tip)
        TipKeyGrant.objects.filter(tip=tip).delete()
        Tip.objects.filter(pk=tip.pk).update(
            tipster_wrapped_key=b"",
            receipt_lookup_id=tip.id.bytes * 2,
            receipt_tag=None,
            sealed_for_channel_key=None,
        )
        record(actor, action, str(tip.id), channel=tip.channel.slug, **readers)


def chosen_readers(tip: Tip) -> dict:
    """For a tip whose tipster chose its readers, their ids (the audit log shows its entries
    to them alone once the grants are gone); nothing for any other tip."""
    if not tip.restricted:
        return {}
    return {"readers": sorted(TipKeyGrant.objects.filter(tip=tip).values_list("recipient_id", flat=True))}


def remove(tip: Tip) -> None:
    blob_names = list(tip.attachments.values_list("blob_name", flat=True))
    with transaction.atomic():
        Tip.objects.filter(pk=tip.pk).delete()
    for name in blob_names:
        blobs.delete(name)


def sweep_orphan_blobs() -> int:
    referenced = set(Attachment.objects.values_list("blob_name", flat=True))
    orphans = list(blobs.unreferenced_older_than(referenced, timezone.now() - ORPHAN_BLOB_GRACE))
    for name in orphans:
        blobs.delete(name)
    return len(orphans)
