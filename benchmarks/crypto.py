"""Crypto costs on this machine: the floor every other figure is measured against.

Run: .venv/bin/python benchmarks/crypto.py [--file-mib 1024]
Prints receipt and password derivation (ms), seal/open (µs), 10 KB content encryption (µs),
file stream throughput (MB/s) and the peak RSS growth while streaming a large file.
"""

import argparse
import os
import statistics
import time

from tipline.crypto import content, files, kdf, receipts, recipient_keys, tip_keys


def median_seconds(function, repeat: int) -> float:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


PAGE_MIB = os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


def current_rss_mib() -> float:
    # The resident set now (not the process's lifetime peak, which Argon2id's 128 MiB sets).
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE_MIB


def stream_file(size_mib: int) -> tuple[float, float, float]:
    """Encrypt then decrypt `size_mib` MiB in 1 MiB pieces, never holding the file.

    Returns seconds, MB/s of plaintext through both directions, and the highest RSS seen.
    """
    file_key, where = files.new_file_key(), files.file_context(bytes(16), "bench")
    piece = os.urandom(1024 * 1024)
    highest = current_rss_mib()
    started = time.perf_counter()
    ciphertext_pieces = files.encrypt_chunks(file_key, (piece for _ in range(size_mib)), where)
    plaintext_bytes = 0
    for chunk in files.decrypt_chunks(file_key, ciphertext_pieces, where):
        plaintext_bytes += len(chunk)
        highest = max(highest, current_rss_mib())
    elapsed = time.perf_counter() - started
    assert plaintext_bytes == size_mib * 1024 * 1024
    return elapsed, size_mib * 1024 * 1024 / elapsed / 1e6, highest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file-mib", type=int, default=1024, help="size of the streamed file (default 1024)")
    parser.add_argument("--repeat", type=int, default=20)
    arguments = parser.parse_args()

    salt, receipt = kdf.new_salt(), receipts.new_receipt()
    pair = recipient_keys.generate_key_pair()
    tip_key, tip_id = tip_keys.new_tip_key(), bytes(16)
    sealed = tip_keys.seal_tip_key(tip_key, tip_id, pair.public_key)
    ten_kb = os.urandom(10 * 1024)
    where = content.content_context(tip_id, "answers")
    envelope = content.encrypt_content(tip_key, ten_kb, where)

    receipt_s = median_seconds(
        lambda: receipts.derive_receipt_keys(receipt, salt, kdf.RECEIPT_PARAMS), arguments.repeat
    )
    password_s = median_seconds(lambda: kdf.PASSWORD_PARAMS.derive(b"a password", salt), 5)
    cores = os.cpu_count() or 1
    print(f"machine: {cores} cores")
    print(
        f"receipt derivation (Argon2id ops={kdf.RECEIPT_PARAMS.opslimit}, {kdf.RECEIPT_PARAMS.memlimit >> 20} MiB): "
        f"{receipt_s * 1000:.1f} ms -> floor {cores / receipt_s:.1f} submissions/s on {cores} cores"
    )
    print(
        f"password derivation (Argon2id ops={kdf.PASSWORD_PARAMS.opslimit}, {kdf.PASSWORD_PARAMS.memlimit >> 20} MiB): "
        f"{password_s * 1000:.1f} ms"
    )
    seal_s = median_seconds(lambda: tip_keys.seal_tip_key(tip_key, tip_id, pair.public_key), 200)
    open_s = median_seconds(lambda: tip_keys.open_sealed_tip_key(sealed, tip_id, pair.private_key), 200)
    print(f"seal tip key: {seal_s * 1e6:.0f} µs   open sealed tip key: {open_s * 1e6:.0f} µs")
    encrypt_s = median_seconds(lambda: content.encrypt_content(tip_key, ten_kb, where), 200)
    decrypt_s = median_seconds(lambda: content.decrypt_content(tip_key, envelope, where), 200)
    print(f"content 10 KB: encrypt {encrypt_s * 1e6:.0f} µs   decrypt {decrypt_s * 1e6:.0f} µs")

    baseline = current_rss_mib()
    elapsed, throughput, highest = stream_file(arguments.file_mib)
    print(
        f"file stream {arguments.file_mib} MiB encrypted then decrypted: {elapsed:.1f} s, "
        f"{throughput:.0f} MB/s of plaintext through both"
    )
    print(
        f"RSS while streaming: {baseline:.0f} MiB before, {highest:.0f} MiB at most "
        f"(+{highest - baseline:.1f} MiB; target under +64 MiB)"
    )


if __name__ == "__main__":
    main()
