"""The alerts app takes over AlertSent and DigestItem from the jobs app (jobs/0002), with
their tables as they are: no data moves."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0003_event_people"),
        ("jobs", "0002_alert_bookkeeping_to_alerts"),
        ("core", "0004_retention"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AlertSent",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("kind", models.CharField(help_text="e.g. 'lead-24h', 'lead-2h', 'passed'", max_length=32)),
                        (
                            "tip",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE, related_name="alerts", to="core.tip"
                            ),
                        ),
                    ],
                    options={
                        "db_table": "jobs_alertsent",
                        "constraints": [models.UniqueConstraint(fields=("tip", "kind"), name="one_alert_per_kind")],
                    },
                ),
                migrations.CreateModel(
                    name="DigestItem",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("channel_name", models.CharField(max_length=120)),
                        ("event", models.CharField(max_length=32)),
                        (
                            "recipient",
                            models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to=settings.AUTH_USER_MODEL),
                        ),
                    ],
                    options={"db_table": "jobs_digestitem"},
                ),
            ],
            database_operations=[],
        ),
    ]
