"""A tipster coming back with a receipt: the limits a look-up counts against, then finding the tip
under the receipt's parameters of today or of an earlier day."""

import hashlib
import itertools
import secrets
from collections.abc import Iterator

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from tipline.base.crypto_policy import kdf_policy
from tipline.core import capacity, receipt_tags, throttle
from tipline.core.models import SiteSecret, Tip
from tipline.crypto import receipts, tip_keys
from tipline.crypto.kdf import KdfParams


class UnknownReceipt(Exception):
    """No tip has this receipt."""


def receipt_salt() -> bytes:
    """The site-wide receipt salt, made with the first tip. If it vanished while tips exist,
    no receipt could open them again: refuse loudly rather than make a new one."""
    secret = SiteSecret.objects.filter(pk=1).first()
    if secret is None:
        if Tip.objects.exists():
            raise ImproperlyConfigured(
                "The receipt salt is missing while tips exist: restore the database from a backup."
            )
        secret, _ = SiteSecret.objects.get_or_create(pk=1, defaults={"receipt_salt": secrets.token_bytes(16)})
    return bytes(secret.receipt_salt)


def find_tip_by_receipt(typed_receipt: str, plan: receipt_tags.LookupPlan | None = None) -> tuple[Tip, bytes]:
    """The tip and its opened key. Raises ReceiptFormatError / ReceiptTypoError (typed
    wrongly) or UnknownReceipt (well-formed, but no tip has it). Argon2id runs only for
    the parameters of tips whose lookup tag matches, and for every set of parameters only
    while tips from before tags exist (such a tip, once found, gets its tag)."""
    plan = plan or receipt_tags.plan_lookup(typed_receipt)
    salt = receipt_salt()
    for params in plan.tagged_params:
        found = _open_with(typed_receipt, salt, params)
        if found is not None:
            return found
    if plan.untagged_tips_exist:
        current = kdf_policy().receipt
        for params in itertools.chain([current], _older_receipt_params(current)):
            found = None if params in plan.tagged_params else _open_with(typed_receipt, salt, params)
            if found is not None:
                receipt_tags.remember_tag(found[0], typed_receipt)
                return found
    raise UnknownReceipt()


def _open_with(typed_receipt: str, salt: bytes, params: KdfParams) -> tuple[Tip, bytes] | None:
    keys = receipts.derive_receipt_keys(typed_receipt, salt, params)
    tip = Tip.objects.filter(receipt_lookup_id=keys.lookup_id).first()
    if tip is None:
        return None
    return tip, tip_keys.unwrap_for_tipster(bytes(tip.tipster_wrapped_key), keys.wrapping_key, tip.crypto_id)


def lookup_scope(typed_receipt: str) -> bytes:
    """A stable, non-secret handle on a receipt for throttling (no Argon2id needed)."""
    return hashlib.blake2b(
        receipts.normalise(typed_receipt).encode(), digest_size=16, person=b"tipline-throttle"
    ).digest()


def open_with_receipt(typed_receipt: str, client: str | None) -> tuple[Tip, bytes]:
    """A tipster coming back: limits per client, site and receipt, then the look-up. Raises
    ReceiptFormatError, ReceiptTypoError, Throttled or UnknownReceipt. So that junk cannot
    use up the look-ups real receipts need: what is not a well-formed receipt is refused
    first and counts against nothing; a receipt whose lookup tag some tip has counts in a
    budget of its own, a share of the machine, after its own limit and shared fairly
    (throttle.spend_fairly: many receipts of one holder cannot use it up for others); every
    other one counts against the fixed site-wide limit and is refused without Argon2id
    (unless tips from before tags exist)."""
    receipts.normalise(typed_receipt)
    throttle.count_for_client(client, "receipt")
    plan = receipt_tags.plan_lookup(typed_receipt)
    scope = throttle.scope_for_secret("receipt", lookup_scope(typed_receipt))
    if plan.tagged_params:
        throttle.count_against(scope, settings.RECEIPT_ATTEMPTS_PER_RECEIPT, 600)
        throttle.spend_fairly("receipt-tagged:site", capacity.receipt_lookups_per_minute(), holder_scope=scope)
    else:
        throttle.count_against("receipt:site", settings.RECEIPT_ATTEMPTS_PER_MINUTE)
        throttle.count_against(scope, settings.RECEIPT_ATTEMPTS_PER_RECEIPT, 600)
    if not plan.may_find:
        raise UnknownReceipt()
    return find_tip_by_receipt(typed_receipt, plan)


def _older_receipt_params(current: KdfParams) -> Iterator[KdfParams]:
    """Parameters tips were stored with before the current ones. A generator: the scan of
    every tip runs only when the current parameters found nothing."""
    older = {bytes(value) for value in Tip.objects.values_list("receipt_kdf", flat=True).distinct()}
    older.discard(current.encode())
    yield from (KdfParams.decode(value) for value in sorted(older))
