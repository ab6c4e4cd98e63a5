"""Vouching for recipients' public keys. A key is sealed to only if it carries a MAC, under
a key derived from the secret key file (not in the database), over the account and the
key: whoever can only write the database cannot swap in a key of their own and have
later tips sealed to it. A key that fails the check is refused and the admins are told."""

import hashlib
import hmac

from django.contrib.auth import get_user_model
from django.db import transaction

from tipline.base.site_keys import site_key


def vouch(user_id: int, public_key: bytes, secret: str | None = None) -> bytes:
    return _mac(f"user:{user_id}:", public_key, secret)


def vouch_channel_key(channel_id: int, generation: int, public_key: bytes, secret: str | None = None) -> bytes:
    """The same check for an offline-key channel's public key and its generation
    (tipline.core.offline_keys): a retired key cannot pass for a newer one."""
    return _mac(f"channel:{channel_id}:generation:{generation}:", public_key, secret)


def vouch_channel_mode(channel_id: int, offline: bool, secret: str | None = None) -> bytes:
    """Whether a channel seals its tips to an offline key, vouched for like a key."""
    return _mac(f"channel-mode:{channel_id}:", b"offline" if offline else b"recipients", secret)


def vouch_recovery_key(generation: int, public_key: bytes, secret: str | None = None) -> bytes:
    """The organisation recovery key and its generation (tipline.core.recovery_keys)."""
    return _mac(f"recovery:generation:{generation}:", public_key, secret)


def vouch_chosen_readers(tip_id: bytes, account_ids: list[int], secret: str | None = None) -> bytes:
    """The readers a tipster chose for a restricted tip: a recovery grant goes to no one else."""
    readers = ",".join(str(pk) for pk in sorted(account_ids)).encode()
    return _mac(f"chosen-readers:{bytes(tip_id).hex()}:", readers, secret)


def _mac(subject: str, public_key: bytes, secret: str | None) -> bytes:
    return hmac.new(site_key(b"tipline-pubkey", secret), subject.encode() + bytes(public_key), hashlib.sha256).digest()


def is_vouched(user, secret: str | None = None) -> bool:
    if user.public_key is None or user.public_key_mac is None:
        return False
    return hmac.compare_digest(vouch(user.pk, bytes(user.public_key), secret), bytes(user.public_key_mac))


def is_channel_key_vouched(key, secret: str | None = None) -> bool:
    return hmac.compare_digest(
        vouch_channel_key(key.channel_id, key.generation, bytes(key.public_key), secret), bytes(key.public_key_mac)
    )


def is_channel_mode_vouched(channel, secret: str | None = None) -> bool:
    if channel.offline_key_mac is None:
        return False
    return hmac.compare_digest(
        vouch_channel_mode(channel.pk, channel.offline_key, secret), bytes(channel.offline_key_mac)
    )


def is_recovery_key_vouched(key, secret: str | None = None) -> bool:
    expected = vouch_recovery_key(key.generation, bytes(key.public_key), secret)
    return hmac.compare_digest(expected, bytes(key.public_key_mac))


def vouched_chosen_readers(tip, secret: str | None = None) -> set[int] | None:
    """The account ids a restricted tip's tipster chose, if their MAC holds; else None."""
    if tip.chosen_readers is None or tip.chosen_readers_mac is None:
        return None
    readers = [int(pk) for pk in tip.chosen_readers]
    if not hmac.compare_digest(vouch_chosen_readers(tip.crypto_id, readers, secret), bytes(tip.chosen_readers_mac)):
        return None
    return set(readers)


def _revouch_recovery(is_still_vouched) -> int:
    """Recovery keys and tipsters' chosen readers, vouched for again under the current secret
    key file: those `is_still_vouched` (a key or tip) accepts."""
    from tipline.core.models import RecoveryKey, Tip

    done = 0
    for key in RecoveryKey.objects.all():
        if is_still_vouched(key):
            mac = vouch_recovery_key(key.generation, bytes(key.public_key))
            RecoveryKey.objects.filter(pk=key.pk).update(public_key_mac=mac)
            done += 1
    for tip in Tip.objects.filter(chosen_readers__isnull=False).only("id", "chosen_readers", "chosen_readers_mac"):
        if is_still_vouched(tip):
            mac = vouch_chosen_readers(
                tip.crypto_id, [int(pk) for pk in tip.chosen_readers or ()]
            )  # never None: asked for
            Tip.objects.filter(pk=tip.pk).update(chosen_readers_mac=mac)
            done += 1
    return done


def revouch_all(old_secret_key: str) -> int:
    """After the secret key file was replaced: vouch again, under the new key, for every key
    that the old one vouched for. A key that failed before still fails."""
    User = get_user_model()
    from tipline.core.models import Channel, ChannelKey

    revouched = 0
    for user in User.objects.filter(public_key__isnull=False):
        if is_vouched(user, old_secret_key):
            assert user.public_key is not None, "the query asks for one"
            User.objects.filter(pk=user.pk).update(public_key_mac=vouch(user.pk, bytes(user.public_key)))
            revouched += 1
    for key in ChannelKey.objects.all():
        if is_channel_key_vouched(key, old_secret_key):
            ChannelKey.objects.filter(pk=key.pk).update(
                public_key_mac=vouch_channel_key(key.channel_id, key.generation, bytes(key.public_key))
            )
            revouched += 1
    for channel in Channel.objects.all():
        if is_channel_mode_vouched(channel, old_secret_key):
            Channel.objects.filter(pk=channel.pk).update(
                offline_key_mac=vouch_channel_mode(channel.pk, channel.offline_key)
            )
            revouched += 1
    return revouched + _revouch_recovery(
        lambda row: (
            is_recovery_key_vouched(row, old_secret_key)
            if hasattr(row, "generation")
            else vouched_chosen_readers(row, old_secret_key) is not None
        )
    )


def vouch_all_as_they_are() -> int:
    """A restore without the old secret key file: the operator vouches for the archive."""
    User = get_user_model()
    from tipline.core.models import Channel, ChannelKey

    users = list(User.objects.filter(public_key__isnull=False))
    for user in users:
        assert user.public_key is not None, "the query asks for one"
        User.objects.filter(pk=user.pk).update(public_key_mac=vouch(user.pk, bytes(user.public_key)))
    channel_keys = list(ChannelKey.objects.all())
    for key in channel_keys:
        ChannelKey.objects.filter(pk=key.pk).update(
            public_key_mac=vouch_channel_key(key.channel_id, key.generation, bytes(key.public_key))
        )
    channels = list(Channel.objects.all())
    for channel in channels:
        Channel.objects.filter(pk=channel.pk).update(
            offline_key_mac=vouch_channel_mode(channel.pk, channel.offline_key)
        )
    return len(users) + len(channel_keys) + len(channels) + _revouch_recovery(lambda row: True)


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
    from tipline.audit.services import Action, record_once_this_hour
    from tipline.core import events

    # A tipster's attempt found it: audited and told once an hour, stamped with the hour.
    with transaction.atomic():
        record_once_this_hour("system", Action.PUBLIC_KEY_REFUSED, user.username, channel=channel.slug)
        events.announce_once_this_hour(channel, "recipient-key-refused")
