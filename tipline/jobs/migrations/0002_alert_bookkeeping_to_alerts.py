"""AlertSent and DigestItem now belong to the alerts app (tipline.alerts.models), which the
domain's deadline alerts and digests live in; their tables stay where they are, so this only
changes Django's idea of who owns them (alerts/0004 takes them over)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("jobs", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AlertSent"), migrations.DeleteModel(name="DigestItem")],
            database_operations=[],
        ),
    ]
