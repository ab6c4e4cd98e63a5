"""Which Argon2id parameters this instance writes with: production, unless the test-only
switch TIPLINE_INSECURE_FAST_KDF is on (`tipline check` refuses that on a real instance)."""

from django.conf import settings

from tipline.crypto.kdf import KdfPolicy, policy


def kdf_policy() -> KdfPolicy:
    return policy(insecure_fast=settings.INSECURE_FAST_KDF)
