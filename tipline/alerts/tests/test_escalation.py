"""Escalation: a deadline alert nobody acknowledges within the channel's window (never later
than the deadline) goes to the admins and escalation-only routes, once; opening the tip or
changing its status stops it. Recipients set or correct a deadline and alerts follow it."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from tipline.accounts.models import User
from tipline.alerts import escalation
from tipline.alerts.models import AlertSent, Event
from tipline.alerts.routes import RouteSpec, add_route
from tipline.audit.models import AuditEntry
from tipline.casework import services
from tipline.core.models import Channel, Tip
from tipline.jobs import deadlines
from tipline.jobs.worker import run_ready_tasks
from tipline.testing.staff import make_staff, make_tip


@pytest.fixture
def watched(desk, email_route, hook_receiver):
    """The desk with mail to its recipients, an admin with an address, and a duty phone (ntfy)
    that takes escalations only."""
    make_staff("root", [], admin=True)
    User.objects.filter(username="root").update(email="root@example.org")
    add_route(RouteSpec(name="duty-phone", kind="ntfy", target=f"{hook_receiver.url}/duty", escalation_only=True))
    return {"mail": email_route, "phone": hook_receiver}


def subjects_to(mailbox, address: str) -> list[str]:
    return [str(message["Subject"]).strip() for message in mailbox if message["To"] == address]


def test_an_unacknowledged_deadline_alert_escalates_once_to_the_admins_and_the_duty_phone(watched):
    start = timezone.now()
    tip, _receipt = make_tip("desk", "urgent", start + timedelta(hours=30))
    assert deadlines.scan(start) == 0  # 30 h left: no alert yet
    run_ready_tasks()
    assert watched["phone"].accepted() == []  # an ordinary new tip does not ring the duty phone

    assert deadlines.scan(start + timedelta(hours=28)) == 1  # the 2 h alert
    assert escalation.scan(start + timedelta(hours=28, minutes=29)) == 0
    assert escalation.scan(start + timedelta(hours=28, minutes=31)) == 1
    assert escalation.scan(start + timedelta(hours=28, minutes=40)) == 0  # once
    run_ready_tasks()

    assert subjects_to(watched["mail"], "root@example.org") == [
        "[Tipline] Nobody has acted on a deadline alert in Night desk"
    ]
    (ring,) = watched["phone"].accepted()
    assert json.loads(ring.body)["priority"] == 5 and "Nobody has acted" in json.loads(ring.body)["message"]
    assert "urgent" not in ring.body.decode()


def test_opening_the_tip_acknowledges_the_alert_and_nothing_escalates(watched, desk):
    start = timezone.now()
    tip, _receipt = make_tip("desk", "seen", start + timedelta(hours=1))
    deadlines.scan(start)
    ana = desk[0]

    services.open_tip(ana.user, ana.private_key, tip.pk)

    assert escalation.scan(start + timedelta(hours=2)) == 0
    assert Event.objects.filter(kind="escalation").count() == 0


def test_changing_the_status_acknowledges_the_alert(watched, desk):
    start = timezone.now()
    tip, _receipt = make_tip("desk", "triaged", start + timedelta(hours=1))
    deadlines.scan(start)

    services.set_triage(desk[0].user, tip.pk, "in_review", [], "")

    assert escalation.scan(start + timedelta(hours=2)) == 0


def test_escalation_comes_no_later_than_the_deadline(watched):
    Channel.objects.filter(slug="desk").update(escalate_after_minutes=120)
    start = timezone.now()
    tip, _receipt = make_tip("desk", "soon", start + timedelta(minutes=20))
    deadlines.scan(start)

    assert escalation.scan(start + timedelta(minutes=19)) == 0
    assert escalation.scan(start + timedelta(minutes=20, seconds=1)) == 1


def test_a_channel_without_an_escalation_window_never_escalates(watched):
    Channel.objects.filter(slug="desk").update(escalate_after_minutes=None)
    start = timezone.now()
    make_tip("desk", "no window", start + timedelta(hours=1))
    deadlines.scan(start)

    assert escalation.scan(start + timedelta(days=1)) == 0


def test_a_recipient_corrects_the_deadline_and_the_alerts_follow_the_new_one(watched, desk):
    start = timezone.now()
    tip, _receipt = make_tip("desk", "wrong date", start + timedelta(hours=1))
    assert deadlines.scan(start) == 1  # the 2 h alert for the old deadline

    services.set_deadline(desk[0].user, tip.pk, start + timedelta(days=3))

    assert Tip.objects.get(pk=tip.pk).deadline == start + timedelta(days=3)
    assert not AlertSent.objects.filter(tip=tip).exists()
    assert deadlines.scan(start + timedelta(minutes=5)) == 0
    assert deadlines.scan(start + timedelta(days=2, hours=1)) == 1  # 23 h before the new deadline
    entry = AuditEntry.objects.get(action="deadline-changed")
    assert entry.actor == "ana" and entry.details["new"] == (start + timedelta(days=3)).isoformat()


def test_a_recipient_sets_a_deadline_on_the_tip_page_in_the_channels_time_zone(watched, desk):
    from tipline.testing.staff import sign_in

    Channel.objects.filter(slug="desk").update(time_zone="America/New_York")
    tip, _receipt = make_tip("desk", "no deadline given")
    client = sign_in(desk[0])

    response = client.post(f"/staff/tips/{tip.pk}/deadline/", {"deadline": "2030-01-15T06:00"})
    page = client.get(f"/staff/tips/{tip.pk}/").content.decode()

    assert response.status_code == 302
    assert Tip.objects.get(pk=tip.pk).deadline.isoformat() == "2030-01-15T11:00:00+00:00"
    assert 'value="2030-01-15T06:00"' in page  # shown back in the channel's zone
    assert client.post(f"/staff/tips/{tip.pk}/deadline/", {"deadline": "15 January"}).status_code == 400
    for out_of_range in ("0001-01-01T00:00", "9999-12-31T23:00"):
        refused = client.post(f"/staff/tips/{tip.pk}/deadline/", {"deadline": out_of_range})
        assert refused.status_code == 400 and "between the years 2000 and 2999" in refused.content.decode()


def test_a_tip_whose_24_and_2_hour_alerts_both_go_unanswered_escalates_once(watched):
    start = timezone.now()
    make_tip("desk", "ignored twice", start + timedelta(hours=30))

    assert deadlines.scan(start + timedelta(hours=7)) == 1  # the 24 h alert
    assert deadlines.scan(start + timedelta(hours=28)) == 1  # the 2 h alert, still unanswered
    escalated = escalation.scan(start + timedelta(hours=29)) + escalation.scan(start + timedelta(hours=29, minutes=30))
    run_ready_tasks()

    assert escalated == 1 and Event.objects.filter(kind="escalation").count() == 1
    assert len(watched["phone"].accepted()) == 1


@pytest.mark.slow
def test_an_escalation_to_a_receiver_slower_than_the_lease_rings_once_with_two_workers_delivering(watched, settings):
    import threading
    import time

    from tipline.alerts.dispatcher import Dispatcher

    settings.ALERT_LEASE_SECONDS = 2
    watched["phone"].delay = 3  # each attempt outlasts the lease: only its renewal keeps the other worker off it
    start = timezone.now()
    make_tip("desk", "slow phone", start + timedelta(hours=1))
    deadlines.scan(start)
    escalation.scan(start + timedelta(minutes=59))

    def deliver(name: str) -> None:
        with Dispatcher(name) as dispatcher:
            until = time.monotonic() + 8
            while time.monotonic() < until:
                dispatcher.step()
                dispatcher.wait(0.1)

    workers = [threading.Thread(target=deliver, args=(name,)) for name in ("first", "second")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert len(watched["phone"].accepted()) == 1
