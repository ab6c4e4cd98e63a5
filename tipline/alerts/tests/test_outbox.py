"""The outbox: nothing is lost when no route exists or a route is down, nothing is marked
sent that was not, each event goes out once per route however often workers pass, and a
delivery held by a dead worker is taken up again when its lease runs out."""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from tipline.alerts import delivery, fanout
from tipline.alerts.health import channels_without_working_route, pending_report
from tipline.alerts.models import Delivery, DeliveryStatus, Event
from tipline.alerts.routes import RouteSpec, add_route, remove_route
from tipline.jobs.worker import run_ready_tasks
from tipline.operations.deployment import find_problems
from tipline.testing.staff import make_tip


@pytest.fixture(autouse=True)
def quick_retries(settings):
    settings.ALERT_RETRY_BASE_SECONDS = 0


def webhook(receiver, name="hook", **options):
    return add_route(RouteSpec(name=name, kind="webhook", target=f"{receiver.url}/{name}", secret="s", **options))


def event_ids(receiver) -> list[str]:
    import json

    return sorted(json.loads(request.body)["id"] for request in receiver.accepted())


def test_an_event_with_no_route_waits_visibly_and_goes_out_once_a_route_is_added(desk, hook_receiver):
    tip, _receipt = make_tip("desk", "no route yet")
    run_ready_tasks()

    event = Event.objects.get(tip=tip)
    assert not event.settled and event.waiting_reason == fanout.NO_ROUTE
    assert "1 events waiting for a route" in "\n".join(pending_report())

    webhook(hook_receiver)
    run_ready_tasks()
    run_ready_tasks()

    assert event_ids(hook_receiver) == [str(event.pk)]
    event.refresh_from_db()
    assert event.settled and event.waiting_reason == ""


def test_a_route_that_is_down_keeps_every_event_pending_and_sends_each_once_when_it_is_back(desk, hook_receiver):
    webhook(hook_receiver)
    hook_receiver.down = True
    tips = [make_tip("desk", f"tip {number}")[0] for number in range(5)]
    for _attempt in range(3):
        run_ready_tasks()

    pending = Delivery.objects.filter(status=DeliveryStatus.PENDING)
    assert pending.count() == 5 and all(
        d.attempts == 3 and d.last_error == "HTTP 503 Service Unavailable" for d in pending
    )
    assert not Event.objects.filter(settled=True).exists() and hook_receiver.accepted() == []
    assert "5 deliveries pending, 5 of them failing" in pending_report()[0]

    hook_receiver.down = False
    for _pass in range(3):
        run_ready_tasks()

    assert event_ids(hook_receiver) == sorted(str(tip.alert_events.get().pk) for tip in tips)
    assert Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 5


def test_a_delivery_leased_by_a_worker_that_died_is_taken_up_when_the_lease_runs_out(desk, hook_receiver, settings):
    webhook(hook_receiver)
    make_tip("desk", "leased")
    fanout.fan_out_pending()
    now = timezone.now()
    (claimed,) = delivery.claim(
        "killed-worker", now, 10, Counter(), 10
    )  # a worker claims it, then is killed before sending

    assert delivery.run_once(now + timedelta(seconds=1)) == 0  # the lease still holds
    assert delivery.claim("another-worker", now + timedelta(seconds=1), 10, Counter(), 10) == []
    later = now + timedelta(seconds=settings.ALERT_LEASE_SECONDS + 1)
    assert delivery.run_once(later) == 1

    assert len(hook_receiver.accepted()) == 1
    assert Delivery.objects.get().status == DeliveryStatus.DELIVERED


def test_fanning_out_again_adds_no_second_delivery(desk, hook_receiver):
    webhook(hook_receiver)
    make_tip("desk", "twice")
    event = Event.objects.get()

    fanout.fan_out(event)
    fanout.fan_out(event)
    run_ready_tasks()

    assert Delivery.objects.count() == 1 and len(hook_receiver.accepted()) == 1


def test_a_removed_route_cancels_what_it_still_owed_and_the_event_waits_again(desk, hook_receiver):
    webhook(hook_receiver)
    hook_receiver.down = True
    make_tip("desk", "orphan")
    run_ready_tasks()

    delivery.claim("a-worker-in-flight", timezone.now(), 10, Counter(), 10)  # held when the route goes
    remove_route("hook")
    run_ready_tasks()

    cancelled = Delivery.objects.get()
    assert cancelled.status == DeliveryStatus.CANCELLED and cancelled.last_error == "route removed"
    assert cancelled.lease_until is None and cancelled.lease_owner == ""  # no claim's exact time left at rest
    assert Event.objects.get().waiting_reason == fanout.NO_ROUTE


def test_email_goes_to_each_recipient_and_quiet_ones_get_it_in_the_digest(desk, email_route):
    make_tip("desk", "mail")
    run_ready_tasks()

    statuses = dict(Delivery.objects.values_list("recipient__username", "status"))
    assert statuses == {"ana": DeliveryStatus.DELIVERED, "ben": DeliveryStatus.DIGEST}
    assert [message["To"] for message in email_route] == ["ana@example.org"]


def test_a_route_for_other_channels_does_not_carry_this_channels_events(desk, hook_receiver):
    from tipline.core.channel_schema import import_channel, parse_document

    import_channel(parse_document("slug: other\nname: Other\nfields:\n  - {key: tip, kind: long_text, label: Tip}\n"))
    webhook(hook_receiver, channel_slugs=("other",))
    make_tip("desk", "elsewhere")
    run_ready_tasks()

    assert hook_receiver.accepted() == [] and Event.objects.get().waiting_reason == fanout.NO_ROUTE


def test_channels_with_deadlines_that_no_working_route_serves_are_named_by_tipline_check(desk, hook_receiver):
    make_tip("desk", "urgent", timezone.now() + timedelta(hours=5))
    problem = "Deadline alerts of desk would reach nobody"

    assert [channel.slug for channel in channels_without_working_route()] == ["desk"]
    assert any(problem in line for line in find_problems())

    webhook(hook_receiver)
    assert channels_without_working_route() == []

    hook_receiver.down = True
    make_tip("desk", "another")
    run_ready_tasks()  # the route fails: it is not working any more
    assert [channel.slug for channel in channels_without_working_route()] == ["desk"]


def test_an_email_route_with_nobody_to_mail_does_not_count_as_working(desk, email_route):
    from tipline.accounts.models import User

    make_tip("desk", "urgent", timezone.now() + timedelta(hours=5))
    assert channels_without_working_route() == []

    User.objects.update(email="")
    assert [channel.slug for channel in channels_without_working_route()] == ["desk"]


def test_deadline_alerts_due_while_no_route_existed_go_out_once_one_is_added(desk, hook_receiver):
    import json

    from tipline.jobs import deadlines

    now = timezone.now()
    for hours in (5, 20):
        make_tip("desk", f"due in {hours} h", now + timedelta(hours=hours))
    assert deadlines.scan(now) == 2
    run_ready_tasks()  # nothing to send through: the alerts wait

    webhook(hook_receiver)
    run_ready_tasks()

    events = sorted(json.loads(request.body)["event"] for request in hook_receiver.accepted())
    assert events == ["deadline-soon", "deadline-soon", "new-tip", "new-tip"]
    assert deadlines.scan(now + timedelta(minutes=1)) == 0  # and not twice


def test_deliveries_and_failures_are_logged_without_content(desk, hook_receiver, caplog):
    import logging

    caplog.set_level(logging.INFO, logger="tipline.alerts")
    webhook(hook_receiver)
    hook_receiver.down = True
    make_tip("desk", "marker-logged-content-7d2e")
    run_ready_tasks()
    hook_receiver.down = False
    run_ready_tasks()

    lines = [record.getMessage() for record in caplog.records if record.name == "tipline.alerts"]
    assert any("new-tip through route hook failed (attempt 1" in line and "HTTP 503" in line for line in lines)
    assert any("new-tip delivered through route hook" in line for line in lines)
    assert "marker-logged-content-7d2e" not in caplog.text


def test_a_route_fails_from_its_first_failed_attempt_in_the_hour_it_last_worked(desk, hook_receiver):
    from tipline.alerts.health import route_rows

    make_tip("desk", "urgent", timezone.now() + timedelta(hours=5))
    webhook(hook_receiver)
    run_ready_tasks()  # a new tip's alert: its time is kept to the hour
    assert [row.failing for row in route_rows()] == [False]

    hook_receiver.down = True
    make_tip("desk", "the same hour")
    run_ready_tasks()  # failed in the hour it last worked: both times are the same hour

    row = route_rows()[0]
    assert row.failing and "failing" in row.state and "1 failed attempt" in row.state, row.state
    assert [channel.slug for channel in channels_without_working_route()] == ["desk"]

    hook_receiver.down = False
    run_ready_tasks()
    assert [row.failing for row in route_rows()] == [False]
