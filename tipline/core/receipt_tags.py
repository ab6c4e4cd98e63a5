"""Receipt lookup tags: which tips a typed receipt could belong to, found without Argon2id.

The tag key comes from the secret key file, never the database. When that key changes
(restored without it), the old tags are void: they are cleared and those tips are found
the slow way until their receipts are used again, so no receipt is ever locked out.
"""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from tipline.core.models import SiteSecret, Tip
from tipline.crypto import receipts
from tipline.crypto.kdf import KdfParams


@dataclass(frozen=True)
class LookupPlan:
    tagged_params: list[KdfParams]  # the Argon2id parameters of the tips whose tag matches
    untagged_tips_exist: bool  # tips from before tags (or a key change): only Argon2id finds them

    @property
    def may_find(self) -> bool:
        return bool(self.tagged_params) or self.untagged_tips_exist


def tag_key() -> bytes:
    return hashlib.blake2b(settings.SECRET_KEY.encode(), digest_size=32, person=b"tipline-rtag-key").digest()


def tag_for(typed_receipt: str) -> bytes:
    return receipts.lookup_tag(typed_receipt, tag_key())


def plan_lookup(typed_receipt: str) -> LookupPlan:
    """Where a well-formed receipt could lead: one indexed query, no Argon2id."""
    void_tags_of_another_key()
    encoded = Tip.objects.filter(receipt_tag=tag_for(typed_receipt)).values_list("receipt_kdf", flat=True).distinct()
    params = list(dict.fromkeys(KdfParams.decode(bytes(header)) for header in encoded))
    return LookupPlan(tagged_params=params, untagged_tips_exist=untagged_tips_exist())


def untagged_tips_exist() -> bool:
    """Retired tips (retention shredded their keys) no longer open with any receipt: not counted."""
    return Tip.objects.filter(receipt_tag__isnull=True).exclude(tipster_wrapped_key=b"").exists()


def remember_tag(tip: Tip, typed_receipt: str) -> None:
    """A tip from before tags, just opened with its receipt, gets its tag."""
    Tip.objects.filter(pk=tip.pk).update(receipt_tag=tag_for(typed_receipt))


def void_tags_of_another_key() -> None:
    """Tags made under a key other than today's would refuse their own receipts: clear them."""
    current = _key_id()
    secret = SiteSecret.objects.filter(pk=1).first()
    if secret is None or (secret.receipt_tag_key_id is not None and bytes(secret.receipt_tag_key_id) == current):
        return
    with transaction.atomic():
        if secret.receipt_tag_key_id is not None:
            Tip.objects.filter(receipt_tag__isnull=False).update(receipt_tag=None)
        SiteSecret.objects.filter(pk=1).update(receipt_tag_key_id=current)


def _key_id() -> bytes:
    return hashlib.blake2b(b"", key=tag_key(), digest_size=8, person=b"tipline-rtag-id").digest()
