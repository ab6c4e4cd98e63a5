"""An admin who adds a recipient to a channel (themselves included, or a new account) cannot
do it quietly: the channel's recipients are alerted, and the channel page shows who changed
its recipients and when."""

import pytest

from tipline.alerts.models import Event
from tipline.alerts.routes import RouteSpec, add_route
from tipline.alerts.delivery import run_once as deliver_alerts

pytestmark = pytest.mark.django_db

DOCUMENT = "slug: alpha\nname: Alpha\nfields:\n  - {key: tip, kind: long_text, label: Your tip}\n  - {key: files, kind: file, label: Files}\n"


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


def test_an_admin_adding_themselves_to_a_channel_is_told_to_its_recipients_and_shown_on_its_page(signed_in, mailed, earlier):
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
