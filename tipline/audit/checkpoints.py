"""Signed, chained checkpoints of the audit log, kept outside the database: one JSON line per
checkpoint (its sequence number, how many entries, the newest entry's id and hash, when, the
previous line's MAC), with an HMAC under the audit key. Appended hourly by the worker and by
`tipline audit checkpoint`; held against the log by `tipline audit verify`, which so finds
rows removed before the checkpoint even when the chain and its head were made consistent
again, and a checkpoint file deleted or cut back (the database keeps the newest sequence)."""

import hashlib
import hmac
import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tipline.audit.models import AuditEntry, ChainHead

logger = logging.getLogger(__name__)
# Where versions before issue 31 kept the file by default: inside the data directory.
LEGACY_NAME = "audit-checkpoints.jsonl"


class CheckpointForged(Exception):
    """A checkpoint line does not carry a valid signature or link: the file was edited."""


@dataclass(frozen=True)
class Checkpoint:
    entries: int
    last_id: int | None
    head: str
    at: str
    sequence: int | None = None  # None: a line of the unchained format, before issue 31
    previous: str | None = None  # the MAC of the line before (GENESIS for the first)

    def fields(self) -> dict:
        fields = {"entries": self.entries, "last_id": self.last_id, "head": self.head, "at": self.at}
        if self.sequence is not None:
            fields |= {"sequence": self.sequence, "previous": self.previous}
        return fields


@dataclass(frozen=True)
class SignedCheckpoint:
    checkpoint: Checkpoint
    mac: str


def write_checkpoint(key: bytes | None = None, restart: bool = False) -> Checkpoint:
    """Append the next checkpoint (or, with `restart`, begin a new file at sequence 1: after a
    rekey or a restore, when the old lines can no longer be checked) and record its sequence."""
    from tipline.audit.services import GENESIS, audit_key

    key = key or audit_key()
    with transaction.atomic():
        chain_head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1, defaults={"last_hash": GENESIS})
        if restart:
            path().unlink(missing_ok=True)
            sequence, previous = 1, GENESIS
        else:
            sequence, previous = _next_link(key, chain_head)
        newest = AuditEntry.objects.order_by("-id").first()
        checkpoint = Checkpoint(
            entries=AuditEntry.objects.count(),
            last_id=newest.id if newest else None,
            head=newest.entry_hash if newest else GENESIS,
            at=timezone.now().replace(microsecond=0).isoformat(),
            sequence=sequence,
            previous=previous,
        )
        mac = _mac(checkpoint, key)
        _append(json.dumps(checkpoint.fields() | {"mac": mac}, sort_keys=True))
        chain_head.checkpoint_sequence, chain_head.checkpoint_mac = sequence, mac
        chain_head.save(update_fields=["checkpoint_sequence", "checkpoint_mac"])
    return checkpoint


def _next_link(key: bytes, chain_head: ChainHead) -> tuple[int, str]:
    """Sequence and previous MAC of the next line. A file missing or shorter than the database
    recorded is continued from what the database recorded: the gap stays for verify to report."""
    from tipline.audit.services import GENESIS

    try:
        lines = read(key)
    except CheckpointForged:
        lines = []  # verify reports the damage; checkpoints go on from what the database recorded
    last = lines[-1] if lines else None
    last_sequence = (last.checkpoint.sequence or 0) if last else 0
    if chain_head.checkpoint_sequence > last_sequence:
        return chain_head.checkpoint_sequence + 1, chain_head.checkpoint_mac
    return last_sequence + 1, last.mac if last else GENESIS


def read(key: bytes) -> list[SignedCheckpoint]:
    """Every line, checked: raises CheckpointForged at the first whose MAC or link is wrong."""
    from tipline.audit.services import GENESIS

    signed: list[SignedCheckpoint] = []
    for number, line in enumerate(_lines(), start=1):
        try:
            data = json.loads(line)
            mac = data.pop("mac")
            checkpoint = Checkpoint(**data)
        except (ValueError, KeyError, TypeError):
            raise CheckpointForged(f"checkpoint line {number} of {path()} cannot be read") from None
        if not hmac.compare_digest(mac, _mac(checkpoint, key)):
            raise CheckpointForged(f"checkpoint line {number} of {path()} does not carry a valid signature")
        before = signed[-1] if signed else None
        if checkpoint.sequence is not None:
            expected = ((before.checkpoint.sequence or 0) + 1, before.mac) if before else (1, GENESIS)
            if (checkpoint.sequence, checkpoint.previous) != expected:
                raise CheckpointForged(
                    f"checkpoint line {number} of {path()} does not follow the line before it (lines were removed)"
                )
        elif before is not None and before.checkpoint.sequence is not None:
            raise CheckpointForged(f"checkpoint line {number} of {path()} is of the old format after chained lines")
        signed.append(SignedCheckpoint(checkpoint, mac))
    return signed


def latest(key: bytes) -> Checkpoint | None:
    """The newest checkpoint; raises CheckpointForged if any line's signature or link is wrong."""
    lines = read(key)
    return lines[-1].checkpoint if lines else None


def witness(entries_now: int, key: bytes):
    """The log against the checkpoint file: the file holds every checkpoint the database
    recorded, and every entry up to the newest checkpoint's is there."""
    from tipline.audit.services import ChainReport

    try:
        lines = read(key)
    except CheckpointForged as forged:
        return ChainReport(entries_now, None, str(forged))
    chain_head = ChainHead.objects.filter(pk=1).first()
    expected = chain_head.checkpoint_sequence if chain_head else 0
    found = (lines[-1].checkpoint.sequence or 0) if lines else 0
    if found < expected:
        reason = (
            f"the checkpoint file {path()} ends at checkpoint {found}, but {expected} were written (it was deleted or "
            "cut back)"
        )
        return ChainReport(entries_now, None, reason)
    if found and found == expected and chain_head and not hmac.compare_digest(lines[-1].mac, chain_head.checkpoint_mac):
        return ChainReport(
            entries_now, None, f"checkpoint {found} in {path()} is not the one written (the file was replaced)"
        )
    if not lines:
        if entries_now:
            reason = f"no checkpoint in {path()} covers these entries (tipline audit checkpoint writes one)"
            return ChainReport(entries_now, None, reason, unwitnessed=True)
        return ChainReport(entries_now, None)
    return compare(entries_now, lines[-1].checkpoint)


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


def resign(new_key: bytes) -> None:
    """After a rekey (the log and its checkpoints verified under the old key): the file begins
    again with one checkpoint of the chain as now linked under the new key (the old heads no
    longer exist)."""
    write_checkpoint(new_key, restart=True)


def path() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_FILE)


def _adopted_legacy_file() -> Path:
    """Where to read: a deployment that kept the old default (inside the data directory) keeps
    its checkpoints. They move to the new default the first time a process that may write
    there reads them (the log says so); one that may not (a sandboxed server) reads them in place."""
    legacy, target = Path(settings.DATA_DIR) / LEGACY_NAME, path()
    if target == legacy or target.exists() or not legacy.is_file():
        return target
    try:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        shutil.move(legacy, target)
    except OSError as error:
        logger.warning(
            "audit checkpoints left at %s, inside the data directory: %s cannot be written (%s)", legacy, target, error
        )
        return legacy
    logger.warning(
        "audit checkpoints moved from %s to %s: inside the data directory, whoever writes the database could cut them "
        "back (set TIPLINE_AUDIT_CHECKPOINT_FILE to keep them elsewhere)",
        legacy,
        target,
    )
    return target


def _lines() -> list[str]:
    try:
        return [line for line in _adopted_legacy_file().read_text(encoding="utf-8").splitlines() if line.strip()]
    except FileNotFoundError:
        return []


def _mac(checkpoint: Checkpoint, key: bytes) -> str:
    canonical = json.dumps(checkpoint.fields(), sort_keys=True, separators=(",", ":"))
    return hmac.new(key, b"checkpoint:" + canonical.encode(), hashlib.sha256).hexdigest()


def _append(line: str) -> None:
    target = path()
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(descriptor, "a", encoding="utf-8") as checkpoint_file:
        checkpoint_file.write(line + "\n")
