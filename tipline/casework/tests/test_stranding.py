"""No routine action strands a tip unawares: a reset, or taking recipients out of a channel,
first says how many tips only those people can read, and with no recovery key to grant them
again goes on only once that number is typed. A tip nobody can read any more is named on the
dashboard to those who may know of it, and its tipster is no longer promised an answer."""

import html
import re

import pytest
from django.test import Client

from tipline.accounts.models import User
from tipline.accounts.services import reset_with_one_time_password
from tipline.casework import services
from tipline.casework.admin_services import (
    left_unread_by_channel_change,
    left_unread_by_reset,
)
from tipline.casework.dashboard import unreadable_for
from tipline.core import readers, recovery
from tipline.core.channel_schema import import_channel, parse_document
from tipline.core.conversation import Answer
from tipline.core.models import Tip, TipKeyGrant, readable_by
from tipline.core.submission import submit_tip
from tipline.crypto import recovery_keys
from tipline.intake.tests.helpers import post_tip
from tipline.testing.staff import make_staff, make_tip, sign_in

pytestmark = pytest.mark.django_db

DESK = (
    "slug: desk\nname: Desk\ntipsters_may_leave_out: true\nfields:\n  - {key: tip, kind: long_text, label: Your tip}\n"
)


@pytest.fixture
def desk(db):
    """Ana alone reads the desk's first tip; Ben joined after it; Ada is an admin reading nothing."""
    channel, _created = import_channel(parse_document(DESK))
    ana = make_staff("ana", ["desk"])
    tip, receipt = make_tip("desk", "The depot's manager sells the seized fuel.")
    ben = make_staff("ben", ["desk"])
    ada = make_staff("ada", admin=True)
    return {"channel": channel, "ana": ana, "ben": ben, "ada": ada, "tip": tip, "receipt": receipt}


def reset_page(admin_client, username: str, **confirmation):
    return admin_client.post(f"/staff/admin/users/{username}/reset/", confirmation)


def test_a_reset_of_the_only_reader_asks_first_and_names_how_many_tips_it_would_lose(desk):
    admin = sign_in(desk["ada"])

    asked = reset_page(admin, "ana")

    page = asked.content.decode()
    assert asked.status_code == 200 and "1 tip can be read by ana alone." in page
    assert "1 tip would be unreadable for good" in page and 'name="unreadable"' in page
    assert User.objects.get(username="ana").must_change_password is False  # nothing done yet


def test_the_reset_goes_on_only_with_the_number_typed(desk):
    admin = sign_in(desk["ada"])

    untyped = reset_page(admin, "ana", confirmed="on")
    mistyped = reset_page(admin, "ana", confirmed="on", unreadable="2")

    assert untyped.status_code == mistyped.status_code == 400
    assert "Type 1 to confirm that 1 tip will stay unreadable for good." in mistyped.content.decode()
    assert not TipKeyGrant.objects.get(tip=desk["tip"], recipient__username="ana").lapsed

    done = reset_page(admin, "ana", confirmed="on", unreadable="1")

    assert done.status_code == 200 and "One-time password" in done.content.decode()
    assert "1 tip can no longer be read by anyone" in done.content.decode()
    assert TipKeyGrant.objects.get(tip=desk["tip"], recipient__username="ana").lapsed


def test_without_a_recovery_key_every_reset_asks_for_the_name_typed(desk):
    services.grant_access(desk["ana"].user, desk["ana"].private_key, desk["tip"].pk, "ben")
    admin = sign_in(desk["ada"])

    asked = reset_page(admin, "ana").content.decode()

    assert "No tip you know of is read by ana alone." in asked
    assert "Type ana to confirm the reset" in asked  # tips kept from ada may still be lost: asked whether or not
    assert reset_page(admin, "ana", confirmed="on").status_code == 400
    assert not User.objects.get(username="ana").must_change_password
    assert reset_page(admin, "ana", confirmed="on", unreadable="ana").status_code == 200
    assert User.objects.get(username="ana").must_change_password


def test_the_dashboard_names_a_tip_nobody_can_read_and_its_tipster_is_promised_nothing(desk, client):
    reset_with_one_time_password(desk["ana"].user)

    dashboard = sign_in(desk["ben"]).get("/staff/dashboard/").content.decode()
    assert "1 tip nobody can read" in dashboard and desk["tip"].reference in dashboard

    checked = client.post("/check/", {"receipt": desk["receipt"]}, follow=True).content.decode()
    assert "nobody on the team can open it now" in checked
    assert "will confirm receipt by" not in checked
    followed = client.post("/api/v1/followup", {"receipt": desk["receipt"]}, content_type="application/json").json()
    assert followed["team_can_read"] is False and followed["expected_answers"] == []


def test_a_readable_tip_keeps_its_promise(desk, client):
    checked = client.post("/check/", {"receipt": desk["receipt"]}, follow=True).content.decode()

    assert "nobody on the team can open it now" not in checked
    followed = client.post("/api/v1/followup", {"receipt": desk["receipt"]}, content_type="application/json").json()
    assert followed["team_can_read"] is True


def test_taking_the_only_reader_out_of_the_channel_needs_the_number_typed(desk):
    admin = sign_in(desk["ada"])
    document = open_document(admin)

    refused = admin.post("/staff/admin/channels/desk/", {"document": document, "recipients": ["ben"]})

    assert refused.status_code == 400 and "can be read only by ana" in refused.content.decode()
    assert desk["channel"].recipients.filter(username="ana").exists()
    saved = admin.post("/staff/admin/channels/desk/", {"document": document, "recipients": ["ben"], "unreadable": "1"})
    assert saved.status_code == 302
    assert not desk["channel"].recipients.filter(username="ana").exists()
    assert list(readers.unreadable_tips()) == [desk["tip"]]


def open_document(admin_client) -> str:
    page = admin_client.get("/staff/admin/channels/desk/").content.decode()
    return html.unescape(re.search(r'<textarea name="document"[^>]*>\n?(.*?)</textarea>', page, re.S).group(1))


def test_two_readers_leaving_together_are_counted_together(desk):
    services.grant_access(desk["ana"].user, desk["ana"].private_key, desk["tip"].pk, "ben")

    assert left_unread_by_reset(None, desk["ana"].user).tips == 0  # ben still reads it
    both = left_unread_by_channel_change(None, "desk", staying=[])
    assert both.tips == both.lost == 1 and both.person == "ana, ben"


def test_the_command_line_reset_stops_and_says_how_to_go_on(desk, capsys):
    from tipline.cli import main

    assert main(["resetuser", "ana"]) == 1
    assert "tipline resetuser ana --leave-unreadable 1" in capsys.readouterr().err
    assert not User.objects.get(username="ana").must_change_password

    assert main(["resetuser", "ana", "--leave-unreadable", "1"]) == 0
    assert "1 tip can no longer be read by anyone." in capsys.readouterr().out


def test_after_a_reset_another_chosen_reader_grants_a_tip_back_and_the_one_left_out_still_finds_nothing(desk):
    carl = make_staff("carl", ["desk"])
    for person, shown in ((desk["ben"], "Lawyer"), (carl, "Editor")):
        person.user.display_name = shown
        person.user.save(update_fields=["display_name"])
    desk["ana"].user.display_name = "Clerk"
    desk["ana"].user.save(update_fields=["display_name"])
    post_tip(
        Client(),
        "desk",
        {"answer-tip": "The lawyer signs the false invoices.", "leave_out": [str(desk["ben"].user.pk)]},
    )
    restricted = Tip.objects.get(restricted=True)

    reset_with_one_time_password(User.objects.get(username="ana"))

    assert [person.username for person in services.grantable(restricted)] == ["ana"]  # chosen, key lost; never ben
    services.grant_access(carl.user, carl.private_key, restricted.pk, "ana")
    assert not TipKeyGrant.objects.get(tip=restricted, recipient__username="ana").lapsed
    with pytest.raises(services.CannotGrant):
        services.grant_access(carl.user, carl.private_key, restricted.pk, "ben")
    assert not Tip.objects.filter(pk=restricted.pk).filter(readable_by(desk["ben"].user)).exists()


def test_with_a_recovery_key_a_reset_asks_no_number_and_says_what_the_key_can_do(desk):
    public, _private = recovery_keys.new_key_pair()
    recovery.install("command line", recovery_keys.read_public_key(public))
    services.grant_access(
        desk["ana"].user, desk["ana"].private_key, desk["tip"].pk, "ben"
    )  # the old tip: ben reads it too
    sent = submit_tip(
        desk["channel"],
        [Answer("tip", "Your tip", "long_text", "Only ana.")],
        None,
        [],
        "token-1",
        left_out=frozenset({desk["ben"].user.pk}),
    )

    left = left_unread_by_reset(None, desk["ana"].user)
    asked = reset_page(sign_in(desk["ada"]), "ana").content.decode()

    assert (left.tips, left.recoverable, left.lost) == (1, 1, 0)
    assert "No tip you know of is read by ana alone." in asked  # the tipster left ada out too: not counted for her
    assert 'name="unreadable"' not in asked
    reset_with_one_time_password(desk["ana"].user)
    assert [(item.reference, item.recoverable) for item in unreadable_for(desk["ana"].user)] == [(sent.reference, True)]
    assert unreadable_for(desk["ben"].user) == []  # left out: no trace of it


def test_granting_every_tip_never_reaches_a_tip_whose_tipster_chose_its_readers(desk):
    carl = make_staff("carl", ["desk"])
    sent = submit_tip(
        desk["channel"],
        [Answer("tip", "Your tip", "long_text", "Not for ben.")],
        None,
        [],
        "token-2",
        left_out=frozenset({desk["ben"].user.pk}),
    )
    TipKeyGrant.objects.create(
        tip_id=sent.tip_id, recipient=desk["ben"].user, sealed_tip_key=b"", lapsed=True
    )  # planted

    services.grant_all(carl.user, carl.private_key, "desk", "ben")

    assert not TipKeyGrant.objects.filter(tip_id=sent.tip_id, recipient=desk["ben"].user, lapsed=False).exists()
