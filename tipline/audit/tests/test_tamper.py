"""An attacker who can write the database but does not hold the secret key file cannot
rewrite the audit log undetected: the chain is keyed, and signed checkpoints kept outside
the database catch rows removed even when the chain and its head are made consistent, and
the checkpoints are chained, so that a checkpoint file deleted or cut back is found too."""

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
        [previous, entry.at.isoformat(), entry.actor, entry.action, entry.target, entry.details],
        sort_keys=True,
        separators=(",", ":"),
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


def test_cutting_the_checkpoint_file_back_to_an_earlier_line_is_found(chain, checkpoint_file):
    earlier = checkpoint_file.read_text()
    record("ana", "tip-opened", "tip-later")
    checkpoints.write_checkpoint()
    AuditEntry.objects.filter(target="tip-later").delete()
    ChainHead.objects.update(last_hash=chain[-1].entry_hash)
    checkpoint_file.write_text(earlier)

    report = verify_chain()

    assert not report.intact and "ends at checkpoint 1, but 2 were written" in report.reason


def test_deleting_the_checkpoint_file_is_found(chain, checkpoint_file):
    checkpoint_file.unlink()

    report = verify_chain()

    assert not report.intact and "ends at checkpoint 0, but 1 were written" in report.reason


def test_removing_a_middle_checkpoint_line_is_found(chain, checkpoint_file):
    checkpoints.write_checkpoint()
    checkpoints.write_checkpoint()
    first, _, third = checkpoint_file.read_text().splitlines()
    checkpoint_file.write_text(f"{first}\n{third}\n")

    report = verify_chain()

    assert not report.intact and "line 2" in report.reason and "does not follow" in report.reason


def test_checkpoints_written_after_a_deletion_do_not_hide_it(chain, checkpoint_file):
    checkpoint_file.unlink()
    checkpoints.write_checkpoint()

    assert not verify_chain().intact


def test_entries_with_no_checkpoint_at_all_do_not_verify(checkpoint_file):
    record("ana", "tip-opened", "tip-0")

    report = verify_chain()

    assert not report.intact and "no checkpoint" in report.reason


def test_checkpoints_of_the_unchained_format_still_verify_and_the_chain_continues_after_them(checkpoint_file):
    from tipline.audit.services import audit_key

    record("ana", "tip-opened", "tip-0")
    entry = AuditEntry.objects.get()
    old = checkpoints.Checkpoint(entries=1, last_id=entry.id, head=entry.entry_hash, at="2026-11-01T12:00:00+00:00")
    checkpoint_file.write_text(json.dumps(old.fields() | {"mac": checkpoints._mac(old, audit_key())}) + "\n")
    ChainHead.objects.update(checkpoint_sequence=0, checkpoint_mac="")
    assert verify_chain().intact

    record("ana", "tip-opened", "tip-1")
    written = checkpoints.write_checkpoint()

    assert written.sequence == 1 and verify_chain().intact


def test_the_default_checkpoint_file_is_outside_the_data_directory(tmp_path):
    from tipline.config import default_checkpoint_file

    data_dir = tmp_path / "var" / "tipline"

    default = default_checkpoint_file(data_dir)

    assert default == tmp_path / "var" / "tipline-audit" / "checkpoints.jsonl" and data_dir not in default.parents


def test_checkpoints_at_the_old_default_place_are_moved_and_still_count(settings, tmp_path, caplog):
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()
    settings.AUDIT_CHECKPOINT_FILE = tmp_path / "data-audit" / "checkpoints.jsonl"
    record("ana", "tip-opened", "tip-0")
    checkpoints.write_checkpoint()
    settings.AUDIT_CHECKPOINT_FILE.rename(settings.DATA_DIR / "audit-checkpoints.jsonl")

    report = verify_chain()

    assert report.intact and settings.AUDIT_CHECKPOINT_FILE.is_file()
    assert "audit checkpoints moved from" in caplog.text


def test_tipline_check_names_checkpoints_kept_in_the_data_directory(settings):
    from tipline.operations.deployment import find_problems

    settings.AUDIT_CHECKPOINT_FILE = settings.DATA_DIR / "audit-checkpoints.jsonl"
    inside = find_problems()
    configuration = find_problems(configuration_only=True)  # the server's ExecStartPre still starts it
    settings.AUDIT_CHECKPOINT_FILE = settings.DATA_DIR.with_name("elsewhere") / "checkpoints.jsonl"

    assert any("audit checkpoints" in problem for problem in inside)
    assert not any("audit checkpoints" in problem for problem in configuration + find_problems())
