"""The outbox: an Event is recorded in the transaction of its cause; the worker fans it out
into one Delivery per route (per addressee, for email) that exists then, and delivers each.

Times of events a tipster caused (a new tip, a new message) are kept to the hour, as the
tip's own are: the outbox must not tell the minute a tipster wrote.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy

from tipline.core import events

# Events a tipster caused: their times are kept to the hour, like the tip's own.
TIPSTER_EVENTS = ("new-tip", "new-message", "storage-budget-reached")


class RouteKind(models.TextChoices):
    EMAIL = "email", gettext_lazy("Email to each recipient")
    WEBHOOK = "webhook", gettext_lazy("Signed webhook (JSON)")
    SLACK = "slack", gettext_lazy("Slack, Mattermost or Rocket.Chat incoming webhook")
    TEAMS = "teams", gettext_lazy("Microsoft Teams workflow webhook")
    MATRIX = "matrix", gettext_lazy("Matrix room")
    NTFY = "ntfy", gettext_lazy("ntfy push (phones)")


class Route(models.Model):
    """A way alerts leave the tip line, for the whole site or for chosen channels."""

    name = models.SlugField(max_length=64, unique=True)
    kind = models.CharField(max_length=16, choices=RouteKind.choices)
    target = models.CharField(
        max_length=500,
        help_text="smtp://[user@]host:port, smtps://…, smtp+plain://…, a directory (file://) or an https:// URL.",
    )
    room = models.CharField(max_length=255, blank=True, help_text="Matrix only: the room id, e.g. !abc:example.org.")
    sealed_secret = models.BinaryField(null=True, blank=True, help_text="Sealed under the site's secret key file.")
    channels = models.ManyToManyField(
        "core.Channel", blank=True, related_name="alert_routes", help_text="None: the whole site."
    )
    escalation_only = models.BooleanField(default=False, help_text="Only escalations go here (e.g. a duty phone).")
    created_at = models.DateTimeField(auto_now_add=True)
    last_success_at = models.DateTimeField(null=True, blank=True, help_text="To the hour for events a tipster caused.")
    last_failure_at = models.DateTimeField(null=True, blank=True, help_text="To the hour for events a tipster caused.")
    last_error = models.CharField(max_length=500, blank=True)
    # Set by every attempt: its state does not hang on times that may be kept to the hour.
    consecutive_failures = models.PositiveIntegerField(default=0, help_text="Failed attempts since its last success.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_failing(self) -> bool:
        """From its first failed attempt until one succeeds."""
        return self.consecutive_failures > 0


class Audience(models.TextChoices):
    RECIPIENTS = events.RECIPIENTS, "The channel's recipients"
    ADMINS = events.ADMINS, "The admins"


class Event(models.Model):
    """Something a person should hear about; pending until a route has delivered it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=32)
    channel = models.ForeignKey("core.Channel", on_delete=models.CASCADE, related_name="alert_events")
    tip = models.ForeignKey("core.Tip", null=True, blank=True, on_delete=models.CASCADE, related_name="alert_events")
    audience = models.CharField(max_length=16, choices=Audience.choices, default=Audience.RECIPIENTS)
    seconds_left = models.IntegerField(null=True, blank=True)
    recorded_at = models.DateTimeField(help_text="To the hour for events a tipster caused.")
    escalate_at = models.DateTimeField(
        null=True, blank=True, help_text="Deadline alerts: escalated if nobody acts by then."
    )
    acknowledged = models.BooleanField(default=False, help_text="A recipient opened the tip or changed its status.")
    escalated = models.BooleanField(default=False)
    fanned_out = models.BooleanField(default=False, help_text="Its deliveries are made for the routes that exist now.")
    settled = models.BooleanField(default=False, help_text="Delivered, and nothing of it is still pending.")
    waiting_reason = models.CharField(max_length=200, blank=True)
    # recipients-changed, joining-asked and recipient-reset only: staff names, never tip content.
    people = models.JSONField(
        default=dict,
        blank=True,
        help_text="Who joined, left or asks to join, who changed it, and who was a recipient then (told).",
    )

    @property
    def description(self) -> str:
        from tipline.alerts.notify import EVENTS

        return str(EVENTS.get(self.kind, self.kind))

    @property
    def caused_by_tipster(self) -> bool:
        return self.kind in TIPSTER_EVENTS

    class Meta:
        indexes = [
            models.Index(fields=["fanned_out"], name="alert_event_to_fan_out", condition=models.Q(fanned_out=False)),
            models.Index(fields=["escalate_at"], name="alert_event_to_escalate", condition=models.Q(escalated=False)),
        ]


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", gettext_lazy("pending")
    DELIVERED = "delivered", gettext_lazy("delivered")
    DIGEST = "digest", gettext_lazy("held for the daily digest")
    CANCELLED = "cancelled", gettext_lazy("cancelled")


class Delivery(models.Model):
    """One event through one route (and, for email, to one person)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    route = models.ForeignKey(Route, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries")
    route_name = models.CharField(max_length=64, help_text="Kept when the route is removed.")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    fan_key = models.CharField(max_length=80, help_text="route id[:user id]: one delivery each, whoever fans out.")
    status = models.CharField(max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True, help_text="Claimed by a worker until then.")
    lease_owner = models.CharField(
        max_length=32, blank=True, help_text="The worker that holds the lease and renews it."
    )
    last_error = models.CharField(max_length=500, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True, help_text="To the hour for events a tipster caused.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "fan_key"], name="one_delivery_per_route_and_addressee")
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="alert_delivery_due", condition=models.Q(status="pending"))
        ]


class WorkerHeartbeat(models.Model):
    """A running worker says it is alive about once every HEARTBEAT_SECONDS: about the
    worker, never a tipster, so its time is exact. Nobody seen for a while: nobody delivers."""

    worker_id = models.CharField(max_length=32, unique=True)
    host = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True, help_text="Set when it stopped when told to.")

    @property
    def last_seen_at(self):
        """When it stopped, if it said so; else its last heartbeat."""
        return self.stopped_at or self.seen_at


class AlertSent(models.Model):
    """A deadline alert of one kind for one tip: the unique row is what makes it happen once."""

    tip = models.ForeignKey("core.Tip", on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=32, help_text="e.g. 'lead-24h', 'lead-2h', 'passed'")

    class Meta:
        db_table = "jobs_alertsent"  # made by the jobs app, which kept it until 2026-12
        constraints = [models.UniqueConstraint(fields=["tip", "kind"], name="one_alert_per_kind")]


class DigestItem(models.Model):
    """An event held back for a recipient who asked for a quiet digest (counts only)."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    channel_name = models.CharField(max_length=120)
    event = models.CharField(max_length=32)

    class Meta:
        db_table = "jobs_digestitem"  # made by the jobs app, which kept it until 2026-12
