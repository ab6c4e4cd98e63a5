"""Deadline alerts and notifications over a real SMTP server: each lead time once, the
passed-deadline alert once, none for settled tips, and no tip content in any mail."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tipline.accounts.models import User
from tipline.alerts.models import AlertSent, DigestItem
from tipline.core.models import Tip
from tipline.jobs import deadlines
from tipline.jobs.worker import DEADLINE_SCAN, claim_slot, run_ready_tasks, schedule_due
from tipline.testing.staff import make_tip

pytestmark = pytest.mark.django_db
MARKER = "marker-alert-content-3f9a"


def subjects(received) -> list[str]:
    return [str(message["Subject"]).strip() for message in received]


def test_alerts_come_at_each_lead_time_and_when_the_deadline_passes_each_once(desk, email_route):
    start = timezone.now()
    tip, _ = make_tip("desk", MARKER, start + timedelta(hours=30))
    run_ready_tasks()
    email_route.clear()  # the new-tip notice

    timeline = [
        (start + timedelta(hours=1), 0),  # 29 h left: nothing yet
        (start + timedelta(hours=7), 1),  # 23 h left: the 24 h alert
        (start + timedelta(hours=8), 0),  # a later scan (another worker) sends nothing again
        (start + timedelta(hours=28, minutes=30), 1),  # 1.5 h left: the 2 h alert
        (start + timedelta(hours=29), 0),
        (start + timedelta(hours=31), 1),  # passed while still new
        (start + timedelta(hours=40), 0),
    ]
    for moment, expected in timeline:
        assert deadlines.scan(moment) == expected, moment - start
        run_ready_tasks()

    assert sorted(AlertSent.objects.values_list("kind", flat=True)) == ["lead-24h", "lead-2h", "passed"]
    # ana gets every alert at once; ben (quiet digest) also gets deadline alerts at once
    assert len(email_route) == 6
    assert subjects(email_route).count("[Tipline] A tip's deadline is near in Night desk") == 4
    assert subjects(email_route).count("[Tipline] A tip's deadline passed while it was still new in Night desk") == 2
    assert all(MARKER not in message.get_content() for message in email_route)
    assert "Time left: about 23 hours." in email_route[0].get_content()


def test_a_tip_that_arrives_late_gets_only_the_nearest_alert(desk, email_route):
    now = timezone.now()
    make_tip("desk", "late", now + timedelta(hours=1))

    assert deadlines.scan(now) == 1
    assert deadlines.scan(now + timedelta(minutes=5)) == 0
    assert list(AlertSent.objects.values_list("kind", flat=True)) == ["lead-2h"]


@pytest.mark.parametrize("status", ["acted_on", "closed", "spam"])
def test_settled_tips_get_no_alerts(desk, email_route, status):
    now = timezone.now()
    tip, _ = make_tip("desk", "settled", now + timedelta(hours=3))
    Tip.objects.filter(pk=tip.pk).update(status=status)

    assert deadlines.scan(now + timedelta(hours=2)) == 0
    assert deadlines.scan(now + timedelta(hours=5)) == 0


def test_a_passed_deadline_on_a_tip_in_review_is_not_alerted(desk, email_route):
    now = timezone.now()
    tip, _ = make_tip("desk", "in review", now + timedelta(hours=3))
    Tip.objects.filter(pk=tip.pk).update(status="in_review")

    assert deadlines.scan(now + timedelta(hours=5)) == 0


def test_new_tips_and_messages_are_announced_without_content_and_quiet_users_get_a_digest(desk, email_route):
    from tipline.core.conversation import add_message, open_tip_for_recipient
    from tipline.core.models import Author

    tip, _ = make_tip("desk", MARKER)
    ana = desk[0]
    add_message(tip, open_tip_for_recipient(tip, ana.user, ana.private_key), Author.TIPSTER, MARKER + " again")
    run_ready_tasks()

    assert sorted(message["To"] for message in email_route) == ["ana@example.org", "ana@example.org"]
    assert sorted(subjects(email_route)) == [
        "[Tipline] A new tip arrived in Night desk",
        "[Tipline] A tipster wrote a new message in Night desk",
    ]
    assert all(MARKER not in message.get_content() for message in email_route)
    assert "http://127.0.0.1:8000/staff/sign-in/" in email_route[0].get_content()
    assert DigestItem.objects.filter(recipient__username="ben").count() == 2

    from tipline.jobs.tasks import send_digests

    send_digests.enqueue()
    run_ready_tasks()
    digest = [message for message in email_route if message["To"] == "ben@example.org"]
    assert len(digest) == 1 and "A new tip arrived in “Night desk”: 1" in digest[0].get_content()
    assert DigestItem.objects.count() == 0


def test_periodic_jobs_are_enqueued_once_per_period_whatever_the_number_of_workers(desk):
    now = timezone.now()

    first = schedule_due(now)
    second = schedule_due(now)  # another worker at the same moment
    later = schedule_due(now + timedelta(minutes=1, seconds=1))

    assert sorted(first) == [
        "audit-checkpoint",
        "digest",
        "insider-keys",
        "orphan-blob-sweep",
        "retention-purge",
        "session-purge",
        "task-prune",
    ]
    assert second == []
    assert sorted(later) == ["session-purge"]


def test_the_deadline_scan_runs_once_per_15_seconds_whatever_the_number_of_workers(desk):
    name, every = DEADLINE_SCAN
    now = timezone.now()

    turns = [claim_slot(name, every, now), claim_slot(name, every, now), claim_slot(name, every, now + every)]

    assert every == timedelta(seconds=15) and turns == [True, False, True]


def test_each_recipient_gets_notices_in_their_own_language(desk, email_route):
    User.objects.filter(username="ana").update(language="ar")
    User.objects.filter(username="ben").update(quiet_digest=False, language="es")
    make_tip("desk", "marker-language-content-42")
    run_ready_tasks()
    by_address = {message["To"]: message for message in email_route}
    assert str(by_address["ana@example.org"]["Subject"]).strip() == "[Tipline] وصل بلاغ جديد في Night desk"
    assert str(by_address["ben@example.org"]["Subject"]).strip() == "[Tipline] Llegó un aviso nuevo en Night desk"
    assert (
        "Inicie sesión para leerlo: http://127.0.0.1:8000/es/staff/sign-in/"
        in by_address["ben@example.org"].get_content()
    )
    assert (
        "http://127.0.0.1:8000/ar/staff/sign-in/" in by_address["ana@example.org"].get_content()
    )  # the page in their language
    assert all("marker-language-content-42" not in message.get_content() for message in email_route)


def test_a_task_whose_worker_was_killed_is_reported_stalled_not_running(desk):
    from django_tasks_db.models import DBTaskResult

    from tipline.jobs.status import report
    from tipline.jobs.tasks import scan_deadlines

    for _task in range(2):
        scan_deadlines.enqueue()
    first, second = DBTaskResult.objects.all()
    DBTaskResult.objects.filter(pk=first.pk).update(status="RUNNING", started_at=timezone.now() - timedelta(minutes=30))
    DBTaskResult.objects.filter(pk=second.pk).update(status="RUNNING", started_at=timezone.now())

    status = report()

    assert "ready 0, running 1," in status and "stalled 1: started over 10 minutes ago" in status
