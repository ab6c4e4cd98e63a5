"""A tipster may leave out a recipient they distrust, on a channel that allows it: the tip
key is sealed only to the others, and the one left out finds no trace of the tip: not in
the inbox, a count, the dashboard, the duties report, the audit log, the label filter, an
alert or the API, and nobody can grant it to them."""

from datetime import timedelta

import pytest
from django.test import Client

from tipline.accounts.tokens import create_token
from tipline.alerts import fanout
from tipline.alerts.models import Delivery, Event
from tipline.alerts.routes import RouteSpec, add_route
from tipline.audit.models import AuditEntry
from tipline.casework import services
from tipline.casework.dashboard import figures_for
from tipline.casework.inbox import inbox_page
from tipline.core.channel_schema import import_channel, parse_document
from tipline.core.conversation import Answer
from tipline.core.models import Tip, TipKeyGrant
from tipline.core.submission import submit_tip
from tipline.intake.tests.helpers import post_tip, receipt_in
from tipline.testing.staff import make_staff, sign_in

DESK = (
    "slug: desk\nname: Desk\ntipsters_may_leave_out: true\nfields:\n  - {key: tip, kind: long_text, label: Your tip}\n"
)


@pytest.fixture
def desk(db):
    import_channel(parse_document(DESK))
    people = {name: make_staff(name, ["desk"]) for name in ("ana", "ben")}
    for name, shown in (("ana", "Editor"), ("ben", "Lawyer")):
        people[name].user.display_name, people[name].user.email = shown, f"{name}@example.org"
        people[name].user.save(update_fields=["display_name", "email"])
    return people


def named(person, shown: str):
    """A recipient with a name for tipsters: only those can be left out."""
    person.user.display_name = shown
    person.user.save(update_fields=["display_name"])
    return person


def send_leaving_out(client, *people) -> Tip:
    page = client.get("/c/desk/").content.decode()
    assert "Lawyer" in page and "Editor" in page  # the form names them as they chose
    sent = post_tip(
        client,
        "desk",
        {"answer-tip": "The lawyer signs the false invoices.", "leave_out": [str(person.user.pk) for person in people]},
    )
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
    assert (
        tip.reference not in ben.get("/staff/inbox/").content.decode()
        and tip.reference in ana.get("/staff/inbox/").content.decode()
    )
    assert ben.get(f"/staff/tips/{tip.id}/").status_code == 404
    assert sum(figures_for(desk["ben"].user).open_by_status.values()) == 0
    assert sum(figures_for(desk["ana"].user).open_by_status.values()) == 1
    api = Client().get("/api/v1/tips", headers={"Authorization": f"Bearer {token}"}).json()
    assert api["items"] == []
    assert Client().get(f"/api/v1/tips/{tip.id}", headers={"Authorization": f"Bearer {token}"}).status_code == 404


def test_its_alerts_reach_only_the_chosen_readers_own_email(desk, client, tmp_path):
    add_route(RouteSpec(name="mail", kind="email", target=f"file://{tmp_path}", by_operator=True))
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
    everyone = post_tip(
        client, "desk", {"answer-tip": "x", "leave_out": [str(desk["ana"].user.pk), str(desk["ben"].user.pk)]}
    )
    import_channel(parse_document(DESK.replace("desk", "plain").replace("tipsters_may_leave_out: true\n", "")))
    make_staff("cy", ["plain"])
    make_staff("dee", ["plain"])

    assert everyone.status_code == 400 and "Leave at least one recipient to read your tip." in everyone.content.decode()
    assert "Leave out of this tip" not in client.get("/c/plain/").content.decode()
    from tipline.core.models import Channel

    with pytest.raises(ValueError):
        submit_tip(
            Channel.objects.get(slug="plain"),
            [Answer("tip", "Your tip", "long_text", "x")],
            None,
            [],
            "t",
            left_out=frozenset({1}),
        )
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


def test_a_left_out_admin_is_given_no_count_of_it_and_check_names_the_unnamed(desk, client):
    from tipline.operations.deployment import find_problems

    root = named(make_staff("root", ["desk"], admin=True), "Chief")
    make_staff("cat", ["desk"])  # no name for tipsters: not listed, so always reads
    tip = send_leaving_out(client, desk["ben"], root)
    dashboard = sign_in(root).get("/staff/dashboard/").content.decode()

    assert "not in these figures" not in dashboard and tip.reference not in dashboard
    assert "it counts here only for those readers" in dashboard
    assert sum(figures_for(root.user).open_by_status.values()) == 0
    assert any(
        "lets tipsters leave recipients out, but some have no name for tipsters (cat)" in line
        for line in find_problems()
    )


def test_the_answering_duties_report_leaves_it_out_for_an_admin_left_out(desk, client):
    root, reader = named(make_staff("root", ["desk"], admin=True), "Chief"), make_staff("cy", ["desk"], admin=True)
    tip = send_leaving_out(client, desk["ben"], root)
    Tip.objects.filter(pk=tip.pk).update(
        received_hour=tip.received_hour - timedelta(days=30)
    )  # acknowledgement overdue

    left_out_page = sign_in(root).get("/staff/admin/duties/?channel=desk").content.decode()
    left_out_csv = sign_in(root).get("/staff/admin/duties.csv?channel=desk").content.decode()
    reader_csv = sign_in(reader).get("/staff/admin/duties.csv?channel=desk").content.decode()

    assert str(tip.id) not in left_out_page and str(tip.id) not in left_out_csv
    assert left_out_csv.splitlines()[1].startswith("desk,0,acknowledgement,0,0,0,")
    assert reader_csv.splitlines()[1].startswith("desk,1,acknowledgement,0,0,1,") and str(tip.id) in reader_csv


def test_the_audit_log_shows_its_entries_to_its_readers_only_even_once_destroyed(desk, client):
    from tipline.jobs.retention import purge

    root, reader = named(make_staff("root", ["desk"], admin=True), "Chief"), make_staff("cy", ["desk"], admin=True)
    tip = send_leaving_out(client, desk["ben"], root)
    services.open_tip(desk["ana"].user, desk["ana"].private_key, tip.id)
    as_root, as_reader = sign_in(root), sign_in(reader)

    def audit_page(signed_in_client):
        return signed_in_client.get("/staff/admin/audit/").content.decode()

    hidden = AuditEntry.objects.get(action="tip-opened")
    assert str(tip.id) in audit_page(as_reader) and str(tip.id) not in audit_page(as_root)
    # No entry numbers or total either: their gaps would tell of what is left out.
    assert f"<td>{hidden.id}</td>" not in audit_page(
        as_root
    ) and f"{AuditEntry.objects.count()} entries" not in audit_page(as_root)
    assert f"{AuditEntry.objects.count()} entries" not in as_root.get("/staff/admin/").content.decode()
    purge(Tip.objects.get(pk=tip.pk))
    assert "tip-purged" in audit_page(as_reader) and str(tip.id) in audit_page(as_reader)
    assert str(tip.id) not in audit_page(as_root) and "tip-opened" not in audit_page(as_root)


def test_the_label_filter_offers_no_label_that_only_it_carries(desk, client):
    tip = send_leaving_out(client, desk["ben"])
    services.set_triage(desk["ana"].user, tip.id, tip.status, ["whistle-ceo"], "")

    assert "whistle-ceo" in sign_in(desk["ana"]).get("/staff/inbox/").content.decode()
    assert "whistle-ceo" not in sign_in(desk["ben"]).get("/staff/inbox/").content.decode()


def test_the_api_lists_who_may_be_left_out_and_takes_their_ids(desk):
    import json

    api = Client()
    listed = {channel["slug"]: channel for channel in api.get("/api/v1/channels").json()}["desk"]
    ben = next(person["id"] for person in listed["recipients_to_leave_out"] if person["name"] == "Lawyer")

    sent = api.post("/api/v1/channels/desk/tips", {"answers": json.dumps({"tip": "via the API"}), "leave_out": [ben]})

    assert sent.status_code == 201, sent.content
    assert list(Tip.objects.get().grants.values_list("recipient__username", flat=True)) == ["ana"]
    everyone = api.post(
        "/api/v1/channels/desk/tips", {"answers": json.dumps({"tip": "x"}), "leave_out": [ben, desk["ana"].user.pk]}
    )
    assert everyone.status_code == 400 and everyone.json()["field"] == "leave_out"


def test_a_form_whose_recipients_have_no_names_says_nobody_can_be_left_out(db, client):
    """A new user's leave-out channel with nobody named showed nothing at all: the tipster
    must be told that everyone on the team will read the tip."""
    import_channel(parse_document(DESK))
    make_staff("ana", ["desk"])
    make_staff("ben", ["desk"])

    page = client.get("/c/desk/").content.decode()
    sent = post_tip(client, "desk", {"answer-tip": "Nobody to leave out."})

    assert "nobody can be left out: everyone on the team will be able to read your tip" in page
    assert receipt_in(sent)
    assert set(TipKeyGrant.objects.filter(tip=Tip.objects.get()).values_list("recipient__username", flat=True)) == {
        "ana",
        "ben",
    }
