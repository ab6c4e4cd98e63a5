"""Every kind of route, against a real receiver on loopback: the format each service takes,
the signature where there is one, and no tip content in any of them."""

import hmac
import json

import pytest

from tipline.alerts import notify
from tipline.alerts.routes import RouteSpec, add_route
from tipline.jobs.worker import run_ready_tasks
from tipline.testing.staff import make_tip

MARKER = "marker-route-content-5c1e"
LINK = "http://127.0.0.1:8000/staff/sign-in/"


def deliver_one_tip(receiver) -> dict:
    tip, _receipt = make_tip("desk", MARKER)
    run_ready_tasks()
    (request,) = receiver.accepted()
    assert MARKER.encode() not in request.body and MARKER not in json.dumps(request.headers)
    return {"tip": tip, "request": request, "body": json.loads(request.body)}


def test_the_signed_webhook_carries_the_event_and_a_signature_a_receiver_can_check(desk, hook_receiver):
    add_route(RouteSpec(name="hook", kind="webhook", target=f"{hook_receiver.url}/hook", secret="shared-secret"))

    sent = deliver_one_tip(hook_receiver)

    request = sent["request"]
    event_id = str(sent["tip"].alert_events.get().pk)
    assert request.method == "POST" and request.path == "/hook"
    assert sent["body"] == {
        "channel": "Night desk",
        "event": "new-tip",
        "id": event_id,
        "link": LINK,
        "seconds_left": None,
    }
    expected = notify.webhook_signature("shared-secret", request.headers["X-Tipline-Timestamp"], request.body)
    assert hmac.compare_digest(expected, request.headers["X-Tipline-Signature"])
    forged = notify.webhook_signature(
        "shared-secret", request.headers["X-Tipline-Timestamp"], request.body.replace(b"new-tip", b"new-message")
    )
    assert forged != request.headers["X-Tipline-Signature"]


def test_a_slack_compatible_route_gets_one_text(desk, hook_receiver):
    add_route(RouteSpec(name="chat", kind="slack", target=f"{hook_receiver.url}/services/T000/B000/XXXX"))

    body = deliver_one_tip(hook_receiver)["body"]

    assert body == {"text": f"[Tipline] A new tip arrived in the channel “Night desk”. Sign in: {LINK}"}


def test_a_teams_route_gets_an_adaptive_card(desk, hook_receiver):
    add_route(RouteSpec(name="teams", kind="teams", target=f"{hook_receiver.url}/workflows/abc"))

    body = deliver_one_tip(hook_receiver)["body"]

    (attachment,) = body["attachments"]
    assert body["type"] == "message" and attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert card["body"] == [
        {
            "type": "TextBlock",
            "text": f"[Tipline] A new tip arrived in the channel “Night desk”. Sign in: {LINK}",
            "wrap": True,
        }
    ]


def test_a_matrix_route_puts_a_room_message_with_the_token_and_a_transaction_id(desk, hook_receiver):
    add_route(
        RouteSpec(name="room", kind="matrix", target=hook_receiver.url, room="!night:example.org", secret="syt_token")
    )

    sent = deliver_one_tip(hook_receiver)

    request = sent["request"]
    event_id = str(sent["tip"].alert_events.get().pk)
    assert request.method == "PUT"
    assert request.path == f"/_matrix/client/v3/rooms/%21night%3Aexample.org/send/m.room.message/{event_id}"
    assert request.headers["Authorization"] == "Bearer syt_token"
    assert sent["body"] == {
        "msgtype": "m.text",
        "body": f"[Tipline] A new tip arrived in the channel “Night desk”. Sign in: {LINK}",
    }


def test_an_ntfy_route_publishes_json_to_the_topic_with_a_priority(desk, hook_receiver):
    add_route(RouteSpec(name="phones", kind="ntfy", target=f"{hook_receiver.url}/night-desk", secret="tk_token"))

    sent = deliver_one_tip(hook_receiver)

    assert sent["request"].path == "/" and sent["request"].headers["Authorization"] == "Bearer tk_token"
    assert sent["body"] == {
        "topic": "night-desk",
        "title": "[Tipline] A new tip arrived in Night desk",
        "priority": 3,
        "tags": ["tipline"],
        "message": f"[Tipline] A new tip arrived in the channel “Night desk”. Sign in: {LINK}",
        "click": LINK,
    }


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (RouteSpec(name="x", kind="webhook", target="http://hooks.example.org/x", secret="s"), "Use https://"),
        (RouteSpec(name="x", kind="webhook", target="https://hooks.example.org/x"), "needs a signing secret"),
        (RouteSpec(name="x", kind="matrix", target="https://matrix.example.org", secret="t", room="night"), "room id"),
        (RouteSpec(name="x", kind="ntfy", target="https://ntfy.example.org/"), "topic"),
        (RouteSpec(name="x", kind="email", target="smtp+plain://mail.example.org:25"), "this machine only"),
        (RouteSpec(name="x", kind="email", target="mail.example.org"), "smtp://"),
        (
            RouteSpec(name="x", kind="slack", target="https://hooks.example.org/x", channel_slugs=("nowhere",)),
            "nowhere",
        ),
        (RouteSpec(name="bad name!", kind="slack", target="https://hooks.example.org/x"), "letters, digits"),
    ],
)
def test_a_route_that_cannot_work_is_refused_with_what_to_change(desk, spec, message):
    from tipline.alerts.routes import RouteError

    with pytest.raises(RouteError, match=message):
        add_route(spec)


def test_a_route_secret_is_stored_sealed(desk):
    route = add_route(
        RouteSpec(name="hook", kind="webhook", target="https://hooks.example.org/x", secret="very-secret-value")
    )

    assert b"very-secret-value" not in bytes(route.sealed_secret)


def test_a_token_that_cannot_go_into_a_request_fails_the_delivery_and_not_the_worker(desk, hook_receiver):
    from tipline.alerts.models import Delivery

    add_route(
        RouteSpec(name="room", kind="matrix", target=hook_receiver.url, room="!night:example.org", secret="tök\nen")
    )
    make_tip("desk", MARKER)
    run_ready_tasks()  # must not raise

    delivery = Delivery.objects.get()
    assert delivery.status == "pending" and delivery.attempts == 1 and delivery.last_error
