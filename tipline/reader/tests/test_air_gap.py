"""The air-gapped path: the channel's key is made on a machine that never goes online; an
online machine carries tips out as a bundle of ciphertext and the sealed replies back in.
Every step on the air-gapped side runs in a process that refuses to open any socket."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tipline.core.check_in import find_tip_by_receipt
from tipline.core.conversation import read_conversation
from tipline.core.models import Tip
from tipline.intake.tests.helpers import post_tip, receipt_in
from tipline.jobs.retention import purge
from tipline.reader import cli
from tipline.reader.tests.conftest import PASSPHRASE, run_reader

TIP_TEXT = "Ballots from district 9 are kept in the school basement."
# Runs tipline-reader with an audit hook that refuses, and reports, any socket at all.
WITHOUT_NETWORK = """
import sys
def refuse(event, arguments):
    if event.startswith("socket."):
        print("SOCKET-OPENED", event, file=sys.stderr, flush=True)
        raise OSError("this machine has no network")
sys.addaudithook(refuse)
from tipline.reader.cli import main
sys.exit(main(sys.argv[1:]))
"""


def air_gapped(profile: Path, *arguments: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("TIPLINE_", "DJANGO_"))}
    environment |= {"TIPLINE_READER_PASSPHRASE": PASSPHRASE, "TIPLINE_INSECURE_FAST_KDF": "1"}
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_NETWORK, "--profile", str(profile), *arguments],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_bundle_out_decrypt_and_reply_with_no_socket_then_replies_in(
    live_server, vault_desk, tmp_path, monkeypatch, capsys
):
    _people, tokens = vault_desk
    offline, online = tmp_path / "air-gapped", tmp_path / "online"

    made = air_gapped(offline, "init", "--channel", "vault", "--air-gapped")
    assert made.returncode == 0 and "SOCKET-OPENED" not in made.stderr, made.stderr
    public_key = made.stdout.split("--upload-key=")[1].split()[0]
    run_reader(
        online,
        "init",
        "--server",
        live_server.url,
        "--channel",
        "vault",
        f"--upload-key={public_key}",
        token=tokens["ana"],
        monkeypatch=monkeypatch,
        capsys=capsys,
    )

    monkeypatch.setenv("TIPLINE_READER_PASSPHRASE", PASSPHRASE)
    assert cli.main(["--profile", str(online), "sync"]) == 1  # it carries ciphertext; it cannot check or read it
    said = capsys.readouterr().err
    assert "holds no channel key" in said and "taken over" not in said  # no false alarm

    sent = post_tip(
        Client(), "vault", {"answer-tip": TIP_TEXT}, files=[SimpleUploadedFile("ballots.txt", b"ballot-count-marker")]
    )
    receipt = receipt_in(sent)
    tip = Tip.objects.get()
    bundle, replies = tmp_path / "bundle.zip", tmp_path / "replies.zip"
    run_reader(online, "export-bundle", "--out", str(bundle), monkeypatch=monkeypatch, capsys=capsys)
    assert TIP_TEXT.encode() not in bundle.read_bytes() and b"ballot-count-marker" not in bundle.read_bytes()
    # The online side holds no key: it cannot read what it carries, and sends the recipient to the other machine.
    assert cli.main(["--profile", str(online), "show", tip.reference]) == 1
    said = capsys.readouterr().err
    assert "read the tip on the air-gapped machine" in said and "share-key" not in said

    steps = [
        air_gapped(offline, "import-bundle", str(bundle)),
        shown := air_gapped(offline, "show", tip.reference),
        air_gapped(offline, "reply", tip.reference, "--text", "Thank you. Which door did they use?"),
        air_gapped(offline, "export-replies", "--out", str(replies)),
    ]
    for step in steps:
        assert step.returncode == 0 and "SOCKET-OPENED" not in step.stderr, step.stderr
    assert TIP_TEXT in shown.stdout and "ballots.txt" in shown.stdout

    printed = run_reader(online, "import-replies", str(replies), monkeypatch=monkeypatch, capsys=capsys)
    assert "sent: 1" in printed
    opened_tip, tip_key = find_tip_by_receipt(receipt)
    assert [message.text for message in read_conversation(opened_tip, tip_key)] == [
        "Thank you. Which door did they use?"
    ]

    purge(Tip.objects.get())  # the channel's retention: the next bundle no longer holds it, and the import removes it
    # ...and by then its retention has ended on this machine's clock too.
    (offline / "retention.json").write_text(
        json.dumps({path.stem: "2000-01-01T00:00:00+00:00" for path in (offline / "tips").iterdir()})
    )
    run_reader(online, "export-bundle", "--out", str(bundle), monkeypatch=monkeypatch, capsys=capsys)
    assert air_gapped(offline, "import-bundle", str(bundle)).returncode == 0
    assert not list((offline / "tips").iterdir()) and not list((offline / "blobs").iterdir())


def test_the_guard_does_catch_a_socket(live_server, vault_desk, tmp_path, monkeypatch, capsys):
    """The check above means something: the same guard stops a reader that does go online."""
    _people, tokens = vault_desk
    online = tmp_path / "online"
    run_reader(
        online,
        "init",
        "--server",
        live_server.url,
        "--channel",
        "vault",
        token=tokens["ana"],
        monkeypatch=monkeypatch,
        capsys=capsys,
    )
    tried = air_gapped(online, "sync")
    assert tried.returncode != 0 and "SOCKET-OPENED" in tried.stderr


def test_the_reader_runs_alone_from_one_file_without_django(tmp_path):
    """Installed alone: one .pyz on a machine with PyNaCl and no Django (any import of it fails here)."""
    from tipline.reader.standalone import build

    archive = build(tmp_path / "tipline-reader.pyz")
    without_django = (
        "import atexit, runpy, sys; sys.modules['django'] = None; sys.argv = sys.argv[1:]; "
        "atexit.register(lambda: print('ran from', sys.modules['tipline.reader.cli'].__file__, file=sys.stderr)); "
        "runpy.run_path(sys.argv[0], run_name='__main__')"
    )
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("TIPLINE_", "DJANGO_"))}
    environment |= {"TIPLINE_READER_PASSPHRASE": PASSPHRASE, "TIPLINE_INSECURE_FAST_KDF": "1"}
    made = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            without_django,
            str(archive),
            "--profile",
            str(tmp_path / "alone"),
            "init",
            "--channel",
            "vault",
            "--air-gapped",
        ],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert made.returncode == 0, made.stderr
    assert f"ran from {archive}" in made.stderr  # the archive's copy, not the installed package
    assert "Fingerprint:" in made.stdout and (tmp_path / "alone" / "vault").exists()
    # Its languages travel inside the one file.
    spoken = subprocess.run(
        [
            sys.executable,
            "-I",
            "-c",
            without_django,
            str(archive),
            "--language",
            "es",
            "--profile",
            str(tmp_path / "alone"),
            "list",
        ],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert spoken.returncode == 0 and "Aún no hay avisos" in spoken.stdout, spoken.stderr


def test_a_new_passphrase_replaces_the_old_one(tmp_path, monkeypatch):
    profile = tmp_path / "alone"
    assert air_gapped(profile, "init", "--channel", "vault", "--air-gapped").returncode == 0
    monkeypatch.setenv("TIPLINE_READER_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("TIPLINE_READER_NEW_PASSPHRASE", "a new and longer passphrase")
    monkeypatch.setenv("TIPLINE_INSECURE_FAST_KDF", "1")

    assert cli.main(["--profile", str(profile), "passphrase"]) == 0
    assert cli.main(["--profile", str(profile), "keys"]) == 1  # the old one opens nothing now
    monkeypatch.setenv("TIPLINE_READER_PASSPHRASE", "a new and longer passphrase")
    assert cli.main(["--profile", str(profile), "keys"]) == 0


def test_the_printed_upload_command_works_for_a_key_that_begins_with_a_dash(tmp_path, monkeypatch, capsys):
    """One public key in 64 begins with "-" in base64url: copied as printed, it must still be a value."""
    import shlex

    from tipline.crypto import recipient_keys
    from tipline.crypto.encoding import b64

    pair = next(pair for pair in iter(recipient_keys.generate_key_pair, None) if b64(pair.public_key).startswith("-"))
    monkeypatch.setattr(recipient_keys, "generate_key_pair", lambda: pair)
    monkeypatch.setenv("TIPLINE_READER_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("TIPLINE_INSECURE_FAST_KDF", "1")
    assert cli.main(["--profile", str(tmp_path / "alone"), "init", "--channel", "vault", "--air-gapped"]) == 0
    printed = next(line for line in capsys.readouterr().out.splitlines() if "--upload-key" in line)
    arguments = cli.parser().parse_args(shlex.split(printed)[1:])
    assert arguments.upload_key == b64(pair.public_key)
