"""Redemption: a tipster pastes a token into a tip form. It is checked first (format, key,
organisation, period, signature), so junk never reaches the database; then spent in the
tip's own transaction by inserting a hash of its nonce into a table keyed on it, so of two
concurrent uses exactly one wins. The tip keeps only "a member's token of ORG, period E"."""

import hashlib
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tipline.crypto import blind_signing
from tipline.insider import epochs
from tipline.insider.models import IssuerKey, Organisation, SpentToken
from tipline.members.protocol import Token, TokenError

SPENT = ("token_spent", gettext_lazy("This token was used already. Each token works once; paste another one."))
FORGED = ("token_forged", gettext_lazy("This token was not issued by this tip line, or it was altered."))


class TokenRejected(Exception):
    def __init__(self, code: str, message: str | Promise):
        super().__init__(str(message))
        self.code, self.message = code, str(message)


@dataclass(frozen=True)
class VerifiedToken:
    organisation: Organisation
    epoch: int
    issuer_key: IssuerKey
    nonce_hash: str

    def spend(self) -> None:
        spend(self)


def check(organisation: Organisation, text: str, now=None) -> VerifiedToken:
    try:
        token = Token.from_text(text)
    except TokenError:
        raise TokenRejected(
            "token_malformed",
            _("This is not a whole member's token. Paste the full line tipline-token printed; it starts with tipv1:"),
        ) from None
    key = IssuerKey.objects.select_related("organisation").filter(key_id=token.key_id).first()
    if key is None or hashlib.sha256(bytes(key.challenge)).digest() != token.challenge_digest:
        raise TokenRejected(*FORGED)
    if key.organisation_id != organisation.pk:
        raise TokenRejected(
            "token_wrong_organisation",
            _("This token belongs to another organisation; this channel accepts tokens of %(organisation)s.")
            % {"organisation": organisation.name},
        )
    if not blind_signing.verify(
        blind_signing.load_public_key(bytes(key.public_key)), token.signed_input, token.authenticator
    ):
        raise TokenRejected(*FORGED)
    _check_period(key, now)
    nonce_hash = hashlib.sha256(b"tipline-spent-token" + token.key_id + token.nonce).hexdigest()
    if SpentToken.objects.filter(nonce_hash=nonce_hash).exists():
        raise TokenRejected(*SPENT)
    return VerifiedToken(key.organisation, key.epoch, key, nonce_hash)


def _check_period(key: IssuerKey, now) -> None:
    issued = epochs.Epoch(key.epoch, key.organisation.epoch_seconds)
    today = epochs.current(key.organisation.epoch_seconds, now).number
    if today < key.epoch + epochs.ACCEPTED_AFTER[0]:
        raise TokenRejected(
            "token_too_early",
            _(
                "This token can be used from %(moment)s UTC, not in the period it was fetched. Send without a token "
                "now, or wait until then."
            )
            % {"moment": date_format(issued.redeem_from, "j F Y, H:i")},
        )
    if today > key.epoch + epochs.ACCEPTED_AFTER[1]:
        raise TokenRejected(
            "token_expired",
            _("This token expired on %(moment)s UTC. Use a newer token, or send without one.")
            % {"moment": date_format(issued.redeem_until, "j F Y, H:i")},
        )


def spend(verified: VerifiedToken) -> None:
    """Within the caller's transaction: the token is spent only if the tip is stored."""
    try:
        with transaction.atomic():
            SpentToken.objects.create(nonce_hash=verified.nonce_hash, issuer_key=verified.issuer_key)
    except IntegrityError:
        raise TokenRejected(*SPENT) from None
