"""Whether anyone is delivering: each running worker writes a heartbeat row every
HEARTBEAT_SECONDS while all its loops go round, and says when it stopped; when none is
running (none newer than SILENT_AFTER, or all stopped), the staff banner, `tipline check`,
`tipline jobs status` and the metrics say so.

A heartbeat is about a worker process (host, pid, when it started and was last seen), never
about a tipster. Rows of workers gone for a week are dropped.
"""

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from tipline.alerts.models import WorkerHeartbeat

HEARTBEAT_SECONDS = 30
SILENT_AFTER = timedelta(minutes=2)
FORGOTTEN_AFTER = timedelta(days=7)


def beat(worker_id: str, started_at: datetime, now: datetime | None = None) -> None:
    now = now or timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "host": socket.gethostname()[:200],
            "pid": os.getpid(),
            "started_at": started_at,
            "seen_at": now,
            "stopped_at": None,
        },
    )
    WorkerHeartbeat.objects.filter(seen_at__lt=now - FORGOTTEN_AFTER).delete()


def stopped(worker_id: str, now: datetime | None = None) -> None:
    """A worker told to stop says so: it is not mistaken for one still running."""
    WorkerHeartbeat.objects.filter(worker_id=worker_id).update(stopped_at=now or timezone.now())


def running(now: datetime | None = None) -> list[WorkerHeartbeat]:
    """The workers seen within SILENT_AFTER that have not said they stopped, newest first."""
    now = now or timezone.now()
    return list(
        WorkerHeartbeat.objects.filter(stopped_at__isnull=True, seen_at__gte=now - SILENT_AFTER).order_by("-seen_at")
    )


@dataclass(frozen=True)
class Silence:
    """Nobody is delivering: since when the last worker was seen (None: no worker ever ran)."""

    last_seen: WorkerHeartbeat | None


def silence(now: datetime | None = None) -> Silence | None:
    """None while some worker is running (see `running`: one that said it stopped is not,
    one killed is until SILENT_AFTER has passed); else a Silence, on an instance with
    channels (one without has nothing to deliver yet)."""
    from tipline.core.models import Channel

    if running(now) or not Channel.objects.exists():
        return None
    return Silence(last_seen=last_seen())


def last_seen() -> WorkerHeartbeat | None:
    """The worker seen last, running or not (the one that stopped last, once all have)."""
    return max(WorkerHeartbeat.objects.all(), key=lambda worker: worker.last_seen_at, default=None)


def seconds_since_seen(now: datetime | None = None) -> float | None:
    """Since a worker was last seen (its heartbeat, or its stop); None when none ever ran."""
    newest = last_seen()
    return None if newest is None else ((now or timezone.now()) - newest.last_seen_at).total_seconds()
