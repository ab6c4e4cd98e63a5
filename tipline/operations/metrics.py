"""Prometheus metrics as `tipline metrics` serves them, on its own, non-public address: what
every app server process recorded (tipline.web.metrics), added up, and counts read from the
database when scraped. Nothing about a tipster: no path, address, browser or id.
"""

from tipline.web.metrics import prometheus_client_for_this_instance


def registry():
    """What `tipline metrics` serves: every server process's requests, and database counts."""
    client = prometheus_client_for_this_instance()
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
        seen = GaugeMetricFamily(
            "tipline_worker_seconds_since_seen",
            "Seconds since a worker was last seen (its heartbeat or its stop); absent until one has run.",
        )
        seen.add_metric([], since)
        yield seen
