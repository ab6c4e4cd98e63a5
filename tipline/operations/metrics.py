"""Prometheus metrics: request counts and latencies by route pattern, recorded by every app
server process, and counts read from the database when scraped. Served by `tipline metrics`
on its own, non-public address. Nothing about a tipster: no path, address, browser or id.

prometheus_client's multiprocess mode lets `tipline metrics` add up the files each server
process writes into TIPLINE_METRICS_DIR; its directory must be known before the client is
imported, hence the late imports.
"""

import os
import shutil
from functools import cache
from pathlib import Path

from django.conf import settings

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


def _client():
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(settings.METRICS_DIR))
    Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(mode=0o700, parents=True, exist_ok=True)
    import prometheus_client

    return prometheus_client


@cache
def _request_metrics():
    client = _client()
    return client.Histogram(
        "tipline_http_request_duration_seconds", "Time to answer a request, by route pattern.",
        ["method", "route", "status"], buckets=LATENCY_BUCKETS,
    )


def prepare() -> None:
    """Import the client and make the request histogram now, not on the first request."""
    _request_metrics()


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    if settings.METRICS_ENABLED:
        _request_metrics().labels(method, route, str(status)).observe(seconds)


def clear_for_start() -> None:
    """A server starting afresh drops the files of processes that no longer exist."""
    shutil.rmtree(settings.METRICS_DIR, ignore_errors=True)


def registry():
    """What `tipline metrics` serves: every server process's requests, and database counts."""
    client = _client()
    from prometheus_client import multiprocess

    collected = client.CollectorRegistry()
    multiprocess.MultiProcessCollector(collected)
    collected.register(DatabaseCounts())
    return collected


class DatabaseCounts:
    """Counts read at scrape time: tips by status, queued and failed tasks, and whether the
    database, cache and blob store answer."""

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily

        from tipline.operations.health import component_states

        states = component_states()
        up = GaugeMetricFamily("tipline_up", "1 when the component answers.", labels=["component"])
        for component, fine in states.items():
            up.add_metric([component], 1 if fine else 0)
        yield up
        if not states["database"]:
            return
        from django.db.models import Count
        from django_tasks_db.models import DBTaskResult

        from tipline.core.models import Tip

        tips = GaugeMetricFamily("tipline_tips", "Tips stored, by status.", labels=["status"])
        for row in Tip.objects.values("status").annotate(count=Count("id")).order_by():
            tips.add_metric([row["status"]], row["count"])
        yield tips
        yield from _worker_metrics()
        tasks = GaugeMetricFamily("tipline_tasks", "Background tasks, by state.", labels=["state"])
        for row in DBTaskResult.objects.values("status").annotate(count=Count("id")).order_by():
            tasks.add_metric([row["status"].lower()], row["count"])
        yield tasks


def _worker_metrics():
    """Whether anyone delivers: alert on tipline_workers_running == 0 (for 2 minutes and more,
    docs/operations.md) as on tipline_up."""
    from prometheus_client.core import GaugeMetricFamily

    from tipline.alerts import heartbeat

    running = GaugeMetricFamily("tipline_workers_running", "Workers seen in the last 2 minutes.")
    running.add_metric([], len(heartbeat.running()))
    yield running
    since = heartbeat.seconds_since_seen()
    if since is not None:
        seen = GaugeMetricFamily("tipline_worker_seconds_since_seen", "Seconds since a worker was last seen (its heartbeat or its stop); absent until one has run.")
        seen.add_metric([], since)
        yield seen
