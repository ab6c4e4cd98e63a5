"""Signing in: first sign-in sets password, TOTP and recovery code; later sign-ins need
both factors; codes are single-use; messages and throttles never reveal who exists."""

import re

import pytest
from django.test import Client
from django_otp.oath import TOTP

from tipline.accounts.models import User
from tipline.accounts.services import create_user
from tipline.audit.models import AuditEntry
from tipline.crypto import recipient_keys
from tipline.testing.staff import make_staff, sign_in

pytestmark = pytest.mark.django_db


def test_first_sign_in_sets_a_password_enrols_totp_and_shows_the_recovery_code_once(demo_channels):
    login = create_user("newcomer", ["recipient"], ["general"])
    client = Client()

    first = client.post("/staff/sign-in/", {"username": "newcomer", "password": login.password})
    setup = client.get(first.headers["Location"])
    page = setup.content.decode()
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    import base64

    code = f"{TOTP(base64.b32decode(secret)).token():06d}"
    weak = client.post(first.headers["Location"], {"new_password": "short", "repeat_password": "short", "code": code})
    done = client.post(
        first.headers["Location"],
        {"new_password": "a much longer passphrase", "repeat_password": "a much longer passphrase", "code": code},
    )

    assert first.headers["Location"] == "/staff/sign-in/activate/"
    assert "<svg" in page and "Add Tipline to your authenticator app" in page
    assert weak.status_code == 400 and "at least 12 characters" in weak.content.decode()
    recovery = re.search(r"[0-9A-Z]{4}(?:-[0-9A-Z]{4}){7}", done.content.decode()).group(0)
    user = User.objects.get(username="newcomer")
    assert not user.must_change_password and user.check_password("a much longer passphrase")
    assert recipient_keys.unwrap_with_recovery_code(user.private_key_by_recovery_code, recovery, user.key_owner)
    assert base64.b32decode(secret) not in bytes(user.totp_secret_sealed)
    assert client.get("/staff/inbox/").status_code == 200
    assert client.get("/staff/sign-in/activate/").status_code == 302


def test_a_full_sign_in_needs_the_password_and_a_fresh_code(demo_channels):
    member = make_staff("alex", ["general"])
    client = Client()

    client.post("/staff/sign-in/", {"username": "alex", "password": member.password})
    wrong = client.post("/staff/sign-in/code/", {"code": "000000"})
    right = client.post("/staff/sign-in/code/", {"code": member.code()})

    assert wrong.status_code == 400 and "This code is wrong or was used already" in wrong.content.decode()
    assert right.status_code == 302 and right.headers["Location"] == "/staff/inbox/"
    assert client.get("/staff/inbox/").status_code == 200


def test_a_used_code_cannot_be_used_again(demo_channels):
    member = make_staff("alex", ["general"])
    code = member.code()
    first, second = Client(), Client()
    for client in (first, second):
        client.post("/staff/sign-in/", {"username": "alex", "password": member.password})

    accepted = first.post("/staff/sign-in/code/", {"code": code})
    replayed = second.post("/staff/sign-in/code/", {"code": code})

    assert accepted.status_code == 302
    assert replayed.status_code == 400


def test_wrong_password_and_unknown_user_get_the_same_answer(demo_channels):
    make_staff("alex", ["general"])

    wrong_password = Client().post("/staff/sign-in/", {"username": "alex", "password": "not the password"})
    unknown_user = Client().post("/staff/sign-in/", {"username": "nobody", "password": "not the password"})

    assert wrong_password.status_code == unknown_user.status_code == 400
    assert "Wrong username, password or code." in wrong_password.content.decode()
    assert wrong_password.content.decode().count("Wrong username") == unknown_user.content.decode().count(
        "Wrong username"
    )
    assert not AuditEntry.objects.filter(actor="nobody").exists()


def test_repeated_attempts_are_throttled_for_existing_and_unknown_users_alike(demo_channels):
    make_staff("alex", ["general"])
    for username in ("alex", "nobody"):
        statuses = [
            Client().post("/staff/sign-in/", {"username": username, "password": "guess"}).status_code for _ in range(6)
        ]
        assert statuses == [400] * 5 + [429]


def test_a_disabled_account_cannot_sign_in(demo_channels):
    member = make_staff("alex", ["general"])
    User.objects.filter(username="alex").update(is_active=False)

    response = Client().post("/staff/sign-in/", {"username": "alex", "password": member.password})

    assert response.status_code == 400


def test_the_session_row_alone_or_the_key_cookie_alone_opens_nothing(demo_channels, settings):
    member = make_staff("alex", ["general"])
    client = sign_in(member)
    row_only, cookie_only = Client(), Client()
    row_only.cookies[settings.SESSION_COOKIE_NAME] = client.cookies[settings.SESSION_COOKIE_NAME].value
    cookie_only.cookies[settings.STAFF_KEY_COOKIE_NAME] = client.cookies[settings.STAFF_KEY_COOKIE_NAME].value

    assert client.get("/staff/inbox/").status_code == 200
    assert row_only.get("/staff/inbox/").status_code == 302
    assert cookie_only.get("/staff/inbox/").status_code == 302


def test_a_session_ends_after_the_absolute_limit(demo_channels, settings):
    member = make_staff("alex", ["general"])
    client = sign_in(member)
    session = client.session
    session["signed_in_at"] -= settings.STAFF_SESSION_MAX_SECONDS + 1
    session.save()

    response = client.get("/staff/inbox/")

    assert response.status_code == 302 and "ended=1" in response.headers["Location"]


def test_signing_out_destroys_the_session(demo_channels):
    from django.contrib.sessions.models import Session

    client = sign_in(make_staff("alex", ["general"]))

    response = client.post("/staff/sign-out/")

    assert (
        response.headers["Clear-Site-Data"] == '"cache", "storage"'
    )  # cookies deleted by name, the device cookie kept
    assert Session.objects.count() == 0
    assert client.get("/staff/inbox/").status_code == 302


def test_notification_preferences_are_saved_and_audited(demo_channels):
    member = make_staff("alex", ["general"])
    client = sign_in(member)

    response = client.post(
        "/staff/preferences/",
        {"email": "alex@example.org", "email_notifications": "on", "quiet_digest": "on", "language": "es"},
    )
    bad = client.post("/staff/preferences/", {"email": "not an address"})

    user = User.objects.get(username="alex")
    assert response.status_code == 200 and "Saved." in response.content.decode()
    assert user.email == "alex@example.org" and user.email_notifications and user.quiet_digest and user.language == "es"
    assert bad.status_code == 400 and "Enter a valid email address." in bad.content.decode()
    assert AuditEntry.objects.filter(action="preferences-changed", actor="alex").exists()
