"""No time finer than the hour is kept of what a tipster does: not in the database, not in
the blob store's file times (modification and access; the inode change time is the
kernel's, see docs/operations.md), not in the log. Staff activity keeps its exact times."""

import re
import time
from datetime import datetime, timedelta

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.utils import timezone

from tipline.alerts import delivery
from tipline.intake.tests.helpers import post_tip, receipt_in
from tipline.web.logging import release_held_lines

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
    receipt = receipt_in(
        post_tip(client, "general", {"answer-tip": "exact times"}, files=[SimpleUploadedFile("a.txt", b"a" * 300)])
    )
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


def test_a_new_tip_mail_kept_by_a_file_route_tells_only_the_hour(client, recipient_keys, tmp_path):
    from email import message_from_bytes
    from email.utils import parsedate_to_datetime

    from tipline.alerts.routes import RouteSpec, add_route

    mailbox = tmp_path / "mail"
    add_route(RouteSpec(name="file-mail", kind="email", target=f"file://{mailbox}", by_operator=True))
    delivery.run_once()
    for written in mailbox.glob("*"):
        written.unlink()

    a_tipster_visits(client)
    delivery.run_once()

    directory = mailbox.stat()
    mails = sorted(mailbox.iterdir())
    assert len(mails) == 2 and directory.st_mtime % 3600 == 0 and directory.st_atime % 3600 == 0
    for mail in mails:
        stat = mail.stat()
        headers = message_from_bytes(mail.read_bytes())
        assert stat.st_mtime % 3600 == 0 and stat.st_atime % 3600 == 0
        assert on_the_hour(parsedate_to_datetime(headers["Date"]))
        stamp = timezone.now().strftime("%Y%m%d")
        assert stamp not in mail.name and str(int(time.time()))[:6] not in headers["Message-ID"]


def test_message_ids_tell_nothing_of_when_a_tipster_wrote_between_audited_replies(demo_channels):
    from tipline.core.conversation import (
        add_message,
        open_tip_for_recipient,
        read_conversation,
    )
    from tipline.core.models import Author
    from tipline.testing.staff import make_staff, make_tip

    ana = make_staff("ana", ["general"])
    tips = [make_tip("general", "one")[0], make_tip("general", "two")[0]]
    keys = [open_tip_for_recipient(tip, ana.user, ana.private_key) for tip in tips]
    written = []
    for turn in range(6):
        tip, key = tips[turn % 2], keys[turn % 2]
        author = Author.RECIPIENT if turn % 3 else Author.TIPSTER
        written.append(
            add_message(tip, key, author, f"turn {turn}", sender=ana.user if author == Author.RECIPIENT else None)
        )

    ids = [message.pk for message in written]
    assert all(abs(later - earlier) > 2**32 for earlier, later in zip(ids, ids[1:], strict=False))  # no shared sequence
    assert [view.text for view in read_conversation(tips[0], keys[0])] == ["turn 0", "turn 2", "turn 4"]
    assert [message.number for message in written] == [1, 1, 2, 2, 3, 3]


def test_a_held_line_about_a_refused_tip_keeps_nothing_of_its_request(client, recipient_keys, console_log):
    import gc
    import weakref

    from tipline.core import metadata

    with metadata.cleaning_turn(settings.CLEANING_PARALLEL):  # a 503 of ours, which Django logs with the request
        response = post_tip(
            client,
            "general",
            {"answer-tip": "refused"},
            files=[SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n" + b"0" * 300_000)],
        )
    assert response.status_code == 503
    request = weakref.ref(response.wsgi_request)
    del response
    gc.collect()

    assert request() is None  # its body and files are not held with the line until the hour ends
    release_held_lines()
    assert re.search(r"ERROR django\.request: Service Unavailable: /c/<slug:slug>/", console_log.getvalue())


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
