"""Adding a passkey needs a recent sign-in: a session older than a few minutes types the
password again first, on a page that says why (issue 31, finding 14, second half)."""

import pytest

from tipline.accounts import access
from tipline.accounts.models import Passkey
from tipline.testing.staff import make_staff, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def alex(demo_channels):
    return make_staff("alex", ["general"])


def signed_in_long_ago(member):
    client = sign_in(member)
    session = client.session
    session[access.SIGNED_IN_AT] -= access.RECENT_SIGN_IN_SECONDS + 1
    session.save()
    return client


def test_an_old_session_cannot_start_or_finish_adding_a_passkey(alex):
    client = signed_in_long_ago(alex)

    page = client.get("/staff/passkeys/").content.decode()
    options = client.post("/staff/passkeys/options/", content_type="application/json", data={})
    register = client.post(
        "/staff/passkeys/register/", content_type="application/json", data={"credential": {}, "name": "x"}
    )

    assert 'id="passkey"' not in page and "adding one needs a recent sign-in" in page
    assert options.status_code == 403 and options.json()["next"] == "/staff/confirm-password/?next=/staff/passkeys/"
    assert register.status_code == 403 and not Passkey.objects.exists()


def test_typing_the_password_again_opens_adding_a_passkey(alex):
    client = signed_in_long_ago(alex)

    asked = client.get("/staff/confirm-password/?next=/staff/passkeys/")
    wrong = client.post("/staff/confirm-password/?next=/staff/passkeys/", {"password": "not it"})
    confirmed = client.post("/staff/confirm-password/?next=/staff/passkeys/", {"password": alex.password})
    options = client.post("/staff/passkeys/options/", content_type="application/json", data={})

    assert asked.status_code == 200 and "Adding a passkey lets someone sign in as you" in asked.content.decode()
    assert wrong.status_code == 400 and "This is not your current password." in wrong.content.decode()
    assert confirmed.status_code == 302 and confirmed.headers["Location"] == "/staff/passkeys/"
    assert options.status_code == 200 and "challenge" in options.json()
    assert 'id="passkey"' in client.get("/staff/passkeys/").content.decode()


def test_a_fresh_sign_in_may_add_a_passkey_at_once(alex):
    client = sign_in(alex)

    options = client.post("/staff/passkeys/options/", content_type="application/json", data={})

    assert options.status_code == 200 and "challenge" in options.json()


def test_the_password_typed_again_cannot_be_guessed_without_limit(alex):
    from tipline.accounts import signin

    client = signed_in_long_ago(alex)
    for n in range(signin.PASSWORD_CONFIRMATIONS):
        client.post("/staff/confirm-password/", {"password": f"guess {n}"})

    right_but_too_late = client.post("/staff/confirm-password/", {"password": alex.password})

    assert right_but_too_late.status_code == 429
    assert client.post("/staff/passkeys/options/", content_type="application/json", data={}).status_code == 403
