"""A tipster may leave out a recipient they distrust, on a channel that allows it: the tip
key is sealed only to the others, and the one left out finds no trace of the tip: not in
the inbox, a count, the dashboard, an alert or the API, and nobody can grant it to them."""

import pytest
from django.test import Client

from tipline.accounts.tokens import create_token
from tipline.alerts import fanout
from tipline.alerts.models import Delivery, Event
from tipline.alerts.routes import RouteSpec, add_route
from tipline.casework import services
from tipline.casework.dashboard import figures_for
from tipline.casework.inbox import inbox_page
from tipline.core.channel_schema import import_channel, parse_document
from tipline.core.models import Tip, TipKeyGrant
from tipline.core.tips import Answer, submit_tip
from tipline.intake.tests.helpers import post_tip, receipt_in
from tipline.testing.staff import make_staff, sign_in

DESK = "slug: desk\nname: Desk\ntipsters_may_leave_out: true\nfields:\n  - {key: tip, kind: long_text, label: Your tip}\n"


@pytest.fixture
def desk(db):
    import_channel(parse_document(DESK))
    people = {name: make_staff(name, ["desk"]) for name in ("ana", "ben")}
    for name, shown in (("ana", "Editor"), ("ben", "Lawyer")):
        people[name].user.display_name, people[name].user.email = shown, f"{name}@example.org"
        people[name].user.save(update_fields=["display_name", "email"])
    return people


def send_leaving_out(client, *people) -> Tip:
    page = client.get("/c/desk/").content.decode()
    assert "Lawyer" in page and "Editor" in page  # the form names them as they chose
    sent = post_tip(client, "desk", {"answer-tip": "The lawyer signs the false invoices.", "leave_out": [str(person.user.pk) for person in people]})
    assert receipt_in(sent)
    return Tip.objects.get()


def test_the_tip_is_sealed_only_to_the_others(desk, client):
    tip = send_leaving_out(client, desk["ben"])

    assert tip.restricted
    assert set(TipKeyGrant.objects.filter(tip=tip).values_list("recipient__username", flat=True)) == {"ana"}


def test_the_one_left_out_finds_no_trace_of_it(desk, client):
    tip = send_leaving_out(client, desk["ben"])
    ben, ana = sign_in(desk["ben"]), sign_in(desk["ana"])
    token = create_token(desk["ben"].user, desk["ben"].private_key, "ben's script", 1).secret_string

    assert [row.pk for row in inbox_page(desk["ana"].user, {}).tips] == [tip.pk]
    assert inbox_page(desk["ben"].user, {}).tips == []
    assert tip.reference not in ben.get("/staff/inbox/").content.decode() and tip.reference in ana.get("/staff/inbox/").content.decode()
    assert ben.get(f"/staff/tips/{tip.id}/").status_code == 404
    assert sum(figures_for(desk["ben"].user).open_by_status.values()) == 0
    assert sum(figures_for(desk["ana"].user).open_by_status.values()) == 1
    api = Client().get("/api/v1/tips", headers={"Authorization": f"Bearer {token}"}).json()
    assert api["items"] == []
    assert Client().get(f"/api/v1/tips/{tip.id}", headers={"Authorization": f"Bearer {token}"}).status_code == 404


def test_its_alerts_reach_only_the_chosen_readers_own_email(desk, client, tmp_path):
    add_route(RouteSpec(name="mail", kind="email", target=f"file://{tmp_path}"))
    add_route(RouteSpec(name="team-room", kind="webhook", target="https://hooks.example.org/room", secret="s"))
    tip = send_leaving_out(client, desk["ben"])

    for event in Event.objects.filter(tip=tip):
        fanout.fan_out(event)

    deliveries = Delivery.objects.filter(event__tip=tip)
    assert [(item.route_name, item.recipient.username) for item in deliveries] == [("mail", "ana")]


def test_nobody_can_grant_it_to_the_one_left_out(desk, client):
    tip = send_leaving_out(client, desk["ben"])
    ana = desk["ana"]

    refused = sign_in(ana).post(f"/staff/tips/{tip.id}/grant/", {"grantee": "ben"})
    with pytest.raises(services.CannotGrant, match="The tipster chose who reads this tip"):
        services.grant_access(ana.user, ana.private_key, tip.id, "ben")
    bulk = services.grant_all(ana.user, ana.private_key, "desk", "ben")

    assert refused.status_code == 400
    assert bulk.granted == 0 and not TipKeyGrant.objects.filter(tip=tip, recipient=desk["ben"].user).exists()


def test_at_least_one_reader_remains_and_other_channels_offer_no_choice(desk, client):
    everyone = post_tip(client, "desk", {"answer-tip": "x", "leave_out": [str(desk["ana"].user.pk), str(desk["ben"].user.pk)]})
    import_channel(parse_document(DESK.replace("desk", "plain").replace("tipsters_may_leave_out: true\n", "")))
    make_staff("cy", ["plain"])
    make_staff("dee", ["plain"])

    assert everyone.status_code == 400 and "Leave at least one recipient to read your tip." in everyone.content.decode()
    assert "Leave out of this tip" not in client.get("/c/plain/").content.decode()
    from tipline.core.models import Channel

    with pytest.raises(ValueError):
        submit_tip(Channel.objects.get(slug="plain"), [Answer("tip", "Your tip", "long_text", "x")], None, [], "t", left_out=frozenset({1}))
    assert not Tip.objects.exists()


@pytest.mark.browser
def test_a_tipster_leaves_out_a_recipient_with_javascript_off(live_server, page, transactional_db, screenshot):
    import_channel(parse_document(DESK))
    for name, shown in (("ana", "Editor"), ("ben", "Lawyer")):
        person = make_staff(name, ["desk"])
        person.user.display_name = shown
        person.user.save(update_fields=["display_name"])

    page.goto(f"{live_server.url}/c/desk/")
    page.fill("#id_answer-tip", "The lawyer signs the false invoices.")
    page.get_by_label("Lawyer").check()
    screenshot(page, "tipster-leave-out")
    page.get_by_role("button", name="Send tip").click()

    assert page.locator(".receipt").count() == 1
    tip = Tip.objects.get()
    assert tip.restricted and list(tip.grants.values_list("recipient__username", flat=True)) == ["ana"]


def test_admins_learn_how_many_tips_they_cannot_see_never_which_and_check_names_the_unnamed(desk, client):
    from tipline.operations.deployment import find_problems

    root = make_staff("root", ["desk"], admin=True)
    tip = send_leaving_out(client, desk["ben"], root)
    dashboard = sign_in(root).get("/staff/dashboard/").content.decode()

    assert "1 tip is not in these figures: its tipster chose who reads it" in dashboard and tip.reference not in dashboard
    assert figures_for(desk["ana"].user).restricted_unseen == 0  # recipients are not told
    assert any("lets tipsters leave recipients out, but some have no name for tipsters (root)" in line for line in find_problems())


def test_the_api_lists_who_may_be_left_out_and_takes_their_ids(desk):
    import json

    api = Client()
    listed = {channel["slug"]: channel for channel in api.get("/api/v1/channels").json()}["desk"]
    ben = next(person["id"] for person in listed["recipients_to_leave_out"] if person["name"] == "Lawyer")

    sent = api.post("/api/v1/channels/desk/tips", {"answers": json.dumps({"tip": "via the API"}), "leave_out": [ben]})

    assert sent.status_code == 201, sent.content
    assert list(Tip.objects.get().grants.values_list("recipient__username", flat=True)) == ["ana"]
    everyone = api.post("/api/v1/channels/desk/tips", {"answers": json.dumps({"tip": "x"}), "leave_out": [ben, desk["ana"].user.pk]})
    assert everyone.status_code == 400 and everyone.json()["field"] == "leave_out"
