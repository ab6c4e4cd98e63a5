"""A reset ends everything the old key opened: the person's API tokens and sessions stop
working, and the grants sealed to the old key lapse (they open nothing, and still say who
the tip's readers are), so colleagues can grant those tips again."""

import pytest
from django.test import Client

from tipline.accounts.models import ApiToken, User
from tipline.accounts.services import reset_with_one_time_password
from tipline.accounts.tokens import create_token
from tipline.casework import services
from tipline.core.models import TipKeyGrant
from tipline.testing.staff import make_staff, make_tip, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_recipients(demo_channels):
    return make_staff("ana", ["general"]), make_staff("ben", ["general"])


def test_an_api_token_made_before_a_reset_opens_nothing_after_it(two_recipients):
    ana, _ben = two_recipients
    make_tip("general", "sealed to ana's old key")
    token = create_token(ana.user, ana.private_key, "laptop", 30).secret_string
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert Client().get("/api/v1/tips", **bearer).status_code == 200

    reset_with_one_time_password(User.objects.get(username="ana"))

    assert Client().get("/api/v1/tips", **bearer).status_code == 401
    assert ApiToken.objects.get().revoked_at is not None


def test_a_session_from_before_a_reset_ends(two_recipients):
    ana, _ben = two_recipients
    client = sign_in(ana)
    assert client.get("/staff/inbox/").status_code == 200

    reset_with_one_time_password(User.objects.get(username="ana"))

    assert client.get("/staff/inbox/").status_code == 302


def test_after_a_reset_a_colleague_can_grant_the_old_tips_again(two_recipients):
    ana, ben = two_recipients
    tip, _receipt = make_tip("general", "sealed to both")
    reset_with_one_time_password(User.objects.get(username="ana"))

    assert TipKeyGrant.objects.get(tip=tip, recipient__username="ana").lapsed
    assert [user.username for user in services.grantable(tip)] == ["ana"]
    services.grant_access(ben.user, ben.private_key, tip.pk, "ana")
    ana_again = User.objects.get(username="ana")
    assert not TipKeyGrant.objects.get(tip=tip, recipient=ana_again).lapsed
    assert services.grantable(tip) == []
