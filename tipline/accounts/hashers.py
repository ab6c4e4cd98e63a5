"""The hasher of staff passwords (Django's own login check): Argon2id at Django's cost, or
at argon2's minimum while the test-only switch TIPLINE_INSECURE_FAST_KDF is on, as
tipline.crypto.kdf does for keys and receipts. `tipline check` refuses that switch on a
real instance; the hashes it writes are ordinary argon2 hashes that name their cost."""

from django.contrib.auth.hashers import Argon2PasswordHasher


class InsecureFastArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 1
    memory_cost = 8  # KiB: argon2's least for one lane
    parallelism = 1
