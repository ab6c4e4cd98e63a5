"""Channel keys get a generation under their MAC, and each channel's offline setting a MAC of
its own (issue 30): a database writer could make a retired key current again, or switch an
offline-key channel to keys the server holds, with an UPDATE or two.

The upgrade numbers each channel's keys in the order they were made and vouches again, under
the same secret key file, only for keys whose old MAC still holds: a key that failed before
fails after. Channels' settings are vouched for as they are (the old schema kept no record
to check them against)."""

import hashlib
import hmac

from django.conf import settings
from django.db import migrations, models


def _mac(subject: bytes, public_key: bytes) -> bytes:
    site = hashlib.blake2b(settings.SECRET_KEY.encode(), digest_size=32, person=b"tipline-pubkey").digest()
    return hmac.new(site, subject + bytes(public_key), hashlib.sha256).digest()


def number_and_vouch(apps, schema_editor):
    Channel, ChannelKey = apps.get_model("core", "Channel"), apps.get_model("core", "ChannelKey")
    for channel in Channel.objects.all():
        mode = b"offline" if channel.offline_key else b"recipients"
        Channel.objects.filter(pk=channel.pk).update(offline_key_mac=_mac(f"channel-mode:{channel.pk}:".encode(), mode))
        for generation, key in enumerate(
            ChannelKey.objects.filter(channel=channel).order_by("created_at", "pk"), start=1
        ):
            held = hmac.compare_digest(
                _mac(f"channel:{channel.pk}:".encode(), key.public_key), bytes(key.public_key_mac)
            )
            mac = _mac(f"channel:{channel.pk}:generation:{generation}:".encode(), key.public_key) if held else bytes(32)
            ChannelKey.objects.filter(pk=key.pk).update(generation=generation, public_key_mac=mac)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0013_offline_key_channels"),
    ]

    operations = [
        migrations.AddField(
            model_name="channel",
            name="offline_key_mac",
            field=models.BinaryField(blank=True, max_length=32, null=True),
        ),
        migrations.AddField(
            model_name="channelkey",
            name="generation",
            field=models.PositiveIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.RunPython(number_and_vouch, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="channelkey",
            name="generation",
            field=models.PositiveIntegerField(),
        ),
        migrations.AddConstraint(
            model_name="channelkey",
            constraint=models.UniqueConstraint(fields=("channel", "generation"), name="one_channel_key_per_generation"),
        ),
    ]
