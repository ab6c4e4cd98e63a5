"""The audit chain was plain SHA-256, which anyone who can write the database can
recompute. Link it again under the key derived from the secret key file, but only if it
verifies as it stands: a chain already broken is left broken, for `tipline audit verify`
to report, never laundered."""

import hashlib
import hmac
import json

from django.conf import settings
from django.db import migrations

GENESIS = "0" * 64


def _canonical(previous, entry) -> bytes:
    return json.dumps(
        [previous, entry.at.isoformat(), entry.actor, entry.action, entry.target, entry.details],
        sort_keys=True,
        separators=(",", ":"),
    ).encode()


def rekey(apps, schema_editor):
    AuditEntry = apps.get_model("audit", "AuditEntry")
    ChainHead = apps.get_model("audit", "ChainHead")
    entries = list(AuditEntry.objects.order_by("id"))
    previous = GENESIS
    for entry in entries:
        if (
            entry.previous_hash != previous
            or entry.entry_hash != hashlib.sha256(_canonical(previous, entry)).hexdigest()
        ):
            return
        previous = entry.entry_hash
    head = ChainHead.objects.filter(pk=1).first()
    if head is not None and head.last_hash != previous:
        return
    key = hashlib.blake2b(settings.SECRET_KEY.encode(), digest_size=32, person=b"tipline-audit").digest()
    previous = GENESIS
    for entry in entries:
        digest = hmac.new(key, _canonical(previous, entry), hashlib.sha256).hexdigest()
        AuditEntry.objects.filter(pk=entry.pk).update(previous_hash=previous, entry_hash=digest)
        previous = digest
    if head is not None:
        ChainHead.objects.filter(pk=1).update(last_hash=previous)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(rekey, migrations.RunPython.noop)]
