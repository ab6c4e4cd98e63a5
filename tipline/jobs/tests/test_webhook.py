"""Webhooks: signed JSON a receiver can verify, retried with growing waits, a bounded number of times."""

import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django_tasks_db.models import DBTaskResult

from tipline.jobs import notify
from tipline.jobs.worker import run_ready_tasks
from tipline.testing.staff import make_tip

pytestmark = pytest.mark.django_db
SECRET = "webhook-shared-secret"


@pytest.fixture
def receiver(settings):
    """A webhook receiver on loopback that fails the first `failures` requests with 503."""
    state = {"failures": 0, "requests": []}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state["requests"].append((dict(self.headers), body))
            failing = len(state["requests"]) <= state["failures"]
            self.send_response(503 if failing else 204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.WEBHOOK_URL = f"http://127.0.0.1:{server.server_port}/hook"
    settings.WEBHOOK_SECRET = SECRET
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0
    settings.WEBHOOK_MAX_ATTEMPTS = 4
    yield state
    server.shutdown()


def verify(headers: dict, body: bytes) -> bool:
    expected = notify.webhook_signature(SECRET, headers["X-Tipline-Timestamp"], body)
    return hmac.compare_digest(expected, headers["X-Tipline-Signature"])


def test_a_new_tip_is_posted_signed_and_without_content(desk, receiver):
    make_tip("desk", "marker-webhook-content-77")
    run_ready_tasks()

    (headers, body), = receiver["requests"]
    assert verify(headers, body)
    assert json.loads(body) == {
        "channel": "Night desk", "event": "new-tip", "link": "http://127.0.0.1:8000/staff/sign-in/", "seconds_left": None
    }
    assert not verify(headers, body.replace(b"new-tip", b"new-message"))


def test_failures_are_retried_until_one_succeeds(desk, receiver):
    receiver["failures"] = 2

    make_tip("desk", "retry")
    run_ready_tasks()

    assert len(receiver["requests"]) == 3
    results = DBTaskResult.objects.filter(task_path__endswith="send_webhook")
    assert sorted(results.values_list("status", flat=True)) == ["SUCCESSFUL"] * 3
    assert [result.args_kwargs["args"][-1] for result in results.order_by("enqueued_at")] == [1, 2, 3]


def test_retries_stop_after_the_last_attempt(desk, receiver):
    receiver["failures"] = 100

    make_tip("desk", "never")
    run_ready_tasks()

    assert len(receiver["requests"]) == 4
    assert DBTaskResult.objects.filter(task_path__endswith="send_webhook", status="FAILED").count() == 1


def test_retry_waits_grow(desk, receiver, settings):
    from django.utils import timezone

    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    receiver["failures"] = 100
    make_tip("desk", "backoff")
    run_ready_tasks()

    waiting = DBTaskResult.objects.get(task_path__endswith="send_webhook", status="READY")
    delay = (waiting.run_after - timezone.now()).total_seconds()
    assert waiting.args_kwargs["args"][-1] == 2 and 20 < delay <= 30
