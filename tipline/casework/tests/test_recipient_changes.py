"""An admin who adds a recipient to a channel (themselves included, or a new account) cannot
do it quietly: the channel's recipients are alerted, and the channel page shows who changed
its recipients and when."""

import pytest

from tipline.alerts.delivery import run_once as deliver_alerts
from tipline.alerts.models import Event
from tipline.alerts.routes import RouteSpec, add_route

pytestmark = pytest.mark.django_db

DOCUMENT = (
    "slug: alpha\nname: Alpha\nfields:\n  - {key: tip, kind: long_text, label: Your tip}\n"
    "  - {key: files, kind: file, label: Files}\n"
)


@pytest.fixture
def mailed(signed_in, smtp_server):
    from tipline.accounts.models import User

    User.objects.filter(username="ana").update(email="ana@example.org")
    add_route(RouteSpec(name="mail", kind="email", target=f"smtp+plain://127.0.0.1:{smtp_server.port}"))
    return smtp_server


def changes_recorded() -> int:
    return Event.objects.filter(kind="recipients-changed", channel__slug="alpha").count()


@pytest.fixture
def earlier(mailed):
    """Alerts of the fixture's own accounts, delivered and set aside."""
    deliver_alerts()
    mailed.clear()
    return changes_recorded()


def test_an_admin_adding_themselves_to_a_channel_is_told_to_its_recipients_and_shown_on_its_page(
    signed_in, mailed, earlier
):
    admin = signed_in["admin"]

    admin.post("/staff/admin/channels/alpha/", {"document": DOCUMENT, "recipients": ["ana", "root"]})
    deliver_alerts()
    page = admin.get("/staff/admin/channels/alpha/").content.decode()

    assert changes_recorded() == earlier + 1
    assert [message["To"] for message in mailed] == ["ana@example.org"]
    assert "The recipients of a channel changed" in str(mailed[0]["Subject"])
    assert "root" in page and "added root" in page


def test_a_new_account_made_a_recipient_is_told_to_the_channels_recipients(signed_in, mailed, earlier):
    signed_in["admin"].post("/staff/admin/users/", {"username": "sock", "channels": ["alpha"]})
    deliver_alerts()
    page = signed_in["admin"].get("/staff/admin/channels/alpha/").content.decode()

    assert changes_recorded() == earlier + 1
    assert "ana@example.org" in [message["To"] for message in mailed]
    assert "new account sock" in page


def test_saving_a_channel_without_changing_its_recipients_alerts_nobody(signed_in, mailed, earlier):
    signed_in["admin"].post("/staff/admin/channels/alpha/", {"document": DOCUMENT, "recipients": ["ana"]})

    assert changes_recorded() == earlier


def test_the_recipients_are_told_who_joined_and_who_added_them_even_with_alert_emails_off(signed_in, mailed, earlier):
    from tipline.accounts.models import User

    User.objects.filter(username="ana").update(
        email_notifications=False
    )  # no mail about tips; still told of a new reader

    signed_in["admin"].post("/staff/admin/channels/alpha/", {"document": DOCUMENT, "recipients": ["ana", "root"]})
    deliver_alerts()

    told = {message["To"]: message.get_content() for message in mailed}
    assert list(told) == ["ana@example.org"]
    assert "Now a recipient: root." in told["ana@example.org"] and "Changed by: root." in told["ana@example.org"]


def test_someone_removed_is_told_too(signed_in, mailed, earlier):
    from tipline.accounts.models import User

    User.objects.filter(username="root").update(email="root@example.org")
    signed_in["admin"].post("/staff/admin/channels/alpha/", {"document": DOCUMENT, "recipients": ["ana", "root"]})
    deliver_alerts()
    mailed.clear()

    signed_in["admin"].post("/staff/admin/channels/alpha/", {"document": DOCUMENT, "recipients": ["root"]})
    deliver_alerts()

    assert sorted(message["To"] for message in mailed) == ["ana@example.org", "root@example.org"]
    assert all("No longer a recipient: ana." in message.get_content() for message in mailed)


APPROVAL = DOCUMENT.replace("name: Alpha\n", "name: Alpha\njoining_needs_approval: true\n")


@pytest.fixture
def needs_approval(signed_in, earlier):
    answer = signed_in["admin"].post("/staff/admin/channels/alpha/", {"document": APPROVAL, "recipients": ["ana"]})
    assert answer.status_code == 302
    return signed_in


def recipients_of_alpha() -> list[str]:
    from tipline.core.models import Channel

    return sorted(Channel.objects.get(slug="alpha").recipients.values_list("username", flat=True))


def test_on_a_channel_that_needs_approval_an_admin_adding_herself_waits_for_a_recipient(needs_approval, mailed):
    admin, ana = needs_approval["admin"], needs_approval["alpha"]

    admin.post("/staff/admin/channels/alpha/", {"document": APPROVAL, "recipients": ["ana", "root"]})
    deliver_alerts()

    assert recipients_of_alpha() == ["ana"]
    assert "To become a recipient: root." in mailed[-1].get_content()
    assert 'href="/staff/channels/alpha/access/"' in ana.get("/staff/inbox/").content.decode()
    page = ana.get("/staff/channels/alpha/access/").content.decode()
    assert "root, chosen by root" in page

    ana.post("/staff/channels/alpha/joining/", {"username": "root", "decision": "approve"})

    assert recipients_of_alpha() == ["ana", "root"]


def test_a_refused_join_leaves_the_channel_as_it_was(needs_approval, mailed):
    needs_approval["admin"].post("/staff/admin/channels/alpha/", {"document": APPROVAL, "recipients": ["ana", "root"]})

    needs_approval["alpha"].post("/staff/channels/alpha/joining/", {"username": "root", "decision": "refuse"})

    assert recipients_of_alpha() == ["ana"]
    assert "chosen by" not in needs_approval["alpha"].get("/staff/channels/alpha/access/").content.decode()


def test_the_admin_who_chose_someone_cannot_approve_them_and_a_new_account_waits_too(needs_approval):
    from tipline.accounts.models import User
    from tipline.core.models import Channel

    Channel.objects.get(slug="alpha").recipients.add(
        User.objects.get(username="root")
    )  # an admin who is a recipient too
    admin, ana = needs_approval["admin"], needs_approval["alpha"]
    admin.post("/staff/admin/users/", {"username": "sock", "channels": ["alpha"]})
    assert recipients_of_alpha() == ["ana", "root"]

    refused = admin.post("/staff/channels/alpha/joining/", {"username": "sock", "decision": "approve"})

    assert refused.status_code == 400 and recipients_of_alpha() == ["ana", "root"]
    ana.post("/staff/channels/alpha/joining/", {"username": "sock", "decision": "approve"})
    assert recipients_of_alpha() == ["ana", "root", "sock"]


def test_joining_needs_approval_cannot_be_switched_off(needs_approval):
    answer = needs_approval["admin"].post(
        "/staff/admin/channels/alpha/", {"document": DOCUMENT, "recipients": ["ana", "root"]}
    )

    assert answer.status_code == 400 and "stays on" in answer.content.decode()
    assert recipients_of_alpha() == ["ana"]


def test_a_channel_that_needs_approval_cannot_be_emptied_to_let_someone_join_unapproved(needs_approval):
    answer = needs_approval["admin"].post(
        "/staff/admin/channels/alpha/", {"document": APPROVAL, "recipients": ["root"]}
    )

    assert answer.status_code == 400 and "keeps at least one recipient" in answer.content.decode()
    assert recipients_of_alpha() == ["ana"]


def second_recipient_of_alpha(email: str = "cleo@example.org"):
    """A colleague of ana's on alpha, there before anyone waits to join."""
    from tipline.accounts.models import User
    from tipline.core.models import Channel
    from tipline.testing.staff import make_staff

    cleo = make_staff("cleo")
    Channel.objects.get(slug="alpha").recipients.add(cleo.user)
    User.objects.filter(username="cleo").update(email=email)
    return cleo


def test_an_admin_who_resets_a_recipient_of_a_channel_that_needs_approval_cannot_approve_herself_as_them(
    needs_approval, mailed
):
    from tipline.accounts.models import User
    from tipline.core import joining
    from tipline.core.models import Channel

    second_recipient_of_alpha()
    admin = needs_approval["admin"]
    admin.post(
        "/staff/admin/channels/alpha/", {"document": APPROVAL, "recipients": ["ana", "cleo", "root"]}
    )  # root waits
    deliver_alerts()
    mailed.clear()

    answer = admin.post("/staff/admin/users/ana/reset/", {"confirmed": "on", "unreadable": "ana"})

    assert answer.status_code == 200 and recipients_of_alpha() == ["cleo"]  # ana waits to join again
    channel, ana = Channel.objects.get(slug="alpha"), User.objects.get(username="ana")
    with pytest.raises(joining.CannotApprove):
        joining.decide(ana, channel, "root", True)  # whoever holds ana's one-time password approves nobody
    with pytest.raises(joining.CannotApprove):
        joining.decide(User.objects.get(username="root"), channel, "ana", True)  # nor does the admin who reset her
    assert recipients_of_alpha() == ["cleo"]
    deliver_alerts()
    told = {message["To"]: message.get_content() for message in mailed}
    assert "Reset: ana." in told["cleo@example.org"] and "Changed by: root." in told["cleo@example.org"]
    assert "waits for approval again" in str(mailed[0]["Subject"])

    joining.decide(User.objects.get(username="cleo"), channel, "ana", True)
    assert recipients_of_alpha() == ["ana", "cleo"]


def test_the_only_recipient_of_a_channel_that_needs_approval_is_not_reset(needs_approval):
    from tipline.accounts.models import User

    admin = needs_approval["admin"]
    admin.post("/staff/admin/channels/alpha/", {"document": APPROVAL, "recipients": ["ana", "root"]})  # root waits

    answer = admin.post("/staff/admin/users/ana/reset/", {"confirmed": "on", "unreadable": "ana"})

    assert answer.status_code == 400 and "only recipient of Alpha" in answer.content.decode()
    assert recipients_of_alpha() == ["ana"] and not User.objects.get(username="ana").must_change_password
    assert needs_approval["alpha"].get("/staff/inbox/").status_code == 200  # her session and key are as they were


def test_a_reset_of_a_recipient_is_told_to_the_channels_recipients(signed_in, mailed, earlier):
    from tipline.accounts.models import User

    second_recipient_of_alpha()
    User.objects.filter(username="cleo").update(email_notifications=False)  # no mail about tips; still told of a reset
    deliver_alerts()
    mailed.clear()

    signed_in["admin"].post("/staff/admin/users/ana/reset/", {"confirmed": "on", "unreadable": "ana"})
    deliver_alerts()

    assert recipients_of_alpha() == ["ana", "cleo"]  # no approval needed on this channel: she stays
    told = {message["To"]: message.get_content() for message in mailed}
    assert sorted(told) == ["ana@example.org", "cleo@example.org"]
    assert all("Reset: ana." in text and "Changed by: root." in text for text in told.values())


def test_a_disabled_colleague_does_not_count_as_someone_left_to_approve(needs_approval):
    from tipline.accounts.models import User

    second_recipient_of_alpha()
    User.objects.filter(username="cleo").update(is_active=False)

    answer = needs_approval["admin"].post("/staff/admin/users/ana/reset/", {"confirmed": "on", "unreadable": "ana"})

    assert answer.status_code == 400 and recipients_of_alpha() == ["ana", "cleo"]
