"""A recipient who joins a channel after its tips arrived gets every open tip in one action
by a current recipient, in batches with a count of what remains; the API does the same."""

import json

import pytest
from django.test import Client

from tipline.accounts.tokens import create_token
from tipline.audit.models import AuditEntry
from tipline.casework import services
from tipline.core.models import Tip, TipKeyGrant
from tipline.testing.staff import make_staff, make_tip, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def late_joiner(two_channels):
    for number in range(5):
        make_tip("alpha", f"tip {number}")
    Tip.objects.filter(pk=Tip.objects.order_by("id").first().pk).update(status="closed")
    newcomer = make_staff("nia", ["alpha"])
    return two_channels["alpha"], newcomer


def granted_to(username: str) -> int:
    return TipKeyGrant.objects.filter(recipient__username=username).count()


def test_a_recipient_grants_every_open_tip_to_a_newcomer_in_batches(late_joiner):
    ana, _nia = late_joiner

    first = services.grant_all(ana.user, ana.private_key, "alpha", "nia", batch=3)
    second = services.grant_all(ana.user, ana.private_key, "alpha", "nia", batch=3)

    assert (first.granted, first.remaining) == (3, 1) and (second.granted, second.remaining) == (1, 0)
    assert granted_to("nia") == 4  # the closed tip is left out
    assert AuditEntry.objects.filter(actor="ana", action="access-granted-in-bulk", target="alpha").count() == 2


def test_the_channel_access_page_shows_what_remains_and_grants_it(late_joiner):
    ana, _nia = late_joiner
    client = sign_in(ana)

    before = client.get("/staff/channels/alpha/access/").content.decode()
    response = client.post("/staff/channels/alpha/access/", {"grantee": "nia"})
    after = client.get("/staff/channels/alpha/access/").content.decode()

    assert "nia" in before and "4 open tips to grant" in before
    assert response.status_code == 200 and "Granted 4 tips to nia." in response.content.decode()
    assert "4 open tips to grant" not in after and granted_to("nia") == 4


def test_someone_not_a_recipient_of_the_channel_can_grant_nothing(late_joiner, two_channels):
    ben = two_channels["beta"]

    with pytest.raises(services.TipNotFound):
        services.grant_all(ben.user, ben.private_key, "alpha", "nia")
    assert sign_in(ben).get("/staff/channels/alpha/access/").status_code == 404


def test_the_api_grants_every_open_tip(late_joiner):
    ana, _nia = late_joiner
    token = create_token(ana.user, ana.private_key, "script", 30).secret_string

    response = Client().post(
        "/api/v1/channels/alpha/grants",
        json.dumps({"grantee": "nia"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code == 200 and response.json() == {"granted": 4, "remaining": 0}
    assert granted_to("nia") == 4
