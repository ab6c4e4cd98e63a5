"""No time finer than the hour is kept of what a tipster does: not in the database, not in
the blob store's file times (modification and access; the inode change time is the
kernel's, see docs/operations.md), not in the log. Staff activity keeps its exact times."""

import re
from datetime import datetime, timedelta

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.utils import timezone

from tipline.alerts import delivery
from tipline.web.logging import release_held_lines
from tipline.intake.tests.helpers import post_tip, receipt_in

pytestmark = pytest.mark.django_db
PUBLIC_LINE = re.compile(r"^(\S+ \S+) INFO tipline\.access: (GET|POST) /(c|check)/", re.MULTILINE)
ALERT_LINE = re.compile(r"^(\S+ \S+) INFO tipline\.alerts: alert (new-tip|new-message) delivered", re.MULTILINE)


@pytest.fixture
def console_log():
    """What the configured console handler writes, as the operator's log would get it."""
    import io
    import logging

    console = next(handler for handler in logging.getLogger().handlers if handler.name == "console")
    written = io.StringIO()
    previous = console.setStream(written)
    yield written
    console.setStream(previous)


def a_tipster_visits(client) -> None:
    client.get("/c/general/")
    receipt = receipt_in(post_tip(client, "general", {"answer-tip": "exact times"}, files=[SimpleUploadedFile("a.txt", b"a" * 300)]))
    client.post("/check/", {"receipt": receipt})
    client.post("/check/your-tip/", {"text": "and one more thing", "files": [SimpleUploadedFile("b.txt", b"b" * 300)]})
    client.get("/check/your-tip/")


def on_the_hour(moment: datetime) -> bool:
    return moment.minute == moment.second == moment.microsecond == 0


def times_in_the_database(since: datetime) -> list[str]:
    found = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.DateTimeField):
                for pk, moment in model.objects.filter(**{f"{field.name}__gte": since}).values_list("pk", field.name):
                    if not on_the_hour(moment):
                        found.append(f"{model._meta.label}.{field.name} ({pk}): {moment.isoformat()}")
    return found


def test_a_tipsters_visit_leaves_no_time_finer_than_the_hour(client, recipient_keys, email_route, console_log):
    delivery.run_once()  # what setting up the desk caused goes out first
    started = timezone.now()

    a_tipster_visits(client)
    delivery.run_once()  # the new-tip and new-message alerts go out

    found = times_in_the_database(started)
    assert found == []
    directory = settings.BLOB_DIR.stat()  # before listing it, which sets its access time
    blob_times = [("blobs", directory.st_mtime, directory.st_atime)] + [
        (path.name, stat.st_mtime, stat.st_atime) for path in settings.BLOB_DIR.iterdir() for stat in [path.stat()]
    ]
    assert [entry for entry in blob_times if entry[1] % 3600 or entry[2] % 3600] == []
    assert PUBLIC_LINE.findall(console_log.getvalue()) == []  # held until the hour ends
    assert ALERT_LINE.findall(console_log.getvalue()) == []

    release_held_lines()

    released = PUBLIC_LINE.findall(console_log.getvalue())
    alerts = ALERT_LINE.findall(console_log.getvalue())
    assert len(released) == 5 and len(alerts) == 4  # two alerts, each through two routes
    assert {stamp[13:] for stamp, *_ in released + alerts} == {":00:00,000"}


def test_staff_requests_are_logged_at_once_with_their_exact_time(client, console_log):

    client.get("/staff/sign-in/")

    assert re.search(r"INFO tipline\.access: GET /staff/sign-in/ 200", console_log.getvalue())


def test_finished_background_tasks_are_not_kept_with_their_times(transactional_db):
    from django_tasks_db.models import DBTaskResult

    from tipline.jobs import tasks
    from tipline.jobs.worker import run_ready_tasks

    tasks.sweep_orphan_blobs.enqueue()
    tasks.sweep_orphan_blobs.enqueue()
    run_ready_tasks()
    older, recent = DBTaskResult.objects.finished().order_by("enqueued_at")
    DBTaskResult.objects.filter(pk=older.pk).update(finished_at=timezone.now() - timedelta(hours=2))

    tasks.prune_finished_tasks.call()

    assert list(DBTaskResult.objects.values_list("pk", flat=True)) == [recent.pk]
