"""Create the site-wide receipt salt once, with the schema that needs it."""

import secrets

from django.db import migrations


def create_receipt_salt(apps, schema_editor):
    site_secret = apps.get_model("core", "SiteSecret")
    site_secret.objects.get_or_create(pk=1, defaults={"receipt_salt": secrets.token_bytes(16)})


class Migration(migrations.Migration):
    dependencies = [("core", "0002_forms_and_tips")]

    operations = [migrations.RunPython(create_receipt_salt, migrations.RunPython.noop)]
