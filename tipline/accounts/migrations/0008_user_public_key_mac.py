"""Vouch for every public key there is now (tipline.core.public_keys): the upgrade
trusts the database as it stands; from here on a key changed behind the site's back is
refused."""

import hashlib
import hmac

from django.conf import settings
from django.db import migrations, models


def vouch_existing(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    key = hashlib.blake2b(settings.SECRET_KEY.encode(), digest_size=32, person=b"tipline-pubkey").digest()
    for user in User.objects.filter(public_key__isnull=False):
        mac = hmac.new(key, f"user:{user.pk}:".encode() + bytes(user.public_key), hashlib.sha256).digest()
        User.objects.filter(pk=user.pk).update(public_key_mac=mac)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0007_second_factor_lockout")]

    operations = [
        migrations.AddField(
            model_name="user",
            name="public_key_mac",
            field=models.BinaryField(
                blank=True,
                help_text="Vouches for public_key under the secret key file (accounts.public_keys).",
                max_length=32,
                null=True,
            ),
        ),
        migrations.RunPython(vouch_existing, migrations.RunPython.noop),
    ]
