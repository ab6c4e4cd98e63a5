"""Audit entries. Each holds the hash of the one before it, so editing, deleting or
reordering any row breaks the chain from there on (`tipline audit verify`)."""

from django.db import models


class AuditEntry(models.Model):
    at = models.DateTimeField()
    actor = models.CharField(max_length=150, help_text="Username, or 'system'; never a tipster.")
    action = models.CharField(max_length=64)
    target = models.CharField(max_length=200, blank=True, help_text="What was acted on: a tip id, a username.")
    details = models.JSONField(default=dict, blank=True)
    previous_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["action"]), models.Index(fields=["actor"])]


class ChainHead(models.Model):
    """One row, locked while an entry is appended, so that concurrent writers cannot fork the chain."""

    last_hash = models.CharField(max_length=64)
    # The newest checkpoint written (tipline.audit.checkpoints): a checkpoint file cut back
    # or deleted ends before it, which `tipline audit verify` reports.
    checkpoint_sequence = models.PositiveIntegerField(default=0)
    checkpoint_mac = models.CharField(max_length=64, blank=True, default="")
