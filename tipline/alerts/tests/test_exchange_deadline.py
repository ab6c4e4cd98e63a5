"""Routes that hang, trickle or cut their answer, against real sockets on loopback: each
attempt ends by its deadline and counts as failed, and a healthy route beside a hanging one
is not held up by it."""

import json
import time

import pytest
from django.utils import timezone

from tipline.alerts import delivery, fanout
from tipline.alerts.dispatcher import Dispatcher
from tipline.alerts.models import Delivery, DeliveryStatus, Route
from tipline.alerts.routes import RouteSpec, add_route
from tipline.alerts.transports import Addressee, DeliveryFailed
from tipline.jobs.worker import run_ready_tasks
from tipline.testing.receiver import Misbehaving
from tipline.testing.staff import make_tip


@pytest.fixture
def misbehaving():
    servers = []

    def start(behaviour: str, pace: float = 0.2) -> Misbehaving:
        servers.append(Misbehaving(behaviour, pace))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def webhook(name: str, url: str) -> Route:
    return add_route(RouteSpec(name=name, kind="webhook", target=f"{url}/{name}", secret="s"))


def failure_of(route: Route, addressee=None) -> tuple[str, float]:
    started = time.monotonic()
    with pytest.raises(DeliveryFailed) as failed:
        delivery.send_test(route, addressee)
    return str(failed.value), time.monotonic() - started


@pytest.mark.parametrize("behaviour", ["hang", "trickle"])
def test_a_receiver_that_never_finishes_its_answer_fails_the_attempt_at_the_deadline(
    desk, misbehaving, settings, behaviour
):
    settings.ALERT_SEND_TIMEOUT_SECONDS = 1  # a trickle of one byte per 0.2 s never trips a per-read timeout
    route = webhook("slow", misbehaving(behaviour).url)

    reason, took = failure_of(route)

    assert reason == "no complete answer within 1 s"
    assert 0.9 < took < 4  # the whole trickled answer would take 8 s
    route.refresh_from_db()
    assert route.consecutive_failures == 1 and route.last_error == reason


def test_an_answer_cut_after_its_status_line_is_not_a_delivery(desk, misbehaving):
    route = webhook("cut", misbehaving("cut").url)
    make_tip("desk", "cut answer")

    run_ready_tasks()

    (pending,) = Delivery.objects.filter(route=route)
    assert pending.status == DeliveryStatus.PENDING and pending.last_error == "the answer ended inside its headers"


def test_an_answer_shorter_than_it_declared_is_not_a_delivery(desk, misbehaving):
    reason, _took = failure_of(webhook("short", misbehaving("short").url))

    assert reason == "the answer ended 7 bytes before its declared length"


def test_a_mail_server_that_trickles_its_greeting_fails_the_attempt_at_the_deadline(desk, misbehaving, settings):
    settings.ALERT_SEND_TIMEOUT_SECONDS = 1
    server = misbehaving("smtp-trickle")
    route = add_route(RouteSpec(name="mail", kind="email", target=f"smtp+plain://127.0.0.1:{server.port}"))

    reason, took = failure_of(route, Addressee("chief@example.org"))

    assert reason == "no complete answer within 1 s" and took < 4


@pytest.mark.slow
def test_a_healthy_route_beside_hanging_ones_gets_its_alerts_within_seconds(desk, misbehaving, hook_receiver, settings):
    settings.ALERT_SEND_TIMEOUT_SECONDS = 4
    for name in ("hangs", "hangs-too", "hangs-as-well"):
        webhook(name, misbehaving("hang").url)
    webhook("healthy", hook_receiver.url)
    tips = [make_tip("desk", f"tip {number}")[0] for number in range(20)]
    fanout.fan_out_pending()
    started = time.monotonic()

    with Dispatcher("beside-hanging-routes", threads=8, per_route=8) as dispatcher:  # three routes could fill the pool
        while len(hook_receiver.accepted()) < 20 and time.monotonic() - started < 30:
            dispatcher.step()
            dispatcher.wait(0.1)
        took = time.monotonic() - started
        hanging = Delivery.objects.filter(
            route__name="hangs", status=DeliveryStatus.PENDING, lease_until__gt=timezone.now()
        )

        assert sorted(json.loads(request.body)["id"] for request in hook_receiver.accepted()) == sorted(
            str(tip.alert_events.get().pk) for tip in tips
        )
        assert took < 4 and hanging.exists()  # every one in, while the hanging route's attempts still wait


def test_a_reason_phrase_with_a_nul_byte_is_recorded_as_printable_text_and_blocks_nothing(
    desk, misbehaving, hook_receiver
):
    webhook("odd", misbehaving("nul-reason").url)
    webhook("healthy", hook_receiver.url)
    make_tip("desk", "odd reason")

    run_ready_tasks()  # PostgreSQL refuses NUL in text: before, this answer could never be recorded

    (pending,) = Delivery.objects.filter(route__name="odd")
    assert pending.status == DeliveryStatus.PENDING and pending.last_error == "HTTP 500 Bad?Thing"
    assert Delivery.objects.get(route__name="healthy").status == DeliveryStatus.DELIVERED


def test_a_route_that_redirects_fails_at_once_and_follows_nowhere(desk, misbehaving):
    reason, took = failure_of(webhook("moved", misbehaving("redirect").url))

    assert reason == "HTTP 302 Found: the route's address redirects; give the route the address it redirects to"
    assert took < 4


def test_an_answer_that_never_ends_fails_once_it_passes_1_mib(desk, misbehaving):
    reason, took = failure_of(webhook("endless", misbehaving("endless").url))

    assert reason == "the answer went on past 1 MiB without ending" and took < 10
