"""Bookkeeping that makes background work happen once: periodic slots claimed by one
worker at a time, alerts recorded before they are sent, digest items waiting."""

from django.conf import settings
from django.db import models


class PeriodicSlot(models.Model):
    """When a periodic job is next due; a worker claims it by moving `next_run` forward."""

    name = models.CharField(max_length=64, unique=True)
    next_run = models.DateTimeField()


class AlertSent(models.Model):
    """A deadline alert of one kind for one tip: the unique row is what makes it happen once."""

    tip = models.ForeignKey("core.Tip", on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=32, help_text="e.g. 'lead-24h', 'lead-2h', 'passed'")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tip", "kind"], name="one_alert_per_kind")]


class DigestItem(models.Model):
    """An event held back for a recipient who asked for a quiet digest (counts only)."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    channel_name = models.CharField(max_length=120)
    event = models.CharField(max_length=32)
