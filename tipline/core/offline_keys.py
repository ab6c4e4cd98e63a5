"""Offline-key channels on the server's side: which public key a new tip is sealed to, and
the proof a tipline-reader gives that it holds the private half before it may replace it.

The server never holds a private channel key. What it keeps is public: the key and its
generation, with a MAC under the secret key file over both (so whoever can only write the
database can neither swap in their own key nor make a retired one current again), and the
retired keys that older tips are still sealed to. The channel's offline setting carries a
MAC of its own (`Channel.offline_key_mac`): a channel whose setting fails it takes no tips.
"""

import hashlib
import hmac

from django.db import transaction
from django.utils import timezone

from tipline.audit.services import Action, record, record_once_this_hour
from tipline.base.site_keys import site_key
from tipline.core import events, public_keys
from tipline.core.models import Channel, ChannelKey, Tip
from tipline.crypto import channel_keys

PROOF_WINDOW_SECONDS = 600
PUBLIC_KEY_BYTES = 32


class KeyRefused(Exception):
    """The key or proof sent cannot be taken; the message says why, `field` which part."""

    def __init__(self, message: str, field: str = "proof"):
        super().__init__(message)
        self.field = field


def current_key(channel: Channel, report_refused: bool = False) -> ChannelKey | None:
    """The channel's current key if the site vouches for it and it is the newest generation
    the site vouched for. Anything else was changed behind the site's back (a key swapped in,
    a retired key made current again, the offline setting switched): the channel takes no
    tips, and when a tip is being sealed (`report_refused`) it is audited and the admins and
    recipients are told."""
    keys = list(channel.offline_keys.all())
    key = next((key for key in keys if key.retired_at is None), None)
    if key is None and not keys:
        return None
    vouched = [candidate for candidate in keys if public_keys.is_channel_key_vouched(candidate)]
    newest = max(vouched, key=lambda candidate: candidate.generation, default=None)
    if key is not None and key == newest and public_keys.is_channel_mode_vouched(channel):
        return key
    if report_refused:
        report_tampering(channel)
    return None


def is_setting_vouched(channel: Channel) -> bool:
    """Whether the channel's offline setting is as the site last saved it."""
    return public_keys.is_channel_mode_vouched(channel)


def challenge_for(user, channel: Channel) -> bytes | None:
    """A secret sealed to the current key: a reader that can open it holds the private half."""
    key = current_key(channel)
    return None if key is None else channel_keys.seal_to(bytes(key.public_key), _expected_proof(user, key, _window()))


def holds_current_key(user, channel: Channel, proof: bytes) -> bool:
    key = current_key(channel)
    if key is None:
        return False
    window = _window()
    return any(hmac.compare_digest(bytes(proof), _expected_proof(user, key, moment)) for moment in (window, window - 1))


@transaction.atomic
def set_key(user, channel: Channel, public_key: bytes, proof: bytes = b"") -> ChannelKey:
    """The channel's first key, or its next one. Replacing a key takes the proof that the
    sender holds the one it replaces; the old key stays, retired, for the tips sealed to it
    until they are sealed again (`reseal`)."""
    if len(public_key) != PUBLIC_KEY_BYTES:
        raise KeyRefused("public_key must be a 32-byte X25519 public key (base64url).", "public_key")
    channel = Channel.objects.select_for_update().get(pk=channel.pk)
    if not channel.offline_key:
        raise KeyRefused(
            "This channel does not use an offline key; an admin sets offline_key: true in its settings first.",
            "public_key",
        )
    previous = channel.offline_keys.filter(retired_at__isnull=True).first()
    if previous is not None:
        if not holds_current_key(user, channel, proof):
            raise KeyRefused(
                "Replacing the channel's key needs the proof that you hold the current one: tipline-reader rotate."
            )
        ChannelKey.objects.filter(pk=previous.pk).update(retired_at=timezone.now())
    elif channel.offline_keys.exists():
        raise KeyRefused(
            "This channel's keys were changed behind the site's back; no key is set until an admin looks (tipline "
            "check).",
            "public_key",
        )
    generation = (previous.generation if previous else 0) + 1
    key = ChannelKey.objects.create(
        channel=channel,
        public_key=bytes(public_key),
        uploaded_by=user,
        generation=generation,
        public_key_mac=public_keys.vouch_channel_key(channel.pk, generation, public_key),
    )
    record(
        user.username,
        Action.CHANNEL_KEY_ROTATED if previous else Action.CHANNEL_KEY_SET,
        channel.slug,
        fingerprint=channel_keys.fingerprint(public_key),
        generation=generation,
    )
    for audience in (
        events.RECIPIENTS,
        events.ADMINS,
    ):  # the recipients can compare the fingerprint with their readers'
        events.announce(channel, "channel-key-changed", audience=audience)
    return key


@transaction.atomic
def reseal(user, channel: Channel, proof: bytes, sealed_keys: dict) -> int:
    """Point tips sealed to a retired key of the channel at its current key, with the tip keys
    the reader sealed again on its side. Only a reader that holds the current key may."""
    if not holds_current_key(user, channel, proof):
        raise KeyRefused("Sealing tips again needs the proof that you hold the channel's current key.")
    key = current_key(channel)
    done = 0
    for tip in Tip.objects.filter(channel=channel, pk__in=list(sealed_keys), channel_key__retired_at__isnull=False):
        Tip.objects.filter(pk=tip.pk).update(channel_key=key, sealed_for_channel_key=sealed_keys[tip.pk])
        done += 1
    record(user.username, Action.TIPS_RESEALED, channel.slug, tips=done)
    return done


def proof_key() -> tuple[bytes, bytes]:
    """The server's X25519 key for readers' item proofs (channel_keys.prove_item), derived
    from the secret key file: (private, public)."""
    import nacl.public

    private = nacl.public.PrivateKey(site_key(b"tipline-itemprf"))
    return bytes(private), bytes(private.public_key)


def holds_a_channel_key(channel: Channel, proof: bytes, tip_id: bytes, item_key: str, ciphertext: bytes) -> bool:
    """Whether a reply or note came from a reader that holds one of the channel's vouched keys."""
    private, _public = proof_key()
    return any(
        channel_keys.proves_item(private, bytes(key.public_key), proof, tip_id, item_key, ciphertext)
        for key in channel.offline_keys.all()
        if public_keys.is_channel_key_vouched(key)
    )


def _window() -> int:
    return int(timezone.now().timestamp()) // PROOF_WINDOW_SECONDS


def _expected_proof(user, key: ChannelKey, window: int) -> bytes:
    subject = f"{key.channel_id}:{key.pk}:{user.pk}:{window}".encode()
    return hmac.new(site_key(b"tipline-keyproof"), subject, hashlib.sha256).digest()


def report_tampering(channel: Channel) -> None:
    """Audited, and the admins and recipients told, once an hour, stamped with the hour: a
    tipster's attempt finds it, and nothing at rest tells its second. A channel that never had
    an offline key is told apart: its setting failing means the setting or the secret key changed."""
    kind = "channel-key-refused" if channel.offline_key or channel.offline_keys.exists() else "channel-setting-refused"
    with transaction.atomic():
        record_once_this_hour("system", Action.CHANNEL_KEY_REFUSED, channel.slug)
        # The recipients are told too: they compare with their readers.
        events.announce_once_this_hour(channel, kind, audiences=(events.ADMINS, events.RECIPIENTS))
