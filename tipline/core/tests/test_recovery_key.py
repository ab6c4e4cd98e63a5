"""The organisation recovery key on the server: installed generations vouched for under the
secret key file, every ordinary tip sealed to the current one (never an offline-key channel's),
and a key swapped or rolled back in the database never sealed to, audited and alerted."""

import secrets

import pytest

from tipline.alerts.models import Event
from tipline.audit.models import AuditEntry
from tipline.core import offline_keys, public_keys, recovery
from tipline.core.channel_schema import import_channel, parse_document
from tipline.core.conversation import Answer
from tipline.core.models import Channel, RecoveryKey, Tip
from tipline.core.submission import submit_tip
from tipline.crypto import recipient_keys, recovery_keys, tip_keys
from tipline.crypto.errors import DecryptionError
from tipline.testing.staff import make_staff, make_tip

DESK = (
    "slug: desk\nname: Desk\ntipsters_may_leave_out: true\nfields:\n  - {key: tip, kind: long_text, label: Your tip}\n"
)
VAULT = "slug: vault\nname: Vault\noffline_key: true\nfields:\n  - {key: tip, kind: long_text, label: Your tip}\n"


def new_pair() -> tuple[bytes, bytes]:
    public_line, private_line = recovery_keys.new_key_pair()
    return recovery_keys.read_public_key(public_line), recovery_keys.read_private_key(private_line)


@pytest.fixture
def desk(db):
    import_channel(parse_document(DESK))
    return {name: make_staff(name, ["desk"]) for name in ("ana", "ben")}


def test_key_files_are_told_apart_and_the_private_half_gives_the_public_one():
    public_line, private_line = recovery_keys.new_key_pair()
    public, private = recovery_keys.read_public_key(public_line), recovery_keys.read_private_key(private_line)

    assert recovery_keys.public_half(private) == public
    with pytest.raises(ValueError):
        recovery_keys.read_public_key(private_line)  # a private file given where the public one goes
    with pytest.raises(ValueError):
        recovery_keys.read_private_key(public_line)
    assert len(recovery_keys.fingerprint(public).split()) == 8
    assert recovery_keys.fingerprint(public) != recovery_keys.account_fingerprint(public)


def test_a_tip_submitted_after_install_opens_with_the_recovery_key(desk):
    public, private = new_pair()
    key = recovery.install("command line", public)
    tip, _receipt = make_tip("desk", "the recovery key opens this")

    assert tip.recovery_key == key and key.generation == 1
    opened = tip_keys.open_sealed_keys(bytes(tip.sealed_for_recovery_key), tip.crypto_id, private)
    ana_grant = tip.grants.get(recipient=desk["ana"].user)
    ana_keys = tip_keys.open_sealed_keys(bytes(ana_grant.sealed_tip_key), tip.crypto_id, desk["ana"].private_key)
    assert opened == ana_keys and opened.team_key is not None
    assert Tip.objects.filter(recovery.recoverable(), pk=tip.pk).exists() and recovery.is_recoverable(tip)
    assert AuditEntry.objects.filter(action="recovery-key-installed", details__generation=1).exists()


def test_a_tip_from_before_the_key_is_sealed_to_none_and_told(desk):
    before, _receipt = make_tip("desk")
    recovery.install("command line", new_pair()[0])

    assert before.recovery_key is None and not recovery.is_recoverable(before)
    assert recovery.summary().ordinary_tips_without == 1


def test_an_offline_key_channel_tip_is_never_sealed_to_the_recovery_key(db):
    import_channel(parse_document(VAULT))
    ana = make_staff("ana", ["vault"])
    offline_keys.set_key(ana.user, Channel.objects.get(slug="vault"), recipient_keys.generate_key_pair().public_key)
    recovery.install("command line", new_pair()[0])

    tip, _receipt = make_tip("vault")

    assert tip.channel_key is not None and tip.recovery_key is None and tip.sealed_for_recovery_key is None


def test_a_restricted_tip_keeps_its_tipsters_choice_under_a_mac(desk):
    recovery.install("command line", new_pair()[0])
    channel = Channel.objects.get(slug="desk")
    answers = [Answer(key="tip", label="Your tip", kind="long_text", value="not for ben")]
    sent = submit_tip(channel, answers, None, [], secrets.token_hex(8), left_out=frozenset({desk["ben"].user.pk}))
    tip = Tip.objects.get(pk=sent.tip_id)

    assert public_keys.vouched_chosen_readers(tip) == {desk["ana"].user.pk}
    both = [desk["ana"].user.pk, desk["ben"].user.pk]
    Tip.objects.filter(pk=tip.pk).update(chosen_readers=both)  # a database writer adds ben
    tip.refresh_from_db()
    assert public_keys.vouched_chosen_readers(tip) is None


def test_a_second_install_makes_a_new_generation_current_and_keeps_the_old_one_for_its_tips(desk):
    first = recovery.install("command line", new_pair()[0])
    old_tip, _receipt = make_tip("desk")
    second = recovery.install("command line", new_pair()[0])
    new_tip, _receipt = make_tip("desk")
    first.refresh_from_db()

    assert second.generation == 2 and recovery.current_key() == second and first.retired_at is not None
    assert old_tip.recovery_key == first and new_tip.recovery_key == second
    assert recovery.install("command line", bytes(second.public_key)) == second  # the same file again changes nothing
    with pytest.raises(recovery.RecoveryRefused):
        recovery.install("command line", bytes(first.public_key))  # a retired key is never brought back


def test_a_key_swapped_in_the_database_is_never_sealed_to_and_the_admins_are_told(desk):
    recovery.install("command line", new_pair()[0])
    attacker_public, attacker_private = new_pair()
    RecoveryKey.objects.update(public_key=attacker_public)

    tip, _receipt = make_tip("desk", "still stored for its recipients")

    assert tip.recovery_key is None and tip.grants.count() == 2
    assert AuditEntry.objects.filter(action="recovery-key-refused").count() == 1
    assert Event.objects.filter(kind="recovery-key-refused", audience="admins").count() == 1
    make_tip("desk")  # once an hour, not per tip
    assert Event.objects.filter(kind="recovery-key-refused").count() == 1
    assert not Tip.objects.filter(recovery.recoverable()).exists()


def test_a_retired_key_made_current_again_in_the_database_is_refused(desk):
    first = recovery.install("command line", new_pair()[0])
    make_tip("desk")  # so the first generation is kept, retired
    second = recovery.install("command line", new_pair()[0])
    RecoveryKey.objects.filter(pk=second.pk).update(retired_at=first.created_at)
    RecoveryKey.objects.filter(pk=first.pk).update(retired_at=None)

    assert RecoveryKey.objects.get(pk=first.pk).retired_at is None
    tip, _receipt = make_tip("desk")

    assert recovery.current_key() is None and tip.recovery_key is None
    assert AuditEntry.objects.filter(action="recovery-key-refused").exists()


def test_a_reseal_moves_tips_to_the_current_generation_and_forgets_the_old_one(desk):
    old_public, old_private = new_pair()
    first = recovery.install("command line", old_public)
    tip, _receipt = make_tip("desk")
    new_public, new_private = new_pair()
    recovery.install("command line", new_public)

    box = recovery_keys.reseal(bytes(tip.sealed_for_recovery_key), tip.crypto_id, old_private, new_public)
    assert recovery.reseal(desk["ana"].user, {str(tip.pk): box}) == 1

    tip.refresh_from_db()
    assert tip.recovery_key == recovery.current_key()
    assert tip_keys.open_sealed_keys(bytes(tip.sealed_for_recovery_key), tip.crypto_id, new_private).tip_key
    assert not RecoveryKey.objects.filter(pk=first.pk).exists()
    assert AuditEntry.objects.filter(action="recovery-key-forgotten", details__generation=1).exists()
    with pytest.raises(DecryptionError):
        recovery_keys.reseal(bytes(tip.sealed_for_recovery_key), tip.crypto_id, old_private, new_public)


def test_a_rekey_vouches_for_the_recovery_key_and_the_chosen_readers_again(desk, settings):
    recovery.install("command line", new_pair()[0])
    channel = Channel.objects.get(slug="desk")
    answers = [Answer(key="tip", label="Your tip", kind="long_text", value="x")]
    sent = submit_tip(channel, answers, None, [], secrets.token_hex(8), left_out=frozenset({desk["ben"].user.pk}))
    old_secret = settings.SECRET_KEY
    settings.SECRET_KEY = "another secret key file, long enough for this test " * 2

    assert recovery.current_key() is None
    public_keys.revouch_all(old_secret)
    assert recovery.current_key() is not None
    assert public_keys.vouched_chosen_readers(Tip.objects.get(pk=sent.tip_id)) == {desk["ana"].user.pk}


def test_check_warns_without_a_key_and_names_tips_it_does_not_cover(desk):
    from tipline.core.checks import check_recovery_key

    def _recovery_key_problems() -> list[str]:
        return [finding.msg for finding in check_recovery_key()]

    assert any("There is no organisation recovery key" in problem for problem in _recovery_key_problems())
    make_tip("desk")  # from before the key
    first = recovery.install("command line", new_pair()[0])
    make_tip("desk")
    problems = _recovery_key_problems()
    assert len(problems) == 1 and problems[0].startswith("1 tip of an ordinary channel is sealed to no recovery key")
    recovery.install("command line", new_pair()[0])
    problems = _recovery_key_problems()
    assert any(problem.startswith("1 tip is still sealed to a retired recovery key") for problem in problems)
    RecoveryKey.objects.filter(retired_at__isnull=True).update(public_key=new_pair()[0])
    problems = _recovery_key_problems()
    assert any(f"generations failing their check: {first.generation + 1}" in problem for problem in problems)


def test_a_replaced_generation_no_tip_was_sealed_to_is_forgotten_at_once(desk):
    first = recovery.install("command line", new_pair()[0])
    recovery.install("command line", new_pair()[0])

    assert not RecoveryKey.objects.filter(pk=first.pk).exists()
