"""The audit chain: any change, removal or reordering of an entry is found, from the
command line too; entries never hold tip content."""

import pytest

from tipline.audit.checkpoints import write_checkpoint
from tipline.audit.models import AuditEntry
from tipline.audit.services import record, verify_chain

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain():
    for number in range(5):
        record("ana", "status-changed", f"tip-{number}", old="new", new="in_review")
    write_checkpoint()
    return list(AuditEntry.objects.order_by("id"))


def test_an_untouched_chain_verifies(chain):
    report = verify_chain()

    assert report.entries == 5 and report.first_broken_id is None and report.reason == ""


@pytest.mark.parametrize(
    ("field", "value"),
    [("actor", "mallory"), ("action", "tip-opened"), ("target", "tip-9"), ("details", {"old": "new", "new": "closed"})],
)
def test_changing_any_field_of_any_entry_is_found_at_that_entry(chain, field, value):
    for victim in chain:
        original = getattr(victim, field)
        AuditEntry.objects.filter(pk=victim.pk).update(**{field: value})

        assert verify_chain().first_broken_id == victim.pk

        AuditEntry.objects.filter(pk=victim.pk).update(**{field: original})
    assert verify_chain().first_broken_id is None


def test_a_removed_entry_is_found(chain):
    AuditEntry.objects.filter(pk=chain[2].pk).delete()

    assert verify_chain().first_broken_id == chain[3].pk


def test_removing_the_newest_entries_is_found(chain):
    AuditEntry.objects.filter(pk__in=[chain[3].pk, chain[4].pk]).delete()

    report = verify_chain()

    assert report.first_broken_id is None and "newest entries were removed" in report.reason


def test_a_changed_time_is_found(chain):
    AuditEntry.objects.filter(pk=chain[1].pk).update(at=chain[1].at.replace(year=2001))

    assert verify_chain().first_broken_id == chain[1].pk


@pytest.mark.system
@pytest.mark.sqlite_only
def test_tipline_audit_verify_reports_the_first_broken_link(tmp_path):
    import sqlite3

    from tests.system import run_tipline

    data_dir = tmp_path / "data"
    run_tipline(data_dir, "init")
    run_tipline(data_dir, "createuser", "alex", "--role", "admin")
    run_tipline(data_dir, "resetuser", "alex")
    unwitnessed = run_tipline(data_dir, "audit", "verify")
    run_tipline(data_dir, "audit", "checkpoint")

    intact = run_tipline(data_dir, "audit", "verify")
    with sqlite3.connect(data_dir / "tipline.sqlite3") as database:
        database.execute("UPDATE audit_auditentry SET actor = 'mallory' WHERE id = 1")
    broken = run_tipline(data_dir, "audit", "verify")

    assert unwitnessed.returncode == 1 and "no checkpoint" in unwitnessed.stdout
    assert intact.returncode == 0 and "2 entries, the chain is intact" in intact.stdout
    assert broken.returncode == 1 and "broken at entry 1" in broken.stdout


@pytest.mark.system
@pytest.mark.sqlite_only
def test_checkpoints_and_a_new_secret_key_from_the_command_line(tmp_path):
    import sqlite3

    from tests.system import run_tipline

    data_dir = tmp_path / "data"
    run_tipline(data_dir, "init")
    for name in ("alex", "blair", "casey"):
        run_tipline(data_dir, "createuser", name, "--role", "admin")
    checkpoint = run_tipline(data_dir, "audit", "checkpoint")
    with sqlite3.connect(data_dir / "tipline.sqlite3") as database:
        database.execute("DELETE FROM audit_auditentry WHERE id = 3")
        database.execute(
            "UPDATE audit_chainhead SET last_hash = (SELECT entry_hash FROM audit_auditentry WHERE id = 2)"
        )
    truncated = run_tipline(data_dir, "audit", "verify")
    assert checkpoint.returncode == 0 and "3 entries, written to" in checkpoint.stdout
    assert truncated.returncode == 1 and "1 entries recorded by the checkpoint" in truncated.stdout

    other = tmp_path / "other"
    run_tipline(other, "init")
    run_tipline(other, "createuser", "dana", "--role", "admin")
    (other / "secret_key").rename(other / "secret_key.old")
    refused = run_tipline(other, "check")  # no command but init makes a replacement
    assert refused.returncode == 1 and "is missing, but a key was made" in refused.stderr
    assert not (other / "secret_key").exists()
    replaced = run_tipline(other, "init")  # the rotation of docs/deployment.md: init writes the new key
    assert "run tipline rekey OLD_FILE now" in replaced.stderr
    before = run_tipline(other, "audit", "verify")
    rekeyed = run_tipline(other, "rekey", str(other / "secret_key.old"))
    after = run_tipline(other, "audit", "verify")
    assert before.returncode == 1
    assert (
        rekeyed.returncode == 0
        and "1 recipients' public keys" in rekeyed.stdout
        and "1 audit entries" in rekeyed.stdout
    )
    assert after.returncode == 0 and "the chain is intact" in after.stdout
