"""Answering duties: reminders at each lead time once, overdue duties to admins, a marked
reply clears the duty, the tipster is told when to expect an answer, the report adds up."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tipline.accounts.models import User
from tipline.alerts.models import AlertSent
from tipline.casework.inbox import inbox_page
from tipline.core import duties
from tipline.core.models import Channel, Message, Tip
from tipline.jobs import duty_reminders
from tipline.jobs.worker import run_ready_tasks
from tipline.testing.staff import make_staff, make_tip, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(desk):
    member = make_staff("root", [], admin=True)
    User.objects.filter(username="root").update(email="root@example.org")
    return member


def recipients_of(received, subject_start: str) -> list[str]:
    return sorted(message["To"] for message in received if str(message["Subject"]).strip().startswith(subject_start))


def test_reminders_come_at_each_lead_time_once_and_an_overdue_duty_alerts_the_admins(desk, admin, email_route):
    Channel.objects.filter(slug="desk").update(feedback_within_days=None)
    tip, _ = make_tip("desk", "duty")
    run_ready_tasks()
    email_route.clear()
    due = tip.received_hour + timedelta(days=7)

    for moment, expected in [
        (due - timedelta(hours=80), 0),
        (due - timedelta(hours=71), 1),
        (due - timedelta(hours=70), 0),
        (due - timedelta(hours=23), 1),
        (due - timedelta(hours=1), 0),
        (due + timedelta(minutes=1), 1),
        (due + timedelta(days=3), 0),
    ]:
        assert duty_reminders.scan(moment) == expected, moment - due
        run_ready_tasks()

    assert sorted(AlertSent.objects.values_list("kind", flat=True)) == [
        "acknowledgement-lead-24h",
        "acknowledgement-lead-72h",
        "acknowledgement-overdue",
    ]
    assert (
        recipients_of(email_route, "[Tipline] A tip must be acknowledged soon")
        == ["ana@example.org"] * 2 + ["ben@example.org"] * 2
    )
    assert recipients_of(email_route, "[Tipline] A tip's acknowledgement is overdue") == ["root@example.org"]


def test_the_standard_acknowledgement_meets_the_duty_in_one_action(desk, admin):
    tip, receipt = make_tip("desk", "please confirm")
    ana = sign_in(desk[0])
    now = timezone.now()
    assert [duty.kind for duty in duties.duties_of(tip)] == ["acknowledgement", "feedback"]

    ana.post(f"/staff/tips/{tip.id}/acknowledge/")

    tip.refresh_from_db()
    message = Message.objects.get()
    assert message.purpose == "acknowledgement" and tip.acknowledged_hour is not None and tip.feedback_hour is None
    assert duty_reminders.scan(tip.received_hour + timedelta(days=8)) == 0  # feedback is not due for 90 days
    assert not inbox_page(desk[0].user, {"duty": "acknowledgement-overdue"}).tips
    tipster = Client()
    tipster.post("/check/", {"receipt": receipt})
    page = tipster.get("/check/your-tip/").content.decode()
    assert "We confirm that we have received it." in page
    assert f"The team confirmed receipt on {now:%-d %B %Y}" in page
    assert "The team will tell you what was done by" in page


def test_a_reply_marked_as_feedback_also_counts_as_acknowledgement(desk):
    tip, _ = make_tip("desk", "answer me")

    sign_in(desk[0]).post(f"/staff/tips/{tip.id}/reply/", {"text": "We passed it on.", "purpose": "feedback"})

    tip.refresh_from_db()
    assert tip.acknowledged_hour is not None and tip.feedback_hour is not None


def test_the_inbox_shows_and_filters_pressing_duties(desk):
    tip, _ = make_tip("desk", "late one")
    Tip.objects.filter(pk=tip.pk).update(received_hour=tip.received_hour - timedelta(days=8))
    fresh, _ = make_tip("desk", "fresh one")
    ana = sign_in(desk[0])

    overdue = inbox_page(desk[0].user, {"duty": "acknowledgement-overdue"}).tips
    page = ana.get("/staff/inbox/?duty=acknowledgement-overdue").content.decode()

    assert [row.pk for row in overdue] == [tip.pk]
    assert "acknowledgement overdue" in page


def test_spam_carries_no_duty(desk):
    tip, _ = make_tip("desk", "spam")
    Tip.objects.filter(pk=tip.pk).update(status="spam")

    assert duties.duties_of(Tip.objects.get(pk=tip.pk)) == []


def test_the_report_matches_a_seeded_set_of_tips(desk, admin):
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    seeded = {}
    # name: (received days ago, acknowledged after days, feedback after days)
    for name, (age, acknowledged, feedback) in {
        "prompt": (100, 2, 30),
        "late-ack": (100, 9, 95),
        "no-answer": (100, None, None),
        "young": (3, None, None),
        "acked-only": (20, 6, None),
    }.items():
        tip, _ = make_tip("desk", name)
        received = now - timedelta(days=age)
        Tip.objects.filter(pk=tip.pk).update(
            received_hour=received,
            acknowledged_hour=received + timedelta(days=acknowledged) if acknowledged is not None else None,
            feedback_hour=received + timedelta(days=feedback) if feedback is not None else None,
        )
        seeded[name] = tip
    spam, _ = make_tip("desk", "spam")
    Tip.objects.filter(pk=spam.pk).update(status="spam")

    (row,) = duties.report(
        Channel.objects.filter(slug="desk"), now - timedelta(days=365), now + timedelta(days=1), now, admin.user
    )

    assert row.tips == 5
    assert (row.acknowledgement.in_time, row.acknowledgement.late, row.acknowledgement.pending) == (2, 1, 1)
    assert row.acknowledgement.overdue_ids == [str(seeded["no-answer"].id)]
    assert row.acknowledgement.share_in_time == pytest.approx(2 / 4)
    assert (row.feedback.in_time, row.feedback.late, row.feedback.pending) == (1, 1, 2)
    assert row.feedback.overdue_ids == [str(seeded["no-answer"].id)]

    admin_client = sign_in(admin)
    page = admin_client.get("/staff/admin/duties/?channel=desk").content.decode()
    csv_text = admin_client.get("/staff/admin/duties.csv?channel=desk").content.decode()
    assert "50 %" in page and str(seeded["no-answer"].id) in page
    assert f"desk,5,acknowledgement,2,1,1,1,0.500,{seeded['no-answer'].id}" in csv_text
    assert "marker" not in csv_text and "prompt" not in csv_text
