"""Prometheus metrics as each app server process records them: request counts and latencies
by route pattern. Nothing about a tipster: no path, address, browser or id. `tipline metrics`
(tipline.operations.metrics) adds up what every process wrote and serves it.

prometheus_client's multiprocess mode has each process write files into TIPLINE_METRICS_DIR; its
directory must be known before the client is imported, hence the late imports.
"""

import os
import shutil
from functools import cache
from pathlib import Path

from django.conf import settings

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


def prometheus_client_for_this_instance():
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(settings.METRICS_DIR))
    Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(mode=0o700, parents=True, exist_ok=True)
    import prometheus_client

    return prometheus_client


@cache
def _request_metrics():
    client = prometheus_client_for_this_instance()
    return client.Histogram(
        "tipline_http_request_duration_seconds",
        "Time to answer a request, by route pattern.",
        ["method", "route", "status"],
        buckets=LATENCY_BUCKETS,
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
