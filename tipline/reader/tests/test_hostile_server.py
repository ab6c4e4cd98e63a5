"""tipline-reader against a taken-over server and a crowded computer, as an outside review
played them: the server chooses a tip's keys, forgets retention ends, sends junk, refuses
what it is sent, moves files under signed replies; a local program opens connection after
connection. Each case was a way to read the team's words, wipe a reader or stop it."""

import json
import socket
import threading
import urllib.request

import pytest

from tipline.core.models import Message, Note, ReaderVouch, Tip
from tipline.crypto import authorship, content, tip_keys
from tipline.crypto.encoding import b64
from tipline.crypto.errors import DecryptionError
from tipline.reader import cli, web
from tipline.reader.client import Client as ReaderClient
from tipline.reader.client import ServerSaid
from tipline.reader.profile import Profile
from tipline.reader.tests.conftest import PASSPHRASE, run_reader
from tipline.testing.staff import make_tip, note_opens_with


def _init(live_server, tokens, tmp_path, monkeypatch, capsys, who="ana"):
    profile = tmp_path / who
    run_reader(
        profile,
        "init",
        "--server",
        live_server.url,
        "--channel",
        "vault",
        token=tokens[who],
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
    return profile


def _rewrite(monkeypatch, change):
    """The taken-over server: every JSON answer the reader gets passes through `change`."""
    real = ReaderClient._json
    monkeypatch.setattr(
        ReaderClient,
        "_json",
        lambda client, method, path, body=None: change(method, path, real(client, method, path, body)),
    )


def _fails_in_one_line(profile, *arguments, capsys) -> str:
    assert cli.main(["--profile", str(profile), *arguments]) == 1
    said = capsys.readouterr().err
    assert said.startswith("tipline-reader: ") and said.count("\n") == 1 and "\x1b" not in said
    return said


def test_keys_the_server_puts_in_a_tips_box_are_refused_so_no_note_or_reply_is_sealed_to_them(
    live_server, vault_desk, tmp_path, monkeypatch, capsys
):
    from tipline.core.check_in import find_tip_by_receipt

    _people, tokens = vault_desk
    ana = _init(live_server, tokens, tmp_path, monkeypatch, capsys)
    tip, receipt = make_tip("vault", "The warden takes cash.")
    run_reader(ana, "sync", monkeypatch=monkeypatch, capsys=capsys)
    # A returning tipster's tip key, and a team key of the attacker's, sealed to the public channel key.
    _found, tip_key = find_tip_by_receipt(receipt)
    attacker_team = tip_keys.new_team_key()
    Tip.objects.filter(pk=tip.pk).update(
        sealed_for_channel_key=tip_keys.seal_tip_key(
            tip_key, tip.crypto_id, bytes(tip.channel_key.public_key), attacker_team
        )
    )
    assert "keys of tip" in _fails_in_one_line(ana, "sync", capsys=capsys)  # stopped before the new box is stored
    run_reader(
        ana, "note", tip.reference, "--text", "Source is the night nurse.", monkeypatch=monkeypatch, capsys=capsys
    )
    assert not note_opens_with(attacker_team, Note.objects.get())  # sealed under the tip's own team key
    # Without a receipt: keys wholly of the server's choosing, for the next reply.
    evil_tip_key = tip_keys.new_tip_key()
    Tip.objects.filter(pk=tip.pk).update(
        sealed_for_channel_key=tip_keys.seal_tip_key(
            evil_tip_key, tip.crypto_id, bytes(tip.channel_key.public_key), tip_keys.new_team_key()
        )
    )
    assert "keys of tip" in _fails_in_one_line(ana, "sync", capsys=capsys)
    run_reader(ana, "reply", tip.reference, "--text", "Meet me at 6.", monkeypatch=monkeypatch, capsys=capsys)
    reply = Message.objects.get()
    with pytest.raises(DecryptionError):
        content.decrypt_content(
            evil_tip_key, bytes(reply.ciphertext), content.message_context(tip.crypto_id, reply.key, reply.bound_as)
        )
    # And a box of the server's choosing, stored behind the reader's back, is refused when it is used.
    record = json.loads(next((ana / "tips").glob("*.json")).read_text())
    record["sealed_key"] = b64(bytes(Tip.objects.get(pk=tip.pk).sealed_for_channel_key))
    Profile(ana).save_tip(record)
    assert "keys of tip" in _fails_in_one_line(ana, "note", tip.reference, "--text", "Not sealed.", capsys=capsys)
    assert Note.objects.count() == 1


@pytest.mark.parametrize("junk", [None, "2099-01-01T00:00:00", "not a date"])
def test_a_tip_whose_retention_end_the_server_hides_or_garbles_is_kept_and_the_reader_keeps_working(
    live_server, vault_desk, tmp_path, monkeypatch, capsys, junk
):
    _people, tokens = vault_desk
    ana = _init(live_server, tokens, tmp_path, monkeypatch, capsys)
    tip, _receipt = make_tip("vault", "The warden takes cash.")
    run_reader(ana, "sync", monkeypatch=monkeypatch, capsys=capsys)

    def hostile(method, path, answer):
        for record in answer.get("items", []):
            record["destroyed_after"] = junk
        return answer

    _rewrite(monkeypatch, hostile)
    if junk is None:
        run_reader(ana, "sync", monkeypatch=monkeypatch, capsys=capsys)
    else:
        assert "not well formed (field destroyed_after)" in _fails_in_one_line(ana, "sync", capsys=capsys)
    Tip.objects.filter(pk=tip.pk).update(sealed_for_channel_key=None)  # and then no longer listed
    if junk is None:
        assert "kept here: 1" in run_reader(ana, "sync", monkeypatch=monkeypatch, capsys=capsys)
    monkeypatch.undo()
    monkeypatch.setenv("TIPLINE_READER_PASSPHRASE", PASSPHRASE)
    assert "kept here: 1" in run_reader(
        ana, "sync", monkeypatch=monkeypatch, capsys=capsys
    )  # the honest server again: it works
    assert "The warden takes cash." in run_reader(ana, "show", tip.reference, monkeypatch=monkeypatch, capsys=capsys)


def test_an_item_the_server_refuses_stays_in_the_outbox_said_so_and_holds_up_nothing(
    live_server, vault_desk, tmp_path, monkeypatch, capsys
):
    _people, tokens = vault_desk
    ana = _init(live_server, tokens, tmp_path, monkeypatch, capsys)
    tip, _receipt = make_tip("vault", "The warden takes cash.")
    run_reader(ana, "sync", monkeypatch=monkeypatch, capsys=capsys)
    real = ReaderClient.post

    def refusing(client, path, body):
        if "sealed-replies" in path:
            raise ServerSaid(404, "Not found")
        return real(client, path, body)

    monkeypatch.setattr(ReaderClient, "post", refusing)
    said = run_reader(ana, "reply", tip.reference, "--text", "Please call us.", monkeypatch=monkeypatch, capsys=capsys)
    assert "WARNING: the server refused an item sealed here; it stays in the outbox" in said
    run_reader(ana, "note", tip.reference, "--text", "A note still goes.", monkeypatch=monkeypatch, capsys=capsys)
    assert Note.objects.count() == 1 and len(list((ana / "outbox").iterdir())) == 1
    assert "Reply by you · waiting to be sent" in run_reader(
        ana, "show", tip.reference, monkeypatch=monkeypatch, capsys=capsys
    )
    monkeypatch.setattr(ReaderClient, "post", real)
    run_reader(ana, "sync", monkeypatch=monkeypatch, capsys=capsys)
    assert Message.objects.filter(tip=tip).count() == 1  # sent once the server takes it


def test_a_token_without_the_channel_key_cannot_fill_the_vouches_and_a_refused_vouch_blocks_no_sync(
    live_server, vault_desk, tmp_path, monkeypatch, capsys
):
    from django.test import Client

    _people, tokens = vault_desk
    ana = _init(live_server, tokens, tmp_path, monkeypatch, capsys)
    public, private = authorship.new_signing_key()
    answer = Client().post(
        "/api/v1/channels/vault/reader-vouches",
        json.dumps(
            {
                "name": "junk",
                "public_key": b64(public),
                "voucher": b64(public),
                "signature": b64(authorship.sign(private, authorship.vouch_statement("vault", "junk", public))),
            }
        ),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {tokens['ben']}",
    )
    assert answer.status_code == 403 and not ReaderVouch.objects.exists()
    ben = tmp_path / "ben"
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
    shared = run_reader(
        ana,
        "share-key",
        asked.split("\n")[1].strip(),
        "--out",
        str(tmp_path / "for-ben"),
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
    assert "request of ben" in shared
    real = ReaderClient.post
    monkeypatch.setattr(
        ReaderClient,
        "post",
        lambda client, path, body: (
            (_ for _ in ()).throw(ServerSaid(400, "full")) if "vouches" in path else real(client, path, body)
        ),
    )
    tip, _receipt = make_tip("vault", "The warden takes cash.")
    printed = run_reader(ana, "sync", monkeypatch=monkeypatch, capsys=capsys)
    assert "Tips fetched: 1" in printed and "the server refused an item" in printed
    monkeypatch.setattr(ReaderClient, "post", real)
    run_reader(
        ana, "sync", monkeypatch=monkeypatch, capsys=capsys
    )  # the refused vouch was set aside, not retried for ever
    # A second request under a name a trusted reader signs as already is refused.
    asked_again = run_reader(
        tmp_path / "mallory",
        "join",
        "--server",
        live_server.url,
        "--channel",
        "vault",
        "--name",
        "ana",
        token=tokens["ben"],
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
    assert "signs as ana already" in _fails_in_one_line(
        ana, "share-key", asked_again.split("\n")[1].strip(), "--out", str(tmp_path / "x"), capsys=capsys
    )


@pytest.mark.parametrize("case", ["vouch-not-an-object", "seal-junk", "keys-junk", "not-json", "answers-junk"])
def test_junk_from_the_server_ends_in_one_line_or_shows_as_unverified_never_a_traceback(
    live_server, vault_desk, tmp_path, monkeypatch, capsys, case
):
    _people, tokens = vault_desk
    ana = _init(live_server, tokens, tmp_path, monkeypatch, capsys)
    tip, _receipt = make_tip("vault", "The warden takes cash.")
    run_reader(ana, "sync", monkeypatch=monkeypatch, capsys=capsys)
    run_reader(ana, "note", tip.reference, "--text", "Ana's note.", monkeypatch=monkeypatch, capsys=capsys)
    if case == "answers-junk":  # a tip the server forged, with answers no tip line writes
        junk_tip, _receipt = make_tip("vault", "x")
        tip_key = tip_keys.new_tip_key()
        Tip.objects.filter(pk=junk_tip.pk).update(
            sealed_for_channel_key=tip_keys.seal_tip_key(
                tip_key, junk_tip.crypto_id, bytes(junk_tip.channel_key.public_key), tip_keys.new_team_key()
            ),
            answers_ciphertext=content.encrypt_json(tip_key, [1], content.answers_context(junk_tip.crypto_id)),
        )
        run_reader(ana, "sync", monkeypatch=monkeypatch, capsys=capsys)
        assert "answers were altered" in _fails_in_one_line(ana, "show", junk_tip.reference, capsys=capsys)
        profile = Profile(ana)
        server = web.serve(profile, profile.open_vault(PASSPHRASE), 0, online=False)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            listing = urllib.request.urlopen(web.address(server), timeout=10).read().decode()
        finally:
            server.shutdown()
            server.server_close()
        assert junk_tip.reference in listing and tip.reference in listing  # the list still shows every tip
        return
    if case == "not-json":

        class Page:
            def __enter__(self):
                return self

            def __exit__(self, *problem):
                return False

            def read(self, *size):
                return b"<html>maintenance</html>"

        monkeypatch.setattr(ReaderClient, "_open", lambda client, method, path, body=None: Page())
        assert "did not answer as a tip line does" in _fails_in_one_line(ana, "sync", capsys=capsys)
        return

    def hostile(method, path, answer):
        if path.endswith("reader-vouches") and case == "vouch-not-an-object":
            answer["vouches"] = [1, {"name": "x", "public_key": "!!", "voucher": "!!", "signature": "!!"}]
        if path.endswith("offline-key") and case == "keys-junk":
            answer["current"]["generation"] = "9"
        for record in answer.get("items", []):
            for note in record["notes"]:
                if case == "seal-junk":
                    note["seal"] = {"signer": ["x"], "seen": []}
        return answer

    _rewrite(monkeypatch, hostile)
    if case == "keys-junk":
        assert "not well formed (channel keys)" in _fails_in_one_line(ana, "sync", capsys=capsys)
    elif case == "seal-junk":
        assert "not well formed (field seal of an item of notes)" in _fails_in_one_line(ana, "sync", capsys=capsys)
    else:
        run_reader(ana, "sync", monkeypatch=monkeypatch, capsys=capsys)
        assert "[Note by ana · signed" in run_reader(ana, "show", tip.reference, monkeypatch=monkeypatch, capsys=capsys)


def test_escape_codes_in_what_the_server_says_never_reach_the_terminal(
    live_server, vault_desk, tmp_path, monkeypatch, capsys
):
    _people, tokens = vault_desk
    ana = _init(live_server, tokens, tmp_path, monkeypatch, capsys)
    tip, _receipt = make_tip("vault", "x")
    run_reader(ana, "sync", monkeypatch=monkeypatch, capsys=capsys)
    real = ReaderClient.post
    monkeypatch.setattr(
        ReaderClient,
        "post",
        lambda client, path, body: (_ for _ in ()).throw(ServerSaid(502, "\x1b]0;owned\x07\x1b[2Jok")),
    )
    said = run_reader(
        ana, "reply", tip.reference, "--text", "hi", monkeypatch=monkeypatch, capsys=capsys
    )  # queued, and said so
    assert "Sealed and queued" in said and "\x1b" not in said and "\\u001b]0;owned" in said
    monkeypatch.setattr(ReaderClient, "post", real)

    def hostile(method, path, answer):
        if path.endswith("offline-key") and answer.get("current"):
            answer["current"] |= {"uploaded_by": "\x1b[8mhidden", "public_key": b64(b"\x01" * 32)}
        return answer

    _rewrite(monkeypatch, hostile)
    assert "\\u001b[8mhidden" in _fails_in_one_line(ana, "sync", capsys=capsys)


def test_a_file_the_server_moves_under_a_signed_reply_is_shown_with_the_tips_files(
    live_server, vault_desk, tmp_path, monkeypatch, capsys
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from tipline.intake.tests.helpers import post_tip

    _people, tokens = vault_desk
    ana = _init(live_server, tokens, tmp_path, monkeypatch, capsys)
    post_tip(Client(), "vault", {"answer-tip": "See the ledger."}, files=[SimpleUploadedFile("payload.exe", b"MZ")])
    tip = Tip.objects.get()
    run_reader(ana, "sync", monkeypatch=monkeypatch, capsys=capsys)
    run_reader(ana, "reply", tip.reference, "--text", "Thanks, we got it.", monkeypatch=monkeypatch, capsys=capsys)
    tip.attachments.update(message=Message.objects.get(tip=tip, author="recipient"))
    run_reader(ana, "sync", monkeypatch=monkeypatch, capsys=capsys)
    shown = run_reader(ana, "show", tip.reference, monkeypatch=monkeypatch, capsys=capsys)
    assert "WARNING: The server lists a file with a reply sealed in tipline-reader" in shown
    reply_part = shown[shown.index("[Reply by ana · signed") :]
    assert "payload.exe" not in reply_part and "payload.exe" in shown[: shown.index("[Reply by ana · signed")]


def test_a_rotation_whose_upload_failed_raises_no_false_alarm(live_server, vault_desk, tmp_path, monkeypatch, capsys):
    _people, tokens = vault_desk
    ana = _init(live_server, tokens, tmp_path, monkeypatch, capsys)
    make_tip("vault", "x")
    run_reader(ana, "sync", monkeypatch=monkeypatch, capsys=capsys)
    real = ReaderClient.put
    monkeypatch.setattr(
        ReaderClient, "put", lambda client, path, body: (_ for _ in ()).throw(ServerSaid(503, "try later"))
    )
    _fails_in_one_line(ana, "rotate", capsys=capsys)
    monkeypatch.setattr(ReaderClient, "put", real)
    run_reader(
        ana, "sync", monkeypatch=monkeypatch, capsys=capsys
    )  # the key that never reached the server does not count
    assert "tips sealed again to it: 1" in run_reader(ana, "rotate", monkeypatch=monkeypatch, capsys=capsys)


def test_a_local_program_opening_connection_after_connection_is_cut_off_and_the_pages_still_answer(
    live_server, vault_desk, tmp_path, monkeypatch, capsys
):
    _people, tokens = vault_desk
    ana = _init(live_server, tokens, tmp_path, monkeypatch, capsys)
    profile = Profile(ana)
    server = web.serve(profile, profile.open_vault(PASSPHRASE), 0, online=False)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hogs, before = [], threading.active_count()
    try:
        for _ in range(web.MAX_CONNECTIONS * 3):  # each sends a byte and waits: slowloris
            hog = socket.create_connection(("127.0.0.1", server.server_port))
            hog.sendall(b"G")
            hogs.append(hog)
        assert threading.active_count() - before <= web.MAX_CONNECTIONS + 1  # not one thread per connection without end
        for hog in hogs[: web.MAX_CONNECTIONS]:
            hog.close()
        with urllib.request.urlopen(web.address(server), timeout=10) as answer:
            assert answer.status == 200
    finally:
        for hog in hogs:
            hog.close()
        server.shutdown()
        server.server_close()
