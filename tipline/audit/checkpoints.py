"""Signed checkpoints of the audit log, kept outside the database: one JSON line per
checkpoint (how many entries, the newest entry's id and hash, when), with an HMAC under
the audit key. Appended hourly by the worker and by `tipline audit checkpoint`; held
against the log by `tipline audit verify`, which so finds rows removed before the
checkpoint even when the chain and its head were made consistent again."""

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from tipline.audit.models import AuditEntry


class CheckpointForged(Exception):
    """A checkpoint line does not carry a valid signature: the file was edited."""


@dataclass(frozen=True)
class Checkpoint:
    entries: int
    last_id: int | None
    head: str
    at: str

    def fields(self) -> dict:
        return {"entries": self.entries, "last_id": self.last_id, "head": self.head, "at": self.at}


def write_checkpoint(key: bytes | None = None) -> Checkpoint:
    from tipline.audit.services import GENESIS, audit_key

    newest = AuditEntry.objects.order_by("-id").first()
    checkpoint = Checkpoint(
        entries=AuditEntry.objects.count(), last_id=newest.id if newest else None,
        head=newest.entry_hash if newest else GENESIS, at=timezone.now().replace(microsecond=0).isoformat(),
    )
    _append(_line(checkpoint, key or audit_key()))
    return checkpoint


def latest(key: bytes) -> Checkpoint | None:
    """The newest checkpoint; raises CheckpointForged if any line's signature is wrong."""
    found = None
    for number, line in enumerate(_lines(), start=1):
        try:
            data = json.loads(line)
            signature = data.pop("mac")
            checkpoint = Checkpoint(**data)
        except (ValueError, KeyError, TypeError):
            raise CheckpointForged(f"checkpoint line {number} of {path()} cannot be read") from None
        if not hmac.compare_digest(signature, _mac(checkpoint, key)):
            raise CheckpointForged(f"checkpoint line {number} of {path()} does not carry a valid signature")
        found = checkpoint
    return found


def compare(entries_now: int, checkpoint: Checkpoint):
    """The log against what the checkpoint vouches for: every entry up to its newest is there."""
    from tipline.audit.services import ChainReport

    kept = AuditEntry.objects.filter(id__lte=checkpoint.last_id).count() if checkpoint.last_id else 0
    missing = checkpoint.entries - kept
    newest = AuditEntry.objects.filter(id=checkpoint.last_id).first() if checkpoint.last_id else None
    uncovered = entries_now - kept
    if missing > 0 or (checkpoint.last_id and (newest is None or newest.entry_hash != checkpoint.head)):
        reason = f"{max(missing, 1)} entries recorded by the checkpoint of {checkpoint.at} are gone"
        return ChainReport(entries_now, None, reason, checkpoint.entries, uncovered)
    return ChainReport(entries_now, None, "", checkpoint.entries, uncovered)


def resign(old_key: bytes, new_key: bytes) -> None:
    """After a rekey: the checkpoints are checked under the old key, then replaced by one
    checkpoint of the chain as now linked under the new key (the old heads no longer exist)."""
    if latest(old_key) is None:
        return
    path().unlink()
    write_checkpoint(new_key)


def path() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_FILE)


def _lines() -> list[str]:
    try:
        return [line for line in path().read_text(encoding="utf-8").splitlines() if line.strip()]
    except FileNotFoundError:
        return []


def _line(checkpoint: Checkpoint, key: bytes) -> str:
    return json.dumps(checkpoint.fields() | {"mac": _mac(checkpoint, key)}, sort_keys=True)


def _mac(checkpoint: Checkpoint, key: bytes) -> str:
    canonical = json.dumps(checkpoint.fields(), sort_keys=True, separators=(",", ":"))
    return hmac.new(key, b"checkpoint:" + canonical.encode(), hashlib.sha256).hexdigest()


def _append(line: str) -> None:
    target = path()
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(descriptor, "a", encoding="utf-8") as checkpoint_file:
        checkpoint_file.write(line + "\n")
