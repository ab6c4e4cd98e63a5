"""Route health by consecutive failures, leases with an owner, and the workers' heartbeat."""

from django.db import migrations, models
from django.db.models import F, Q


def failing_routes_keep_failing(apps, schema_editor):
    """A route failing by the old rule (its last failure after its last success) starts failing."""
    Route = apps.get_model("alerts", "Route")
    failed_last = Q(last_failure_at__isnull=False) & (
        Q(last_success_at__isnull=True) | Q(last_success_at__lt=F("last_failure_at"))
    )
    Route.objects.filter(failed_last).update(consecutive_failures=1)


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="WorkerHeartbeat",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("worker_id", models.CharField(max_length=32, unique=True)),
                ("host", models.CharField(blank=True, max_length=255)),
                ("pid", models.PositiveIntegerField(default=0)),
                ("started_at", models.DateTimeField()),
                ("seen_at", models.DateTimeField()),
                (
                    "stopped_at",
                    models.DateTimeField(blank=True, help_text="Set when it stopped when told to.", null=True),
                ),
            ],
        ),
        migrations.AddField(
            model_name="delivery",
            name="lease_owner",
            field=models.CharField(
                blank=True, help_text="The worker that holds the lease and renews it.", max_length=32
            ),
        ),
        migrations.AddField(
            model_name="route",
            name="consecutive_failures",
            field=models.PositiveIntegerField(default=0, help_text="Failed attempts since its last success."),
        ),
        migrations.AlterField(
            model_name="route",
            name="last_failure_at",
            field=models.DateTimeField(blank=True, help_text="To the hour for events a tipster caused.", null=True),
        ),
        migrations.AlterField(
            model_name="route",
            name="last_success_at",
            field=models.DateTimeField(blank=True, help_text="To the hour for events a tipster caused.", null=True),
        ),
        migrations.RunPython(failing_routes_keep_failing, migrations.RunPython.noop),
    ]
