"""Seen when nobody delivers: a running worker's heartbeat, and what the staff banner,
`tipline check`, `tipline jobs status` and the metrics say once none is newer than 2 minutes."""

import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from tipline.alerts import heartbeat
from tipline.alerts.models import WorkerHeartbeat
from tipline.jobs import status, worker
from tipline.operations.deployment import find_problems
from tipline.testing.staff import browser_sign_in, make_staff

NOBODY_YET = "No worker has run on this tip line"


@pytest.fixture(autouse=True)
def own_checkpoint_file(settings, tmp_path):
    """The worker's periodic jobs write an audit checkpoint: into this test's file, not the
    one every other test in this process checks its chain against."""
    settings.AUDIT_CHECKPOINT_FILE = tmp_path / "audit-checkpoints.jsonl"


class RunningWorker:
    """The real worker loop (tipline.jobs.worker.run) in a thread of the test process."""

    def __init__(self):
        self.stop = threading.Event()
        self.thread = threading.Thread(
            target=worker.run, kwargs={"interval": 0.2, "should_stop": self.stop.is_set}, daemon=True
        )

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 30
        while not heartbeat.running() and time.monotonic() < deadline:
            time.sleep(0.1)
        return self

    def __exit__(self, *_exception):
        self.stop.set()
        self.thread.join(timeout=60)


def test_with_no_worker_the_check_and_the_status_say_nobody_delivers_until_one_runs(desk):
    assert heartbeat.silence() == heartbeat.Silence(last_seen=None)
    assert any(NOBODY_YET in problem for problem in find_problems())
    configuration = find_problems(configuration_only=True)  # the server's ExecStartPre
    assert not any(NOBODY_YET in problem or "alert route" in problem for problem in configuration)
    assert any("There is no alert route" in problem for problem in find_problems())
    assert "none has run yet: alerts are not going out" in status.report()

    with RunningWorker():
        (running,) = heartbeat.running()
        assert heartbeat.silence() is None and not any("worker" in problem for problem in find_problems())
        assert "Workers running: 1" in status.report()

    running.refresh_from_db()
    assert running.stopped_at is not None  # told to stop, it says so rather than seeming to run on
    assert "none since" in status.report() and any(
        "No worker has been seen since" in problem for problem in find_problems()
    )


def test_a_worker_that_vanished_without_a_word_counts_as_gone_after_two_minutes(desk):
    started = timezone.now()
    heartbeat.beat("killed-with-sigkill", started, now=started)

    assert heartbeat.silence(started + timedelta(minutes=1, seconds=59)) is None
    silent = heartbeat.silence(started + timedelta(minutes=2, seconds=1))
    assert silent is not None and silent.last_seen.worker_id == "killed-with-sigkill"


def test_heartbeats_of_workers_gone_a_week_are_forgotten(desk):
    long_ago = timezone.now() - timedelta(days=8)
    heartbeat.beat("old", long_ago, now=long_ago)
    heartbeat.beat("new", timezone.now())

    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["new"]


@pytest.mark.browser
def test_an_admin_sees_that_alerts_are_not_going_out_until_a_worker_starts(live_server, page, desk, screenshot):
    chief = make_staff("chief", ["desk"], admin=True)
    browser_sign_in(page, live_server.url, chief)
    banner = page.locator(".banner--worker")
    assert "Alerts are not going out: no worker has run on this tip line yet." in banner.inner_text()
    screenshot(page, "worker-banner")

    with RunningWorker():
        page.reload()
        assert page.locator(".banner--worker").count() == 0
