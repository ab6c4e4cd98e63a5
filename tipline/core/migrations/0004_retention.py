"""Retention counts from a tip's last activity (existing tips: their hour of receipt), and
a tip can be put on hold. New channels keep tips 90 days by default."""

from django.db import migrations, models


def start_from_receipt(apps, schema_editor):
    apps.get_model("core", "Tip").objects.update(last_activity_hour=models.F("received_hour"))


class Migration(migrations.Migration):
    dependencies = [("core", "0003_triage_and_notes")]

    operations = [
        migrations.AddField("tip", "last_activity_hour", models.DateTimeField(null=True)),
        migrations.RunPython(start_from_receipt, migrations.RunPython.noop),
        migrations.AlterField(
            "tip",
            "last_activity_hour",
            models.DateTimeField(help_text="Retention counts from here: the last message, note or triage."),
        ),
        migrations.AddField(
            "tip",
            "on_hold",
            models.BooleanField(
                default=False, help_text="Exempt from retention (a recipient said why; see the audit log)."
            ),
        ),
        migrations.AlterField(
            "channel",
            "retention_days",
            models.PositiveIntegerField(
                default=90, help_text="Tips are destroyed this long after their last activity."
            ),
        ),
    ]
