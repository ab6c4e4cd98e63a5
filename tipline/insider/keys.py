"""Issuer keys: made ahead of their period, published, used to sign during their period
only, then their private half destroyed; spent-token rows go when the key's window ends.

The private half is sealed at rest under a key derived from the site's secret key file,
which is not in the database: a stolen database cannot mint tokens.
"""

from django.conf import settings
from django.db import IntegrityError, transaction

from tipline.base.site_keys import site_key
from tipline.crypto import aead, blind_signing
from tipline.insider import epochs
from tipline.insider.models import IssuerKey, Organisation, SpentToken
from tipline.members.protocol import encode_challenge, token_key_id

KEYS_AHEAD = 2  # the current period's key and the next two are published


def challenge_for(organisation: Organisation, epoch: int) -> bytes:
    """The fixed public challenge: issuer, organisation and period; the same for everyone."""
    return encode_challenge(settings.INSIDER_ISSUER_NAME, f"{organisation.slug}/{epoch}")


def ensure_keys(organisation: Organisation, now=None) -> list[IssuerKey]:
    """Make any missing key of the current and the next periods; return them in order."""
    first = epochs.current(organisation.epoch_seconds, now).number
    wanted = range(first, first + KEYS_AHEAD + 1)
    existing = {key.epoch for key in IssuerKey.objects.filter(organisation=organisation, epoch__in=wanted)}
    for epoch in wanted:
        if epoch not in existing:
            _make_key(organisation, epoch)
    return list(IssuerKey.objects.filter(organisation=organisation, epoch__in=wanted).order_by("epoch"))


def _make_key(organisation: Organisation, epoch: int) -> None:
    pair = blind_signing.generate_key_pair()  # ~0.1 s, outside the transaction
    key_id = token_key_id(pair.public_spki)
    try:
        with transaction.atomic():
            IssuerKey.objects.create(
                organisation=organisation,
                epoch=epoch,
                key_id=key_id,
                public_key=pair.public_spki,
                challenge=challenge_for(organisation, epoch),
                sealed_private_key=_seal(pair.private_pkcs8, key_id),
            )
    except IntegrityError:
        pass  # another process made this period's key first; theirs is the one


def signing_key(key: IssuerKey):
    assert key.sealed_private_key is not None, "a key whose private half is destroyed signs nothing"
    return blind_signing.load_private_key(_open(bytes(key.sealed_private_key), bytes(key.key_id)))


def rotate_all(now=None) -> dict[str, int]:
    """The worker's and `tipline insiders rotate`'s job: keys ahead, old secrets gone."""
    made = destroyed = purged = 0
    for organisation in Organisation.objects.all():
        before = IssuerKey.objects.filter(organisation=organisation).count()
        ensure_keys(organisation, now)
        made += IssuerKey.objects.filter(organisation=organisation).count() - before
        current = epochs.current(organisation.epoch_seconds, now).number
        past = IssuerKey.objects.filter(organisation=organisation, epoch__lt=current, sealed_private_key__isnull=False)
        destroyed += past.update(sealed_private_key=None)
        expired = IssuerKey.objects.filter(organisation=organisation, epoch__lt=current - epochs.ACCEPTED_AFTER[1])
        purged += SpentToken.objects.filter(issuer_key__in=expired).delete()[0]
    return {"keys_made": made, "private_keys_destroyed": destroyed, "spent_tokens_purged": purged}


@transaction.atomic
def reseal_all(old_secret_key: str) -> int:
    """After the site's secret key was replaced: open each private key with the old secret,
    seal it again under the new one. Public keys, and so members' pins, stay as they are."""
    resealed = 0
    for key in IssuerKey.objects.select_for_update().exclude(sealed_private_key=None):
        key_id = bytes(key.key_id)
        assert key.sealed_private_key is not None, "the query leaves out destroyed ones"
        private = _open(bytes(key.sealed_private_key), key_id, secret=old_secret_key)
        key.sealed_private_key = _seal(private, key_id)
        key.save(update_fields=["sealed_private_key"])
        resealed += 1
    return resealed


def _sealing_key(secret: str | None = None) -> bytes:
    return site_key(b"tipline-issuer", secret)


def _seal(private_pkcs8: bytes, key_id: bytes) -> bytes:
    return aead.encrypt(_sealing_key(), private_pkcs8, aead.Purpose.ISSUER_KEY, aead.context("issuer-key", key_id))


def _open(sealed: bytes, key_id: bytes, secret: str | None = None) -> bytes:
    return aead.decrypt(_sealing_key(secret), sealed, aead.Purpose.ISSUER_KEY, aead.context("issuer-key", key_id))
