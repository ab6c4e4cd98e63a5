"""The hybrid sealed box (X-Wing: ML-KEM-768 + X25519) against today's X25519 sealed box: what
moving sealed keys to it (issue 35) would cost in time and bytes.

Run: .venv/bin/python benchmarks/hybrid.py [--repeat 500]
Prints key generation, seal and open (µs, medians) and the sizes of keys and of a sealed box
holding what a tip's box holds today (version, tip id, tip key, team key: 81 bytes).
"""

import argparse
import os

from crypto import median_seconds

from tipline.crypto import aead, channel_keys, hybrid_box, recipient_keys, xwing

SEALED_VALUE_BYTES = 1 + 16 + 32 + 32


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=500)
    repeat = parser.parse_args().repeat

    value, where = os.urandom(SEALED_VALUE_BYTES), aead.context(bytes(16), "bench")
    purpose = aead.Purpose.BACKUP_KEY  # any purpose: nothing is sealed with the hybrid box yet
    classic, hybrid = recipient_keys.generate_key_pair(), hybrid_box.generate_key_pair()
    classic_box = channel_keys.seal_to(classic.public_key, value)
    hybrid_sealed = hybrid_box.seal(hybrid.public_key, value, purpose, where)
    shared_secret, kem_ciphertext = xwing.encapsulate(hybrid.public_key)
    assert xwing.decapsulate(kem_ciphertext, hybrid.private_key) == shared_secret

    rows = [
        (
            "key pair generation",
            median_seconds(recipient_keys.generate_key_pair, repeat),
            median_seconds(hybrid_box.generate_key_pair, repeat),
        ),
        (
            "seal 81 bytes",
            median_seconds(lambda: channel_keys.seal_to(classic.public_key, value), repeat),
            median_seconds(lambda: hybrid_box.seal(hybrid.public_key, value, purpose, where), repeat),
        ),
        (
            "open",
            median_seconds(lambda: channel_keys.open_sealed(classic.private_key, classic_box), repeat),
            median_seconds(lambda: hybrid_box.open_sealed(hybrid.private_key, hybrid_sealed, purpose, where), repeat),
        ),
    ]
    print(f"{'':24} {'X25519 sealed box':>18} {'X-Wing hybrid box':>18}")
    for name, classic_s, hybrid_s in rows:
        print(f"{name:24} {classic_s * 1e6:>15.0f} µs {hybrid_s * 1e6:>15.0f} µs   (x{hybrid_s / classic_s:.1f})")
    encapsulate_s = median_seconds(lambda: xwing.encapsulate(hybrid.public_key), repeat)
    decapsulate_s = median_seconds(lambda: xwing.decapsulate(kem_ciphertext, hybrid.private_key), repeat)
    print(f"of which X-Wing alone: encapsulate {encapsulate_s * 1e6:.0f} µs, decapsulate {decapsulate_s * 1e6:.0f} µs")
    sizes = [
        ("public key", len(classic.public_key), len(hybrid.public_key)),
        ("private key", len(classic.private_key), len(hybrid.private_key)),
        (f"box of {SEALED_VALUE_BYTES} bytes", len(classic_box), len(hybrid_sealed)),
    ]
    for name, classic_bytes, hybrid_bytes in sizes:
        print(f"{name:24} {classic_bytes:>12} bytes {hybrid_bytes:>12} bytes")


if __name__ == "__main__":
    main()
