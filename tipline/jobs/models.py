"""Bookkeeping that makes background work happen once: periodic slots claimed by one
worker at a time. (The deadline alerts sent and digest items waiting are the alerts app's.)"""

from django.db import models


class PeriodicSlot(models.Model):
    """When a periodic job is next due; a worker claims it by moving `next_run` forward."""

    name = models.CharField(max_length=64, unique=True)
    next_run = models.DateTimeField()
