"""The current password on the change page cannot be guessed without limit, and API tokens
(each opens its owner's key) do not outlive a password change or a recovery unless the person
chooses to keep them on the change page (issue 31, finding 13)."""

import base64
import re

import pytest
from django.test import Client
from django_otp.oath import TOTP

from tipline.accounts import signin, tokens
from tipline.accounts.models import User
from tipline.testing.staff import make_staff, sign_in

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a brand new long passphrase"


@pytest.fixture
def alex(demo_channels):
    return make_staff("alex", ["general"])


def change(client: Client, current: str, **extra):
    return client.post(
        "/staff/password/",
        {"current_password": current, "new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD, **extra},
    )


def test_guessing_the_current_password_on_the_change_page_is_stopped(alex):
    session = sign_in(alex)

    guesses = [change(session, f"guess {n}").status_code for n in range(signin.PASSWORD_CONFIRMATIONS)]
    right_but_too_late = change(session, alex.password)

    assert guesses == [400] * signin.PASSWORD_CONFIRMATIONS
    assert right_but_too_late.status_code == 429 and "Please wait" in right_but_too_late.content.decode()
    assert User.objects.get(username="alex").check_password(alex.password)


def test_a_password_change_revokes_the_api_tokens_and_says_so(alex):
    token = tokens.create_token(alex.user, alex.private_key, "sync", 30)

    changed = change(sign_in(alex), alex.password)

    assert changed.status_code == 200 and "Your API token was revoked" in changed.content.decode()
    assert tokens.open_token(token.secret_string) is None


def test_a_password_change_keeps_the_api_tokens_when_asked(alex):
    token = tokens.create_token(alex.user, alex.private_key, "sync", 30)

    changed = change(sign_in(alex), alex.password, keep_api_tokens="on")

    assert changed.status_code == 200 and "API token was revoked" not in changed.content.decode()
    assert tokens.open_token(token.secret_string) is not None


def test_recovering_a_forgotten_password_revokes_the_api_tokens(alex):
    token = tokens.create_token(alex.user, alex.private_key, "sync", 30)

    recovered = Client().post(
        "/staff/sign-in/recover/",
        {
            "username": "alex",
            "recovery_code": alex.recovery_code,
            "code": alex.code(),
            "new_password": NEW_PASSWORD,
            "repeat_password": NEW_PASSWORD,
        },
    )

    assert recovered.status_code == 200 and "your API tokens are revoked" in recovered.content.decode()
    assert tokens.open_token(token.secret_string) is None


def test_replacing_a_lost_authenticator_revokes_the_api_tokens(alex):
    token = tokens.create_token(alex.user, alex.private_key, "sync", 30)
    client = Client()
    client.post(
        "/staff/sign-in/new-authenticator/",
        {"username": "alex", "password": alex.password, "recovery_code": alex.recovery_code},
    )
    page = client.get("/staff/sign-in/new-authenticator/enrol/").content.decode()
    secret = re.search(r'<code class="secret">([^<]+)</code>', page).group(1).replace(" ", "")

    done = client.post(
        "/staff/sign-in/new-authenticator/enrol/", {"code": f"{TOTP(base64.b32decode(secret)).token():06d}"}
    )

    assert done.status_code == 200 and "your API tokens are revoked" in done.content.decode()
    assert tokens.open_token(token.secret_string) is None
