"""tipline-reader syncing and decrypting an offline-key channel of 1,000 tips (one in ten with
a 100 KB file, each with one message from its tipster) from a running server: the time of a
first sync (every tip and file fetched as ciphertext), of a second sync (nothing new), and of
decrypting every tip and file; the reader's peak memory (Python allocations, and the
process's peak resident size).

Run: .venv/bin/python benchmarks/reader.py [--database sqlite|postgresql] [--tips 1000]

Tips are sent through the same service the form calls (Argon2id at its fast test setting
for the receipts: the reader's cost is what is measured), sealed to the key the reader made.
"""

import argparse
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import django_for, free_port, start_server, stop_server

PASSPHRASE = "a benchmark passphrase"


def seed(tip_count: int) -> None:
    import secrets

    from tipline.core import blobs
    from tipline.core.check_in import find_tip_by_receipt
    from tipline.core.conversation import Answer, add_message
    from tipline.core.models import Author, Channel
    from tipline.core.submission import submit_tip
    from tipline.core.uploads import EncryptedUpload
    from tipline.crypto import files

    def upload(name: str, data: bytes) -> EncryptedUpload:
        """As the form's upload handler leaves a file: an encrypted blob and its key."""
        blob_name, file_key = blobs.new_blob_name(), files.new_file_key()
        with blobs.open_for_writing(blob_name) as blob:
            for piece in files.encrypt_chunks(file_key, [data], files.blob_context(blob_name), padded=True):
                blob.write(piece)
        return EncryptedUpload(name, "application/octet-stream", blob_name, file_key, len(data), data[:64])

    channel = Channel.objects.get(slug="vault")
    for number in range(tip_count):
        uploads = [upload(f"scan-{number}.bin", os.urandom(100_000))] if number % 10 == 0 else []
        answers = [Answer("tip", "Your tip", "long_text", f"Tip {number}: " + "what happened, where and when. " * 30)]
        submitted = submit_tip(channel, answers, None, uploads, secrets.token_hex(8))
        tip, tip_key = find_tip_by_receipt(submitted.receipt)
        add_message(tip, tip_key, Author.TIPSTER, "One more thing I remembered. " * 5)


def timed(label: str, function):
    tracemalloc.start()
    started = time.perf_counter()
    result = function()
    seconds = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{label}: {seconds:.2f} s, peak Python allocations {peak / 2**20:.1f} MiB")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--tips", type=int, default=1000)
    arguments = parser.parse_args()
    django_for(arguments.database)

    from tipline.accounts.tokens import create_token
    from tipline.core.channel_schema import import_channel, parse_document
    from tipline.reader import cli, exchange, opening
    from tipline.reader.profile import Profile
    from tipline.testing.staff import make_staff

    import_channel(
        parse_document(
            "slug: vault\nname: Vault\noffline_key: true\nfields:\n  - {key: tip, kind: long_text, label: Your tip}\n"
        )
    )
    member = make_staff("ana", ["vault"])
    token = create_token(member.user, member.private_key, "reader", 1).secret_string
    port = free_port()
    server = start_server(port)
    try:
        profile_dir = Path(tempfile.mkdtemp(prefix="tipline-reader-bench-"))
        os.environ |= {"TIPLINE_READER_PASSPHRASE": PASSPHRASE, "TIPLINE_READER_TOKEN": token}
        os.environ.pop(
            "TIPLINE_INSECURE_FAST_KDF"
        )  # the server's settings have it already; the reader refuses it (a real vault)
        assert (
            cli.main(
                ["--profile", str(profile_dir), "init", "--server", f"http://127.0.0.1:{port}", "--channel", "vault"]
            )
            == 0
        )
        started = time.perf_counter()
        seed(arguments.tips)
        print(f"database: {arguments.database}; sent {arguments.tips} tips in {time.perf_counter() - started:.0f} s")

        profile = Profile(profile_dir)
        vault = profile.open_vault(PASSPHRASE)
        first = timed("first sync (every tip and file)", lambda: exchange.sync(profile, vault))
        assert first.tips == arguments.tips
        timed("second sync (nothing new)", lambda: exchange.sync(profile, vault))
        opened = timed(
            "decrypt every tip", lambda: [opening.open_tip(profile, vault, record) for record in profile.tip_records()]
        )
        assert len(opened) == arguments.tips and all(tip.answers for tip in opened)
        records = [record for record in profile.tip_records() if record["files"]]
        timed(
            f"decrypt every file ({len(records)})",
            lambda: [
                sum(len(chunk) for chunk in opening.file_bytes(profile, vault, record, record["files"][0]["id"])[1])
                for record in records
            ],
        )
        print(
            f"reader process peak resident size: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB "
            "(includes the seeding)"
        )
        size = sum(path.stat().st_size for path in profile_dir.rglob("*") if path.is_file())
        print(f"store on disk: {size / 2**20:.1f} MiB, all ciphertext")
    finally:
        stop_server(server)


if __name__ == "__main__":
    main()
