"""An attacker who can write the database but does not hold the secret key file cannot
rewrite the audit log undetected: the chain is keyed, and signed checkpoints kept outside
the database catch rows removed even when the chain and its head are made consistent."""

import hashlib
import json

import pytest

from tipline.audit import checkpoints
from tipline.audit.models import AuditEntry, ChainHead
from tipline.audit.services import GENESIS, record, verify_chain

pytestmark = pytest.mark.django_db


@pytest.fixture
def checkpoint_file(tmp_path, settings):
    settings.AUDIT_CHECKPOINT_FILE = tmp_path / "audit-checkpoints.jsonl"
    return settings.AUDIT_CHECKPOINT_FILE


@pytest.fixture
def chain(checkpoint_file):
    for number in range(6):
        record("ana", "tip-opened" if number % 2 else "status-changed", f"tip-{number}")
    checkpoints.write_checkpoint()
    return list(AuditEntry.objects.order_by("id"))


def public_digest(previous: str, entry: AuditEntry) -> str:
    """What anyone can compute: the chain's algorithm without the site's key."""
    canonical = json.dumps(
        [previous, entry.at.isoformat(), entry.actor, entry.action, entry.target, entry.details], sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def rewrite_chain_publicly() -> None:
    previous = GENESIS
    for entry in AuditEntry.objects.order_by("id"):
        digest = public_digest(previous, entry)
        AuditEntry.objects.filter(pk=entry.pk).update(previous_hash=previous, entry_hash=digest)
        previous = digest
    ChainHead.objects.update(last_hash=previous)


def test_an_untouched_log_verifies_against_its_checkpoint(chain):
    report = verify_chain()

    assert report.intact and report.entries == 6 and report.checkpoint_entries == 6 and report.uncovered == 0


def test_deleting_rows_and_recomputing_the_chain_publicly_is_found(chain):
    AuditEntry.objects.filter(action="tip-opened").delete()
    rewrite_chain_publicly()

    report = verify_chain()

    assert not report.intact and report.first_broken_id == chain[0].pk


def test_editing_a_row_and_recomputing_the_chain_publicly_is_found(chain):
    AuditEntry.objects.filter(pk=chain[3].pk).update(actor="mallory")
    rewrite_chain_publicly()

    assert not verify_chain().intact


def test_reordering_rows_is_found(chain):
    first, second = chain[1], chain[2]
    AuditEntry.objects.filter(pk=first.pk).update(target="swap")
    AuditEntry.objects.filter(pk=second.pk).update(target=first.target)
    AuditEntry.objects.filter(pk=first.pk).update(target=second.target)

    assert verify_chain().first_broken_id == first.pk


def test_deleting_the_newest_rows_and_fixing_the_head_is_found_by_the_checkpoint(chain):
    AuditEntry.objects.filter(pk__in=[entry.pk for entry in chain[4:]]).delete()
    ChainHead.objects.update(last_hash=chain[3].entry_hash)

    report = verify_chain()

    assert not report.intact and "2 entries recorded by the checkpoint" in report.reason


def test_deleting_everything_is_found_by_the_checkpoint(chain):
    AuditEntry.objects.all().delete()
    ChainHead.objects.all().delete()

    report = verify_chain()

    assert not report.intact and "6 entries recorded by the checkpoint" in report.reason


def test_a_forged_checkpoint_line_is_not_trusted(chain, checkpoint_file):
    line = json.loads(checkpoint_file.read_text().splitlines()[-1])
    forged = dict(line, entries=1)
    checkpoint_file.write_text(checkpoint_file.read_text() + json.dumps(forged) + "\n")

    report = verify_chain()

    assert not report.intact and "checkpoint" in report.reason and "signature" in report.reason


def test_entries_after_the_latest_checkpoint_are_counted_as_not_yet_covered(chain):
    record("ana", "tip-opened", "tip-later")

    report = verify_chain()

    assert report.intact and report.uncovered == 1
