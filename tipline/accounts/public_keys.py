"""Vouching for recipients' public keys. A key is sealed to only if it carries a MAC, under
a key derived from the secret key file (not in the database), over the account and the
key: whoever can only write the database cannot swap in a key of their own and have
later tips sealed to it. A key that fails the check is refused and the admins are told."""

import hashlib
import hmac
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from tipline.core.site_keys import site_key


def vouch(user_id: int, public_key: bytes, secret: str | None = None) -> bytes:
    return _mac(f"user:{user_id}:", public_key, secret)


def vouch_channel_key(channel_id: int, generation: int, public_key: bytes, secret: str | None = None) -> bytes:
    """The same check for an offline-key channel's public key and its generation
    (tipline.core.offline_keys): a retired key cannot pass for a newer one."""
    return _mac(f"channel:{channel_id}:generation:{generation}:", public_key, secret)


def vouch_channel_mode(channel_id: int, offline: bool, secret: str | None = None) -> bytes:
    """Whether a channel seals its tips to an offline key, vouched for like a key."""
    return _mac(f"channel-mode:{channel_id}:", b"offline" if offline else b"recipients", secret)


def _mac(subject: str, public_key: bytes, secret: str | None) -> bytes:
    return hmac.new(site_key(b"tipline-pubkey", secret), subject.encode() + bytes(public_key), hashlib.sha256).digest()


def is_vouched(user, secret: str | None = None) -> bool:
    if user.public_key is None or user.public_key_mac is None:
        return False
    return hmac.compare_digest(vouch(user.pk, bytes(user.public_key), secret), bytes(user.public_key_mac))


def is_channel_key_vouched(key, secret: str | None = None) -> bool:
    return hmac.compare_digest(vouch_channel_key(key.channel_id, key.generation, bytes(key.public_key), secret), bytes(key.public_key_mac))


def is_channel_mode_vouched(channel, secret: str | None = None) -> bool:
    if channel.offline_key_mac is None:
        return False
    return hmac.compare_digest(vouch_channel_mode(channel.pk, channel.offline_key, secret), bytes(channel.offline_key_mac))


def revouch_all(old_secret_key: str) -> int:
    """After the secret key file was replaced: vouch again, under the new key, for every key
    that the old one vouched for. A key that failed before still fails."""
    from tipline.accounts.models import User
    from tipline.core.models import Channel, ChannelKey

    revouched = 0
    for user in User.objects.filter(public_key__isnull=False):
        if is_vouched(user, old_secret_key):
            User.objects.filter(pk=user.pk).update(public_key_mac=vouch(user.pk, bytes(user.public_key)))
            revouched += 1
    for key in ChannelKey.objects.all():
        if is_channel_key_vouched(key, old_secret_key):
            ChannelKey.objects.filter(pk=key.pk).update(public_key_mac=vouch_channel_key(key.channel_id, key.generation, bytes(key.public_key)))
            revouched += 1
    for channel in Channel.objects.all():
        if is_channel_mode_vouched(channel, old_secret_key):
            Channel.objects.filter(pk=channel.pk).update(offline_key_mac=vouch_channel_mode(channel.pk, channel.offline_key))
            revouched += 1
    return revouched


def vouch_all_as_they_are() -> int:
    """A restore without the old secret key file: the operator vouches for the archive."""
    from tipline.accounts.models import User
    from tipline.core.models import Channel, ChannelKey

    users = list(User.objects.filter(public_key__isnull=False))
    for user in users:
        User.objects.filter(pk=user.pk).update(public_key_mac=vouch(user.pk, bytes(user.public_key)))
    channel_keys = list(ChannelKey.objects.all())
    for key in channel_keys:
        ChannelKey.objects.filter(pk=key.pk).update(public_key_mac=vouch_channel_key(key.channel_id, key.generation, bytes(key.public_key)))
    channels = list(Channel.objects.all())
    for channel in channels:
        Channel.objects.filter(pk=channel.pk).update(offline_key_mac=vouch_channel_mode(channel.pk, channel.offline_key))
    return len(users) + len(channel_keys) + len(channels)


def vouched_recipients(channel, report_refused: bool = False) -> list:
    """Active recipients with a key pair whose public key passes its check. A key that fails
    was changed behind the site's back: it is refused and, when a tip is being sealed
    (`report_refused`), audited and the admins told."""
    people = list(channel.recipients.filter(is_active=True, public_key__isnull=False))
    vouched = [user for user in people if is_vouched(user)]
    if report_refused:
        for refused in [user for user in people if user not in vouched]:
            _report_refused_key(channel, refused)
    return vouched


def _report_refused_key(channel, user) -> None:
    from tipline.alerts import outbox
    from tipline.alerts.models import Audience
    from tipline.audit.services import Action, record

    hour_ago = timezone.now() - timedelta(hours=1)
    with transaction.atomic():
        record("system", Action.PUBLIC_KEY_REFUSED, user.username, channel=channel.slug)
        if not channel.alert_events.filter(kind="recipient-key-refused", recorded_at__gte=hour_ago).exists():
            outbox.record(channel, "recipient-key-refused", audience=Audience.ADMINS)
