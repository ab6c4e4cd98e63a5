"""Issuance: a member sends blinded token requests and gets blind signatures back, under the
current period's key, up to the organisation's N per period. The issuer keeps the count and
nothing else: no request, response or time."""

from dataclasses import dataclass

from django.db import transaction

from tipline.crypto.blind_signing import BlindSignError, blind_sign
from tipline.insider import epochs, keys
from tipline.insider.models import IssuanceCount, IssuerKey, Member
from tipline.members.protocol import MODULUS_BYTES, TOKEN_TYPE

REQUEST_BYTES = 2 + 1 + MODULUS_BYTES


class IssuanceRefused(Exception):
    code = "invalid"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class EpochChanged(IssuanceRefused):
    code = "epoch_changed"


class AllFetched(IssuanceRefused):
    code = "all_fetched"


class Paused(IssuanceRefused):
    code = "paused"


@dataclass(frozen=True)
class Issued:
    key: IssuerKey
    responses: list[bytes]


def issue(member: Member, requests: list[bytes], now=None) -> Issued:
    organisation = member.organisation
    if not 0 < len(requests) <= organisation.tokens_per_epoch:
        raise IssuanceRefused(f"Ask for between 1 and {organisation.tokens_per_epoch} tokens.")
    keys.ensure_keys(organisation, now)
    epoch = epochs.current(organisation.epoch_seconds, now).number
    key = IssuerKey.objects.get(organisation=organisation, epoch=epoch)
    if key.sealed_private_key is None:  # restored without the secret key that sealed it
        raise Paused("Tokens cannot be fetched in this period; fetch them in the next one.")
    blinded = [_blinded_message(request, bytes(key.key_id)) for request in requests]
    with transaction.atomic():
        count, _ = IssuanceCount.objects.select_for_update().get_or_create(
            member=member, epoch=epoch, defaults={"count": 0}
        )
        if count.count + len(requests) > organisation.tokens_per_epoch:
            raise AllFetched(
                f"You fetched this period's {organisation.tokens_per_epoch} tokens already; fetch again next period."
            )
        signer = keys.signing_key(key)
        try:
            responses = [blind_sign(signer, message) for message in blinded]
        except BlindSignError as problem:
            raise IssuanceRefused(f"A token request is not valid: {problem}.") from None
        count.count += len(requests)
        count.save(update_fields=["count"])
    return Issued(key, responses)


def _blinded_message(request: bytes, key_id: bytes) -> bytes:
    if len(request) != REQUEST_BYTES or int.from_bytes(request[:2], "big") != TOKEN_TYPE:
        raise IssuanceRefused("A token request is not a Privacy Pass type 2 request.")
    if request[2] != key_id[-1]:
        raise EpochChanged("A new period has begun: read the keys again and fetch anew.")
    return request[3:]


def members_fetched(organisation, epoch: int) -> int:
    return IssuanceCount.objects.filter(member__organisation=organisation, epoch=epoch).count()
