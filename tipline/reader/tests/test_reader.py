"""tipline-reader end to end against a running tip line: a tipster sends a tip with a file to
an offline-key channel with JavaScript off; the reader fetches, decrypts and replies on the
recipient's side; the tipster reads the reply with the receipt. The server, meanwhile, shows
its staff only what it knows."""

import io
import os
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from tipline.core.models import Channel, ChannelKey, Note, Tip
from tipline.core.public_keys import vouch_channel_key
from tipline.core.submission import channel_is_receiving
from tipline.crypto import content, recipient_keys, tip_keys
from tipline.intake.tests.helpers import RECEIPT_PATTERN
from tipline.reader import cli
from tipline.reader.profile import ReaderError
from tipline.reader.tests.conftest import PASSPHRASE, run_reader
from tipline.testing.staff import browser_sign_in, make_staff, make_tip, note_opens_with

TIP_TEXT = "The harbour master signs the forged manifests on Fridays."


@pytest.mark.browser
def test_a_tip_read_and_answered_in_the_reader_only(
    live_server, page, vault_desk, tmp_path, monkeypatch, capsys, privacy, screenshot
):
    people, tokens = vault_desk
    profile = tmp_path / "ana-reader"
    assert not channel_is_receiving(Channel.objects.get(slug="vault"))  # no key yet: no tips taken

    printed = run_reader(
        profile,
        "init",
        "--server",
        live_server.url,
        "--channel",
        "vault",
        token=tokens["ana"],
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
    assert "seals every new tip to this key only" in printed
    assert ChannelKey.objects.filter(channel__slug="vault", retired_at__isnull=True).count() == 1

    evidence = tmp_path / "manifest.txt"
    evidence.write_text("manifest-marker-8d1f")
    privacy.watch(TIP_TEXT, "manifest-marker-8d1f", "We have read it")
    page.goto(f"{live_server.url}/c/vault/")
    page.fill("#id_answer-tip", TIP_TEXT)
    page.set_input_files("#id_answer-files", str(evidence))
    assert "can be opened only on the team" in page.content()
    screenshot(page, "tipster-offline-key-form")
    page.get_by_role("button", name="Send tip").click()
    receipt = RECEIPT_PATTERN.search(page.locator(".receipt").inner_text()).group(0)
    tip = Tip.objects.get()
    assert tip.channel_key is not None and not tip.grants.exists()

    printed = run_reader(profile, "sync", monkeypatch=monkeypatch, capsys=capsys)
    assert "Tips fetched: 1, with new files: 1" in printed
    shown = run_reader(profile, "show", tip.reference, monkeypatch=monkeypatch, capsys=capsys)
    assert TIP_TEXT in shown and "manifest.txt" in shown
    file_id = str(tip.attachments.get().id)
    run_reader(
        profile,
        "save-file",
        tip.reference,
        file_id,
        "--out",
        str(tmp_path / "saved.txt"),
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
    assert (tmp_path / "saved.txt").read_text() == "manifest-marker-8d1f"
    (tmp_path / "saved.txt").unlink()
    evidence.unlink()

    run_reader(
        profile,
        "reply",
        tip.reference,
        "--text",
        "We have read it. Who else signs them?",
        "--purpose",
        "acknowledgement",
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
    tip.refresh_from_db()
    assert tip.message_count == 1 and tip.acknowledged_hour is not None

    browser_sign_in(page, live_server.url, people["ben"])
    page.goto(f"{live_server.url}/staff/tips/{tip.id}/")
    assert "Read in tipline-reader" in page.content() and TIP_TEXT not in page.content()
    screenshot(page, "staff-tip-in-reader")

    page.context.clear_cookies()
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Check on your tip").first.click()
    page.fill("#id_receipt", receipt)
    page.get_by_role("button", name="Open my tip").click()
    assert "We have read it. Who else signs them?" in page.locator("#conversation").inner_text()
    assert TIP_TEXT in page.content()
    screenshot(page, "tipster-reads-reader-reply")


def test_a_colleague_joins_with_a_sealed_hand_over_and_a_rotation_reseals_every_tip(
    live_server, vault_desk, tmp_path, monkeypatch, capsys
):
    people, tokens = vault_desk
    ana, ben = tmp_path / "ana", tmp_path / "ben"
    run_reader(
        ana,
        "init",
        "--server",
        live_server.url,
        "--channel",
        "vault",
        token=tokens["ana"],
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
    old_tip, _receipt = make_tip("vault", "Sealed to the first key.")

    asked = run_reader(
        ben,
        "join",
        "--server",
        live_server.url,
        "--channel",
        "vault",
        token=tokens["ben"],
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
    request = asked.split("\n")[1].strip()
    shared = run_reader(
        ana, "share-key", request, "--out", str(tmp_path / "for-ben"), monkeypatch=monkeypatch, capsys=capsys
    )
    assert asked.split("compare: ")[1].split("\n")[0] in shared  # both read out the same fingerprint
    with pytest.raises(AssertionError, match="asked for no key"):
        run_reader(ana, "accept-key", str(tmp_path / "for-ben"), monkeypatch=monkeypatch, capsys=capsys)
    run_reader(ben, "accept-key", str(tmp_path / "for-ben"), monkeypatch=monkeypatch, capsys=capsys)
    run_reader(ben, "sync", monkeypatch=monkeypatch, capsys=capsys)
    assert "Sealed to the first key." in run_reader(
        ben, "show", old_tip.reference, monkeypatch=monkeypatch, capsys=capsys
    )

    rotated = run_reader(ana, "rotate", monkeypatch=monkeypatch, capsys=capsys)
    assert "tips sealed again to it: 1" in rotated
    new_tip, _receipt = make_tip("vault", "Sealed to the second key.")
    old_tip.refresh_from_db()
    assert old_tip.channel_key_id == new_tip.channel_key_id == ChannelKey.objects.get(retired_at__isnull=True).pk

    # Ben's reader sees the server seal to a key it does not hold, and says so rather than go on.
    monkeypatch.setenv("TIPLINE_READER_PASSPHRASE", PASSPHRASE)
    assert cli.main(["--profile", str(ben), "sync"]) == 1
    assert "does not hold" in capsys.readouterr().err
    asked = run_reader(ben, "join", monkeypatch=monkeypatch, capsys=capsys)
    run_reader(
        ana,
        "share-key",
        asked.split("\n")[1].strip(),
        "--out",
        str(tmp_path / "again"),
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
    run_reader(ben, "accept-key", str(tmp_path / "again"), monkeypatch=monkeypatch, capsys=capsys)
    run_reader(ben, "sync", monkeypatch=monkeypatch, capsys=capsys)
    assert "Sealed to the second key." in run_reader(
        ben, "show", new_tip.reference, monkeypatch=monkeypatch, capsys=capsys
    )


def test_a_key_swapped_on_a_taken_over_server_is_noticed_at_the_next_sync(
    live_server, vault_desk, tmp_path, monkeypatch, capsys
):
    _people, tokens = vault_desk
    ana = tmp_path / "ana"
    run_reader(
        ana,
        "init",
        "--server",
        live_server.url,
        "--channel",
        "vault",
        token=tokens["ana"],
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
    # Whoever holds the running server holds the secret key file too: they can vouch for a key of their own.
    attacker = recipient_keys.generate_key_pair()
    key = ChannelKey.objects.get()
    ChannelKey.objects.filter(pk=key.pk).update(
        public_key=attacker.public_key,
        public_key_mac=vouch_channel_key(key.channel_id, key.generation, attacker.public_key),
    )

    assert cli.main(["--profile", str(ana), "sync"]) == 1
    assert "the server may have been taken over: tell your admins" in capsys.readouterr().err


def test_a_retired_key_brought_back_by_a_taken_over_server_is_refused_at_the_next_sync(
    live_server, vault_desk, tmp_path, monkeypatch, capsys
):
    _people, tokens = vault_desk
    ana = tmp_path / "ana"
    run_reader(
        ana,
        "init",
        "--server",
        live_server.url,
        "--channel",
        "vault",
        token=tokens["ana"],
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
    run_reader(ana, "rotate", monkeypatch=monkeypatch, capsys=capsys)  # the first key was on a laptop that was lost
    first, second = ChannelKey.objects.order_by("generation")
    # The server holds the secret key file: it vouches for the retired key again, even as a newer generation.
    ChannelKey.objects.filter(pk=second.pk).update(retired_at=first.retired_at, generation=5)
    ChannelKey.objects.filter(pk=first.pk).update(
        retired_at=None,
        generation=6,
        public_key_mac=vouch_channel_key(first.channel_id, 6, bytes(first.public_key)),
    )
    ChannelKey.objects.filter(pk=second.pk).update(
        public_key_mac=vouch_channel_key(second.channel_id, 5, bytes(second.public_key))
    )

    assert cli.main(["--profile", str(ana), "sync"]) == 1
    assert "an older key of this channel again" in capsys.readouterr().err
    # And a server that shows the retired key at a generation older than the one pinned is refused the same way.
    ChannelKey.objects.filter(pk=first.pk).update(
        generation=1, public_key_mac=vouch_channel_key(first.channel_id, 1, bytes(first.public_key))
    )
    ChannelKey.objects.filter(pk=second.pk).delete()
    assert cli.main(["--profile", str(ana), "sync"]) == 1
    assert "an older key of this channel again" in capsys.readouterr().err


def test_a_wrong_passphrase_opens_nothing_and_the_store_holds_no_plaintext(
    live_server, vault_desk, tmp_path, monkeypatch, capsys
):
    _people, tokens = vault_desk
    ana = tmp_path / "ana"
    run_reader(
        ana,
        "init",
        "--server",
        live_server.url,
        "--channel",
        "vault",
        token=tokens["ana"],
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
    make_tip("vault", "A secret the disk must not hold in clear.")
    run_reader(ana, "sync", monkeypatch=monkeypatch, capsys=capsys)
    monkeypatch.setattr("sys.stdin", io.StringIO("A note the disk must not hold either.\n"))  # typed, not an argument
    run_reader(ana, "note", Tip.objects.get().reference, monkeypatch=monkeypatch, capsys=capsys)
    assert Tip.objects.get().notes.count() == 1

    everything = b"".join(path.read_bytes() for path in ana.rglob("*") if path.is_file())
    assert (
        b"A secret the disk" not in everything
        and b"A note the disk" not in everything
        and tokens["ana"].encode() not in everything
    )
    monkeypatch.setenv("TIPLINE_READER_PASSPHRASE", "not the passphrase at all")
    assert cli.main(["--profile", str(ana), "list"]) == 0  # the list shows only what the server knows too
    capsys.readouterr()
    assert cli.main(["--profile", str(ana), "show", Tip.objects.get().reference]) == 1
    assert "does not open" in capsys.readouterr().err


def test_a_tip_the_server_destroys_is_removed_from_the_reader_at_the_next_sync(
    live_server, vault_desk, tmp_path, monkeypatch, capsys
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from tipline.intake.tests.helpers import post_tip
    from tipline.jobs.retention import purge

    _people, tokens = vault_desk
    ana = tmp_path / "ana"
    run_reader(
        ana,
        "init",
        "--server",
        live_server.url,
        "--channel",
        "vault",
        token=tokens["ana"],
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
    post_tip(
        Client(),
        "vault",
        {"answer-tip": "Kept only as long as the channel keeps it."},
        files=[SimpleUploadedFile("a.txt", b"kept-marker")],
    )
    kept, _receipt = make_tip("vault", "Still here.")
    run_reader(ana, "sync", monkeypatch=monkeypatch, capsys=capsys)
    destroyed = Tip.objects.exclude(pk=kept.pk).get()
    run_reader(
        ana, "note", destroyed.reference, "--text", "queued before the purge", monkeypatch=monkeypatch, capsys=capsys
    )
    assert len(list((ana / "blobs").iterdir())) == 1 and len(list((ana / "tips").iterdir())) == 2

    from tipline.reader import opening
    from tipline.reader.profile import Profile

    profile = Profile(ana)  # a reply sealed, then the tip destroyed before it went out: dropped, not stuck
    profile.queue(
        opening.seal_text(
            profile, profile.open_vault(PASSPHRASE), profile.tip_record(destroyed.reference), "reply", "too late"
        )
    )

    purge(destroyed)
    # Its retention has ended, then (the job purges nothing sooner): the reader's clock says so too.
    monkeypatch.setattr("tipline.reader.profile._now", lambda: datetime.now(UTC) + timedelta(days=91))
    printed = run_reader(ana, "sync", monkeypatch=monkeypatch, capsys=capsys)
    assert "removed here with their files: 1" in printed
    assert [path.stem for path in (ana / "tips").iterdir()] == [str(kept.pk)]
    assert (
        not list((ana / "blobs").iterdir())
        and not list((ana / "sent").iterdir())
        and not list((ana / "outbox").iterdir())
    )


def test_a_second_init_on_a_channel_with_a_key_is_told_to_join_and_makes_nothing(
    live_server, vault_desk, tmp_path, monkeypatch, capsys
):
    _people, tokens = vault_desk
    run_reader(
        tmp_path / "ana",
        "init",
        "--server",
        live_server.url,
        "--channel",
        "vault",
        token=tokens["ana"],
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
    monkeypatch.setenv("TIPLINE_READER_TOKEN", tokens["ben"])
    assert (
        cli.main(["--profile", str(tmp_path / "ben"), "init", "--server", live_server.url, "--channel", "vault"]) == 1
    )
    assert "has a key already" in capsys.readouterr().err
    assert not (tmp_path / "ben").exists() and ChannelKey.objects.count() == 1


def test_what_a_tipster_writes_cannot_act_on_the_recipients_terminal(
    live_server, vault_desk, tmp_path, monkeypatch, capsys
):
    _people, tokens = vault_desk
    profile = tmp_path / "ana"
    run_reader(
        profile,
        "init",
        "--server",
        live_server.url,
        "--channel",
        "vault",
        token=tokens["ana"],
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
    hostile = (
        "\x1b[2J\x1b]0;owned\x07Clean start.\n[Note by carol · 2026-12-01 09:00]\nNothing to see.\x1b[8m hidden\u202e"
    )
    tip, _receipt = make_tip("vault", hostile)
    run_reader(profile, "sync", monkeypatch=monkeypatch, capsys=capsys)

    shown = run_reader(profile, "show", tip.reference, monkeypatch=monkeypatch, capsys=capsys)
    listed = run_reader(profile, "list", monkeypatch=monkeypatch, capsys=capsys)

    assert "\x1b" not in shown + listed and "\x07" not in shown and "\u202e" not in shown
    assert "\\u001b[2J\\u001b]0;owned\\u0007Clean start." in shown  # what was sent, shown as text
    assert (
        "\n[Note by carol" not in shown and "\n  [Note by carol · 2026-12-01 09:00]" in shown
    )  # indented: part of the tip


def test_a_note_sealed_in_the_reader_does_not_open_with_the_tipsters_receipt(
    live_server, vault_desk, tmp_path, monkeypatch, capsys
):
    from tipline.core.check_in import find_tip_by_receipt

    _people, tokens = vault_desk
    ana = tmp_path / "ana"
    run_reader(
        ana,
        "init",
        "--server",
        live_server.url,
        "--channel",
        "vault",
        token=tokens["ana"],
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
    tip, receipt = make_tip("vault", "The warden takes cash for visits.")
    run_reader(ana, "sync", monkeypatch=monkeypatch, capsys=capsys)
    run_reader(
        ana,
        "note",
        tip.reference,
        "--text",
        "Source is probably the night nurse.",
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
    # The tipster comes back: a taken-over server catches the tip key their receipt unwraps.
    _found, caught = find_tip_by_receipt(receipt)
    note = Note.objects.get()
    assert note.under_team_key and not note_opens_with(caught, note)
    run_reader(ana, "sync", monkeypatch=monkeypatch, capsys=capsys)
    assert "Source is probably the night nurse." in run_reader(
        ana, "show", tip.reference, monkeypatch=monkeypatch, capsys=capsys
    )


def test_a_tip_from_before_team_keys_gets_one_with_its_first_note_in_the_reader(
    live_server, vault_desk, tmp_path, monkeypatch, capsys
):
    from tipline.core.check_in import find_tip_by_receipt

    _people, tokens = vault_desk
    ana = tmp_path / "ana"
    run_reader(
        ana,
        "init",
        "--server",
        live_server.url,
        "--channel",
        "vault",
        token=tokens["ana"],
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
    tip, receipt = make_tip("vault", "The warden takes cash for visits.")
    _found, tip_key = find_tip_by_receipt(receipt)
    # As stored before team keys: the box holds the tip key alone, and a note is under the tip key.
    Tip.objects.filter(pk=tip.pk).update(
        sealed_for_channel_key=tip_keys.seal_tip_key(tip_key, tip.crypto_id, bytes(tip.channel_key.public_key))
    )
    old = Note(tip=tip, written_hour=tip.received_hour)
    old.ciphertext = content.encrypt_content(
        tip_key, b"Old note: ask the visitors' log.", content.note_context(tip.crypto_id, old.key)
    )
    old.save()
    run_reader(ana, "sync", monkeypatch=monkeypatch, capsys=capsys)
    run_reader(
        ana, "note", tip.reference, "--text", "First note with a team key.", monkeypatch=monkeypatch, capsys=capsys
    )
    run_reader(
        ana, "note", tip.reference, "--text", "Second note, same team key.", monkeypatch=monkeypatch, capsys=capsys
    )

    assert Note.objects.filter(tip=tip).count() == 3
    assert all(note.under_team_key and not note_opens_with(tip_key, note) for note in Note.objects.filter(tip=tip))
    run_reader(ana, "sync", monkeypatch=monkeypatch, capsys=capsys)
    shown = run_reader(ana, "show", tip.reference, monkeypatch=monkeypatch, capsys=capsys)
    assert (
        "ask the visitors' log" in shown
        and "First note with a team key." in shown
        and "Second note, same team key." in shown
    )
    assert "does not open" not in shown


def _two_readers(live_server, tokens, tmp_path, monkeypatch, capsys):
    """Ana sets the channel up; Ben joins with her hand-over (and so trusts her signing key,
    and she his: her reader vouches for him on the server)."""
    ana, ben = tmp_path / "ana", tmp_path / "ben"
    run_reader(
        ana,
        "init",
        "--server",
        live_server.url,
        "--channel",
        "vault",
        token=tokens["ana"],
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
    asked = run_reader(
        ben,
        "join",
        "--server",
        live_server.url,
        "--channel",
        "vault",
        token=tokens["ben"],
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
    run_reader(
        ana,
        "share-key",
        asked.split("\n")[1].strip(),
        "--out",
        str(tmp_path / "for-ben"),
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
    run_reader(ben, "accept-key", str(tmp_path / "for-ben"), monkeypatch=monkeypatch, capsys=capsys)
    return ana, ben


def test_authorship_a_taken_over_server_forges_is_flagged_in_every_colleagues_reader(
    live_server, vault_desk, tmp_path, monkeypatch, capsys
):
    from tipline.core.models import Message

    _people, tokens = vault_desk
    ana, ben = _two_readers(live_server, tokens, tmp_path, monkeypatch, capsys)
    tip, _receipt = make_tip("vault", "The warden takes cash for visits.")
    run_reader(ana, "sync", monkeypatch=monkeypatch, capsys=capsys)
    run_reader(
        ana, "reply", tip.reference, "--text", "Which days? Any names help.", monkeypatch=monkeypatch, capsys=capsys
    )
    run_reader(
        ana, "note", tip.reference, "--text", "Ana: check the visitors' book.", monkeypatch=monkeypatch, capsys=capsys
    )
    run_reader(ben, "sync", monkeypatch=monkeypatch, capsys=capsys)  # Ben's reader learns Ana's vouch... and reads
    shown = run_reader(ben, "show", tip.reference, monkeypatch=monkeypatch, capsys=capsys)
    assert "[Reply by ana · signed" in shown and "[Note by ana · signed" in shown
    run_reader(
        ben, "note", tip.reference, "--text", "Ben: I know the warden's cousin.", monkeypatch=monkeypatch, capsys=capsys
    )
    run_reader(ana, "sync", monkeypatch=monkeypatch, capsys=capsys)
    assert "[Note by ben · signed" in run_reader(ana, "show", tip.reference, monkeypatch=monkeypatch, capsys=capsys)
    run_reader(
        ana, "note", tip.reference, "--text", "Ana: good, ask him.", monkeypatch=monkeypatch, capsys=capsys
    )  # has seen Ben's

    # The taken-over server: the team's reply passed off as the tipster's, Ana's note given to
    # "carol", Ben's note dropped without a trace.
    Message.objects.filter(tip=tip).update(author="tipster", sender=None, bound_as="tipster")
    Note.objects.filter(tip=tip, author__username="ana").update(author=make_staff("carol", ["vault"]).user)
    Note.objects.filter(tip=tip, author__username="ben").delete()
    run_reader(ana, "sync", monkeypatch=monkeypatch, capsys=capsys)
    shown = run_reader(ana, "show", tip.reference, monkeypatch=monkeypatch, capsys=capsys)
    assert "Which days? Any names help." not in shown  # not shown as the tipster's: it no longer opens
    assert "[Tipster" in shown and "This text does not open: it was altered." in shown
    assert "[Note by ana · signed" in shown and "carol" not in shown
    assert "WARNING: ana had seen items of this tip that the server's copy no longer lists" in shown
    # Ben's own reader knows the note it sent is gone.
    run_reader(ben, "sync", monkeypatch=monkeypatch, capsys=capsys)
    assert "WARNING: A note this reader sent is missing from the server's copy" in run_reader(
        ben, "show", tip.reference, monkeypatch=monkeypatch, capsys=capsys
    )


def test_a_whole_tip_invented_by_the_server_shows_its_team_items_as_unverified(
    live_server, vault_desk, tmp_path, monkeypatch, capsys
):
    from tipline.core.models import Message
    from tipline.crypto import authorship
    from tipline.crypto.encoding import b64

    _people, tokens = vault_desk
    ana, _ben = _two_readers(live_server, tokens, tmp_path, monkeypatch, capsys)
    tip, _receipt = make_tip("vault", "Forged: the mayor confessed.")  # anyone can seal to the channel's public key
    # Having made the tip, the server knows its keys (in a real forgery it chose them).
    tip_key, team_key = tip_keys.new_tip_key(), tip_keys.new_team_key()
    Tip.objects.filter(pk=tip.pk).update(
        sealed_for_channel_key=tip_keys.seal_tip_key(
            tip_key, tip.crypto_id, bytes(tip.channel_key.public_key), team_key
        ),
        answers_ciphertext=content.encrypt_json(
            tip_key,
            [{"key": "tip", "label": "Your tip", "kind": "long_text", "value": "Forged."}],
            content.answers_context(tip.crypto_id),
        ),
    )
    forger_public, forger_private = authorship.new_signing_key()
    reply = Message(
        tip=tip,
        author="recipient",
        sender=_people["ana"].user,
        sent_hour=tip.received_hour,
        bound_as="reader",
    )
    reply.ciphertext = content.encrypt_content(
        tip_key, b"Thank you, we will publish.", content.message_context(tip.crypto_id, reply.key, "reader")
    )
    statement = authorship.item_statement(tip.crypto_id, "reply", str(reply.key), "", reply.ciphertext, [])
    reply.reader_seal = {
        "signer": b64(forger_public),
        "signature": b64(authorship.sign(forger_private, statement)),
        "seen": [],
    }
    reply.save()
    note = Note(
        tip=tip, author=_people["ben"].user, written_hour=tip.received_hour, under_team_key=True, bound_as="reader"
    )
    note.ciphertext = content.encrypt_content(
        team_key, b"Verified by phone.", content.note_context(tip.crypto_id, note.key, "reader")
    )
    note.save()

    run_reader(ana, "sync", monkeypatch=monkeypatch, capsys=capsys)
    shown = run_reader(ana, "show", tip.reference, monkeypatch=monkeypatch, capsys=capsys)
    assert "[Reply by ana · unverified, as the server says" in shown
    assert "[Note by ben · unverified, as the server says" in shown
    assert "· signed" not in shown


def test_a_colleague_vouched_for_by_a_trusted_reader_is_trusted_and_a_vouch_by_a_stranger_is_not(
    live_server, vault_desk, tmp_path, monkeypatch, capsys
):
    from tipline.accounts.tokens import create_token
    from tipline.core.models import ReaderVouch
    from tipline.crypto import authorship
    from tipline.crypto.encoding import b64

    _people, tokens = vault_desk
    ana, ben = _two_readers(live_server, tokens, tmp_path, monkeypatch, capsys)
    # Cy joins from Ben (not from Ana): Ana's reader learns Cy's key from Ben's vouch on the server.
    carl = tmp_path / "cy"
    cy = make_staff("cyd", ["vault"])
    cy_token = create_token(cy.user, cy.private_key, "reader", 30).secret_string
    run_reader(ben, "sync", monkeypatch=monkeypatch, capsys=capsys)
    asked = run_reader(
        carl,
        "join",
        "--server",
        live_server.url,
        "--channel",
        "vault",
        token=cy_token,
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
    run_reader(
        ben,
        "share-key",
        asked.split("\n")[1].strip(),
        "--out",
        str(tmp_path / "for-cy"),
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
    run_reader(carl, "accept-key", str(tmp_path / "for-cy"), monkeypatch=monkeypatch, capsys=capsys)
    tip, _receipt = make_tip("vault", "The warden takes cash for visits.")
    run_reader(ben, "sync", monkeypatch=monkeypatch, capsys=capsys)  # sends Ben's vouch for Cy
    run_reader(carl, "sync", monkeypatch=monkeypatch, capsys=capsys)
    run_reader(
        carl, "note", tip.reference, "--text", "Cy: I will call the union.", monkeypatch=monkeypatch, capsys=capsys
    )
    run_reader(ana, "sync", monkeypatch=monkeypatch, capsys=capsys)
    assert "[Note by cyd · signed" in run_reader(ana, "show", tip.reference, monkeypatch=monkeypatch, capsys=capsys)
    assert ReaderVouch.objects.filter(name="cyd").count() == 1

    # The server adds a vouch of its own, signed by a key nobody trusts, for a key it holds: nothing changes.
    public, private = authorship.new_signing_key()
    forged_public, _ = authorship.new_signing_key()
    ReaderVouch.objects.create(
        channel=tip.channel,
        name="ana",
        public_key=forged_public,
        voucher=public,
        signature=authorship.sign(private, authorship.vouch_statement("vault", "ana", forged_public)),
    )
    Note.objects.filter(tip=tip).update(reader_seal={"signer": b64(forged_public), "signature": "AA", "seen": []})
    run_reader(ana, "sync", monkeypatch=monkeypatch, capsys=capsys)
    assert "[Note by cyd · unverified, as the server says" in run_reader(
        ana, "show", tip.reference, monkeypatch=monkeypatch, capsys=capsys
    )


def test_a_server_that_stops_listing_tips_or_sends_junk_makes_no_reader_forget_or_crash(
    live_server, vault_desk, tmp_path, monkeypatch, capsys
):
    _people, tokens = vault_desk
    ana = tmp_path / "ana"
    run_reader(
        ana,
        "init",
        "--server",
        live_server.url,
        "--channel",
        "vault",
        token=tokens["ana"],
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
    tip, _receipt = make_tip("vault", "The warden takes cash for visits.")
    run_reader(ana, "sync", monkeypatch=monkeypatch, capsys=capsys)
    # A taken-over server lists no tip: before their retention ends, readers keep them and say why.
    Tip.objects.filter(pk=tip.pk).update(sealed_for_channel_key=None)  # no longer in the sealed listing
    printed = run_reader(ana, "sync", monkeypatch=monkeypatch, capsys=capsys)
    assert "although their retention has not ended, kept here: 1" in printed
    assert "The warden takes cash" in run_reader(ana, "show", tip.reference, monkeypatch=monkeypatch, capsys=capsys)
    # Junk where a number or a list belongs: the sync stops with one clear line, the store is untouched.
    from tipline.reader.client import Client as ReaderClient

    real_get = ReaderClient.get

    def rewritten(client, path, **query):  # the taken-over server's answers, as the reader receives them
        answer = real_get(client, path, **query)
        for record in answer.get("items", []):
            record.update({"message_count": ["<b>", 1], "messages": "x"})
        return answer

    monkeypatch.setattr(ReaderClient, "get", rewritten)
    Tip.objects.filter(pk=tip.pk).update(sealed_for_channel_key=b"\x01" * 161)  # listed again
    assert cli.main(["--profile", str(ana), "sync"]) == 1
    assert "The server sent a tip that is not well formed (field message_count)" in capsys.readouterr().err
    assert "messages: 0" in run_reader(ana, "list", monkeypatch=monkeypatch, capsys=capsys)  # the junk was not stored
    assert "The warden takes cash" in run_reader(ana, "show", tip.reference, monkeypatch=monkeypatch, capsys=capsys)


def test_a_saved_file_is_for_the_recipient_alone_and_the_fast_test_kdf_is_refused_outside_tests(
    live_server, vault_desk, tmp_path, monkeypatch, capsys
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from tipline.intake.tests.helpers import post_tip
    from tipline.reader.profile import ReaderError, vault_params

    _people, tokens = vault_desk
    ana = tmp_path / "ana"
    run_reader(
        ana,
        "init",
        "--server",
        live_server.url,
        "--channel",
        "vault",
        token=tokens["ana"],
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
    post_tip(
        Client(), "vault", {"answer-tip": "See the ledger."}, files=[SimpleUploadedFile("ledger.txt", b"ledger-marker")]
    )
    run_reader(ana, "sync", monkeypatch=monkeypatch, capsys=capsys)
    tip = Tip.objects.get()
    file_id = str(tip.attachments.get().id)
    os.umask(0o022)
    run_reader(
        ana,
        "save-file",
        tip.reference,
        file_id,
        "--out",
        str(tmp_path / "ledger.txt"),
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
    assert (tmp_path / "ledger.txt").read_bytes() == b"ledger-marker"
    assert (tmp_path / "ledger.txt").stat().st_mode & 0o077 == 0
    assert all(path.stat().st_mode & 0o077 == 0 for path in (ana / "blobs").iterdir())

    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    with pytest.raises(ReaderError, match="TIPLINE_INSECURE_FAST_KDF is set"):
        vault_params()


def test_a_reader_lives_through_the_year_new_token_warnings_pending_items_and_one_line_errors(
    live_server, vault_desk, tmp_path, monkeypatch, capsys
):
    from tipline.accounts.models import ApiToken
    from tipline.accounts.tokens import create_token

    people, tokens = vault_desk
    ana = tmp_path / "ana"
    run_reader(
        ana,
        "init",
        "--server",
        live_server.url,
        "--channel",
        "vault",
        token=tokens["ana"],
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
    tip, _receipt = make_tip("vault", "The warden takes cash for visits.")
    # Expiry is warned about two weeks ahead.
    ApiToken.objects.filter(user=people["ana"].user).update(expires_at=timezone.now() + timedelta(days=10))
    printed = run_reader(ana, "sync", monkeypatch=monkeypatch, capsys=capsys)
    assert "WARNING: this reader's API token expires on" in printed and "tipline-reader token" in printed
    # A reply sent from the command line shows at once, as sent but not yet confirmed.
    run_reader(ana, "reply", tip.reference, "--text", "Which days?", monkeypatch=monkeypatch, capsys=capsys)
    shown = run_reader(ana, "show", tip.reference, monkeypatch=monkeypatch, capsys=capsys)
    assert "[Reply by you · sent, not yet confirmed by a sync]" in shown and "Which days?" in shown
    # The token expires: one clear line, and a new token brings the reader back.
    ApiToken.objects.filter(user=people["ana"].user).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert cli.main(["--profile", str(ana), "sync"]) == 1
    said = capsys.readouterr().err
    assert (
        "no longer takes this reader's API token" in said and "tipline-reader token" in said and said.count("\n") == 1
    )
    monkeypatch.setenv("TIPLINE_READER_TOKEN", "tl1.00000000000000000000000000000000.bad")
    assert cli.main(["--profile", str(ana), "token"]) == 1  # a token that does not work is not taken
    capsys.readouterr()
    fresh = create_token(people["ana"].user, people["ana"].private_key, "reader again", 90).secret_string
    assert "The new token works" in run_reader(ana, "token", token=fresh, monkeypatch=monkeypatch, capsys=capsys)
    shown = run_reader(ana, "sync", monkeypatch=monkeypatch, capsys=capsys) and run_reader(
        ana, "show", tip.reference, monkeypatch=monkeypatch, capsys=capsys
    )
    assert "[Reply by ana · signed" in shown and "not yet confirmed" not in shown

    # Wrong ids, missing files, no terminal: one line each, never a traceback.
    for arguments in (
        ["save-file", tip.reference, "not-an-id", "--out", str(tmp_path / "x")],
        ["import-bundle", str(tmp_path / "missing.zip")],
        ["accept-key", str(tmp_path / "missing.key")],
        ["show", "T-NONE-NONE"],
    ):
        assert cli.main(["--profile", str(ana), *arguments]) == 1
        said = capsys.readouterr().err
        assert said.startswith("tipline-reader: ") and said.count("\n") == 1 and "Traceback" not in said
    monkeypatch.delenv("TIPLINE_READER_PASSPHRASE")
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert cli.main(["--profile", str(ana), "list"]) == 0  # needs no passphrase
    assert cli.main(["--profile", str(ana), "show", tip.reference]) == 1
    assert "no terminal to ask on" in capsys.readouterr().err


def test_show_through_a_terminal_emulator_with_hostile_input_leaves_the_screen_as_written(
    live_server, vault_desk, tmp_path, monkeypatch, capsys
):
    """What a recipient's terminal makes of `show`: played through pyte, an emulator of the
    escape sequences terminals obey. Nothing the tipster or server wrote clears the screen,
    sets the title, hides text or paints a heading of the reader's own."""
    import pyte

    _people, tokens = vault_desk
    profile = tmp_path / "ana"
    run_reader(
        profile,
        "init",
        "--server",
        live_server.url,
        "--channel",
        "vault",
        token=tokens["ana"],
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
    run_reader(profile, "sync", monkeypatch=monkeypatch, capsys=capsys)
    hostile = (
        "Before.\x1b[2J\x1b[H\x1b]0;owned\x07\x1b[8mconcealed\x1b[0m\x1b[30;40mblack on black\x1b[0m\r"
        "[Note by carol · signed · 2026-12-01 09:00]\x1b[1A\x1b[2K\u202eevil"
    )
    tip, _receipt = make_tip("vault", hostile)
    run_reader(profile, "sync", monkeypatch=monkeypatch, capsys=capsys)
    run_reader(
        profile, "note", tip.reference, "--text", "The team's real note.", monkeypatch=monkeypatch, capsys=capsys
    )
    shown = run_reader(profile, "show", tip.reference, monkeypatch=monkeypatch, capsys=capsys)

    screen = pyte.Screen(200, 60)
    stream = pyte.Stream(screen)
    stream.feed(shown.replace("\n", "\r\n"))
    lines = [line.rstrip() for line in screen.display]
    assert screen.title == ""  # no window title set
    assert lines[0].startswith(f"Tip {tip.reference}")  # the screen was not cleared over the heading
    assert any("The team's real note." in line for line in lines)
    assert not any(line.startswith("[Note by carol") for line in lines)  # only the reader's own headings start a line
    painted = [
        char
        for row in screen.buffer.values()
        for char in row.values()
        if (char.fg, char.bg, char.reverse) != ("default", "default", False)
    ]
    assert painted == []  # no colour set by the tipster: no black on black
    assert any("\\u001b[8mconcealed" in line for line in lines)  # the codes shown as text instead


def test_what_a_new_recipient_tripped_over_reads_right_now(live_server, vault_desk, tmp_path, monkeypatch, capsys):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from tipline.intake.tests.helpers import post_tip
    from tipline.reader.client import Client as ReaderClient

    _people, tokens = vault_desk
    ana = tmp_path / "ana"
    run_reader(
        ana,
        "init",
        "--server",
        live_server.url,
        "--channel",
        "vault",
        token=tokens["ana"],
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
    post_tip(
        Client(),
        "vault",
        {"answer-tip": "Line one.\r\nLine two \u202eevil"},
        files=[SimpleUploadedFile("a.txt", b"kept")],
    )
    tip = Tip.objects.get()
    run_reader(ana, "sync", monkeypatch=monkeypatch, capsys=capsys)
    shown = run_reader(ana, "show", tip.reference, monkeypatch=monkeypatch, capsys=capsys)
    assert (
        "  Line one.\n  Line two \\u202eevil" in shown and "\\u000d" not in shown
    )  # a browser's CR LF is one line end
    file_id = str(tip.attachments.get().id)
    out = tmp_path / "a.txt"
    run_reader(ana, "save-file", tip.reference, file_id, "--out", str(out), monkeypatch=monkeypatch, capsys=capsys)
    for arguments in (
        ["save-file", tip.reference, file_id, "--out", str(out)],
        ["save-file", tip.reference, "bogus", "--out", str(tmp_path / "b")],
    ):
        assert cli.main(["--profile", str(ana), *arguments]) == 1
        said = capsys.readouterr().err
        assert said.count("\n") == 1 and ("exists already" in said or "has no file bogus" in said)
    # Offline for a moment: the reply is queued, and the reader says so rather than "try again".
    real = ReaderClient._open
    monkeypatch.setattr(
        ReaderClient,
        "_open",
        lambda client, method, path, body=None: (_ for _ in ()).throw(ReaderError("Cannot reach the server.")),
    )
    said = run_reader(ana, "reply", tip.reference, "--text", "We read it.", monkeypatch=monkeypatch, capsys=capsys)
    assert "Sealed and queued: the next sync sends it, do not write it again" in said
    monkeypatch.setattr(ReaderClient, "_open", real)
    run_reader(ana, "sync", monkeypatch=monkeypatch, capsys=capsys)
    # The server strips the signature from Ana's own reply: her reader says so, at the sync and in the list.
    from tipline.core.models import Message

    Message.objects.filter(tip=tip, author="recipient").update(reader_seal=None)
    printed = run_reader(ana, "sync", monkeypatch=monkeypatch, capsys=capsys)
    assert f"WARNING: tip {tip.reference}: An item this reader sent shows without its signature" in printed


def test_show_piped_into_a_pager_that_quits_says_nothing(tmp_path):
    """`tipline-reader list | head -1`: the pager leaves early; the reader stops without a word."""
    import subprocess
    import sys

    environment = {key: value for key, value in os.environ.items() if not key.startswith("TIPLINE_")}
    script = (
        "import sys; from tipline.reader import cli\n"
        "cli.list_tips = lambda arguments: [print('T-XXXX-XXXX line', flush=True) for _ in range(100000)]\n"
        "sys.exit(cli.main(['--profile', sys.argv[1], 'list']))"
    )
    run = subprocess.run(
        f'{sys.executable} -c "{script}" {tmp_path} | head -1',
        shell=True,
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )
    assert run.stdout == "T-XXXX-XXXX line\n" and "Traceback" not in run.stderr and run.stderr == ""


def test_an_older_bundle_or_another_channels_is_refused_before_it_changes_anything(
    live_server, vault_desk, tmp_path, monkeypatch, capsys
):
    import json
    import zipfile

    _people, tokens = vault_desk
    ana = tmp_path / "ana"
    run_reader(
        ana,
        "init",
        "--server",
        live_server.url,
        "--channel",
        "vault",
        token=tokens["ana"],
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
    make_tip("vault", "First.")
    run_reader(ana, "export-bundle", "--out", str(tmp_path / "old.zip"), monkeypatch=monkeypatch, capsys=capsys)
    make_tip("vault", "Second.")
    run_reader(ana, "export-bundle", "--out", str(tmp_path / "new.zip"), monkeypatch=monkeypatch, capsys=capsys)
    run_reader(ana, "import-bundle", str(tmp_path / "new.zip"), monkeypatch=monkeypatch, capsys=capsys)
    assert cli.main(["--profile", str(ana), "import-bundle", str(tmp_path / "old.zip")]) == 1
    assert "older than the bundle read before it" in capsys.readouterr().err
    assert len(list((ana / "tips").iterdir())) == 2
    with zipfile.ZipFile(tmp_path / "new.zip") as source, zipfile.ZipFile(tmp_path / "other.zip", "w") as other:
        for name in source.namelist():
            data = source.read(name)
            other.writestr(
                name, json.dumps(json.loads(data) | {"channel": "press"}) if name == "channel-keys.json" else data
            )
    assert cli.main(["--profile", str(ana), "import-bundle", str(tmp_path / "other.zip")]) == 1
    assert "is a bundle of channel press" in capsys.readouterr().err


def test_a_hand_over_of_no_keys_to_a_reader_without_one_says_so(tmp_path, monkeypatch, capsys):
    """A hand-over holding no channel key (a colleague's reader can make one only by hand) was a
    traceback: the newest fingerprint of a reader that holds no key was taken of nothing."""
    from tipline.crypto import channel_keys
    from tipline.crypto.encoding import b64
    from tipline.reader.profile import Profile, Vault

    monkeypatch.setenv("TIPLINE_READER_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("TIPLINE_INSECURE_FAST_KDF", "1")
    pair = recipient_keys.generate_key_pair()
    vault = Vault(transfer={"public": b64(pair.public_key), "private": b64(pair.private_key)})
    Profile(tmp_path / "cy").create({"channel": "vault", "server": None}, vault, PASSPHRASE)
    (tmp_path / "empty").write_bytes(channel_keys.seal_transfer({"keys": [], "roster": []}, pair.public_key))

    taken = run_reader(tmp_path / "cy", "accept-key", str(tmp_path / "empty"), monkeypatch=monkeypatch, capsys=capsys)

    assert "Channel keys taken in: 0. Newest fingerprint: -" in taken
