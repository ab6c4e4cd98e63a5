"""Strangers cannot lock a recipient out by guessing at their name (issue 31, finding 3): a
browser that signed in as them before keeps its own allowance, clients whose address the
proxy passes are counted apart, a browser keeps its allowance after signing out, and the
site-wide ceiling counts known and unknown names alike (issue 31, finding 3, as attacked)."""

import pytest
from django.conf import settings
from django.test import Client

from tipline.accounts import signin
from tipline.accounts.models import User
from tipline.testing.staff import make_staff, sign_in

pytestmark = pytest.mark.django_db
ATTACKER, RECIPIENT = "203.0.113.77", "198.51.100.9"


def guess(client: Client, username: str, times: int) -> list[int]:
    return [
        client.post("/staff/sign-in/", {"username": username, "password": "a wrong guess"}).status_code
        for _ in range(times)
    ]


def browser_that_signed_in_before(member) -> Client:
    """A browser whose session has ended (idle, or closed) but that keeps its device cookie."""
    earlier = sign_in(member)
    returning = Client()
    returning.cookies[settings.STAFF_DEVICE_COOKIE_NAME] = earlier.cookies[settings.STAFF_DEVICE_COOKIE_NAME].value
    return returning


@pytest.fixture
def addresses_known(settings):
    settings.CLIENT_ADDRESS_HEADER = "X-Real-IP"


def test_a_browser_that_signed_in_before_gets_in_while_a_stranger_hammers_the_name(demo_channels):
    alex = make_staff("alex", ["general"])
    returning = browser_that_signed_in_before(alex)

    hammering = guess(Client(), "alex", 8)
    own_try = returning.post("/staff/sign-in/", {"username": "alex", "password": alex.password})

    assert hammering[-1] == 429
    assert own_try.status_code == 302 and own_try.headers["Location"] == "/staff/sign-in/code/"


def test_the_device_cookie_is_httponly_signed_and_names_no_username(demo_channels):
    cookie = sign_in(make_staff("alex", ["general"])).cookies[settings.STAFF_DEVICE_COOKIE_NAME]

    assert cookie["httponly"] and cookie["samesite"] == "Strict" and int(cookie["max-age"]) > 86400
    assert "alex" not in cookie.value


def test_a_browser_that_signed_in_before_has_its_own_limit_too(demo_channels):
    alex = make_staff("alex", ["general"])
    returning = browser_that_signed_in_before(alex)

    assert guess(returning, "alex", 6) == [400] * 5 + [429]


def test_a_device_cookie_of_another_account_or_a_forged_one_gives_no_allowance(demo_channels):
    alex, bob = make_staff("alex", ["general"]), make_staff("bob", ["general"])
    bobs_browser = browser_that_signed_in_before(bob)
    forged = Client()
    forged.cookies[settings.STAFF_DEVICE_COOKIE_NAME] = f"{alex.user.pk}:made-up"
    guess(Client(), "alex", 5)

    assert bobs_browser.post("/staff/sign-in/", {"username": "alex", "password": alex.password}).status_code == 429
    assert forged.post("/staff/sign-in/", {"username": "alex", "password": alex.password}).status_code == 429


def test_where_addresses_are_known_one_clients_guesses_do_not_lock_out_another(demo_channels, addresses_known):
    alex = make_staff("alex", ["general"])

    hammering = guess(Client(HTTP_X_REAL_IP=ATTACKER), "alex", 6)
    own_try = Client(HTTP_X_REAL_IP=RECIPIENT).post("/staff/sign-in/", {"username": "alex", "password": alex.password})

    assert hammering == [400] * 5 + [429]
    assert own_try.status_code == 302


def test_many_clients_together_still_meet_a_ceiling_per_name(demo_channels, addresses_known, monkeypatch):
    make_staff("alex", ["general"])
    monkeypatch.setattr(signin, "ATTEMPTS_PER_USERNAME_ALL_CLIENTS", 4)

    statuses = [guess(Client(HTTP_X_REAL_IP=f"203.0.113.{n}"), "alex", 1)[0] for n in range(6)]

    assert statuses == [400] * 4 + [429] * 2


def test_the_site_wide_ceiling_counts_known_and_unknown_names_alike_and_spares_returning_browsers(
    demo_channels, addresses_known, monkeypatch
):
    alex = make_staff("alex", ["general"])
    returning = browser_that_signed_in_before(alex)  # a stranger then: its sign-in is the first of 3
    monkeypatch.setattr(signin, "ATTEMPTS_SITE_WIDE", 3)

    filling = [guess(Client(HTTP_X_REAL_IP=f"203.0.113.{n}"), name, 1)[0] for n, name in enumerate(["nobody0", "alex"])]
    known_name_at_the_ceiling = guess(Client(HTTP_X_REAL_IP="198.51.100.1"), "alex", 1)
    unknown_name_at_the_ceiling = guess(Client(HTTP_X_REAL_IP="198.51.100.2"), "nobody1", 1)
    own_try = returning.post("/staff/sign-in/", {"username": "alex", "password": alex.password})

    assert filling == [400] * 2
    assert known_name_at_the_ceiling == unknown_name_at_the_ceiling == [429]  # no tell which names exist
    assert own_try.status_code == 302


def test_the_recovery_page_stays_open_to_a_browser_that_signed_in_before(demo_channels):
    alex = make_staff("alex", ["general"])
    returning = browser_that_signed_in_before(alex)
    guess(Client(), "alex", 6)
    User.objects.filter(username="alex").update(totp_last_step=0)  # codes are single-use; the test reuses steps
    new_password = "a brand new long passphrase"

    recovered = returning.post(
        "/staff/sign-in/recover/",
        {
            "username": "alex",
            "recovery_code": alex.recovery_code,
            "code": alex.code(0),
            "new_password": new_password,
            "repeat_password": new_password,
        },
    )

    assert recovered.status_code == 200 and 'id="recovery-code"' in recovered.content.decode(), (
        recovered.content.decode()[-2500:]
    )


def test_a_device_cookie_signed_under_an_old_secret_key_gives_no_allowance(demo_channels, settings):
    alex = make_staff("alex", ["general"])
    returning = browser_that_signed_in_before(alex)
    guess(Client(), "alex", 5)
    settings.SECRET_KEY = "a secret key made after the old one was replaced"

    assert returning.post("/staff/sign-in/", {"username": "alex", "password": alex.password}).status_code == 429


def test_a_browser_that_signed_out_keeps_its_own_allowance_while_strangers_share_one_client(demo_channels):
    alex = make_staff("alex", ["general"])
    browser = sign_in(alex)
    device_cookie = browser.cookies[settings.STAFF_DEVICE_COOKIE_NAME].value

    signed_out = browser.post("/staff/sign-out/")
    hammering = guess(Client(), "alex", 6)  # no address header: every stranger is one client
    own_try = browser.post("/staff/sign-in/", {"username": "alex", "password": alex.password})

    assert hammering[-1] == 429
    assert settings.STAFF_DEVICE_COOKIE_NAME not in signed_out.cookies
    assert browser.cookies[settings.STAFF_DEVICE_COOKIE_NAME].value == device_cookie
    assert own_try.status_code == 302 and own_try.headers["Location"] == "/staff/sign-in/code/"


def test_signing_out_deletes_every_other_cookie_by_name(demo_channels):
    browser = sign_in(make_staff("alex", ["general"]))
    browser.get("/staff/inbox/")
    sent = set(browser.cookies.keys()) - {settings.STAFF_DEVICE_COOKIE_NAME}

    signed_out = browser.post("/staff/sign-out/")

    assert {settings.SESSION_COOKIE_NAME, settings.STAFF_KEY_COOKIE_NAME} <= sent
    assert all(signed_out.cookies[name].value == "" and signed_out.cookies[name]["max-age"] == 0 for name in sent), (
        signed_out.cookies
    )
