"""The recovery code works: a forgotten password is set anew with it and an authenticator
code, a lost authenticator is replaced with it and the password; either way the tips
sealed to the person stay readable, a new recovery code replaces the used one, and the
person's other sessions end. A password can be changed from the staff pages."""

import re

import pytest
from django.test import Client
from django_otp.oath import TOTP

from tipline.accounts.models import User
from tipline.audit.models import AuditEntry
from tipline.testing.staff import make_staff, make_tip, sign_in

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a brand new long passphrase"


@pytest.fixture
def alex(demo_channels):
    return make_staff("alex", ["general"])


def sign_in_with(client: Client, username: str, password: str, code: str):
    client.post("/staff/sign-in/", {"username": username, "password": password})
    return client.post("/staff/sign-in/code/", {"code": code})


def test_a_forgotten_password_is_set_again_with_the_recovery_code_and_old_tips_stay_readable(alex):
    tip, _receipt = make_tip("general", "sealed before the password was lost")
    other_session = sign_in(alex)
    User.objects.filter(username="alex").update(totp_last_step=0)  # codes are single-use; the test reuses steps

    response = Client().post(
        "/staff/sign-in/recover/",
        {
            "username": "alex",
            "recovery_code": alex.recovery_code,
            "code": alex.code(0),
            "new_password": NEW_PASSWORD,
            "repeat_password": NEW_PASSWORD,
        },
    )
    assert response.status_code == 200, response.content.decode()[-3000:]
    new_code = re.search(r'id="recovery-code">([^<]+)<', response.content.decode()).group(1)

    assert response.status_code == 200 and new_code != alex.recovery_code
    user = User.objects.get(username="alex")
    client = Client()
    assert sign_in_with(client, "alex", NEW_PASSWORD, alex.code(1)).status_code == 302
    assert "sealed before the password was lost" in client.get(f"/staff/tips/{tip.pk}/").content.decode()
    assert other_session.get("/staff/inbox/").status_code == 302  # the other session ended
    User.objects.filter(username="alex").update(totp_last_step=0)
    reused = Client().post(
        "/staff/sign-in/recover/",
        {
            "username": "alex",
            "recovery_code": alex.recovery_code,
            "code": alex.code(0),
            "new_password": NEW_PASSWORD + "!",
            "repeat_password": NEW_PASSWORD + "!",
        },
    )
    assert reused.status_code == 400  # the used recovery code no longer works
    assert AuditEntry.objects.filter(actor="alex", action="password-recovered").count() == 1
    assert user.check_password(NEW_PASSWORD)


def test_recovery_needs_the_authenticator_too(alex):
    response = Client().post(
        "/staff/sign-in/recover/",
        {
            "username": "alex",
            "recovery_code": alex.recovery_code,
            "code": "000000",
            "new_password": NEW_PASSWORD,
            "repeat_password": NEW_PASSWORD,
        },
    )

    assert response.status_code == 400 and "Wrong username, password or code" in response.content.decode()
    assert User.objects.get(username="alex").check_password(alex.password)


def test_a_wrong_recovery_code_gets_the_same_answer_as_an_unknown_user(alex):
    wrong = Client().post(
        "/staff/sign-in/recover/",
        {
            "username": "alex",
            "recovery_code": "0000-0000-0000-0000-0000-0000-0000-0000",
            "code": alex.code(),
            "new_password": NEW_PASSWORD,
            "repeat_password": NEW_PASSWORD,
        },
    )
    unknown = Client().post(
        "/staff/sign-in/recover/",
        {
            "username": "nobody",
            "recovery_code": alex.recovery_code,
            "code": alex.code(),
            "new_password": NEW_PASSWORD,
            "repeat_password": NEW_PASSWORD,
        },
    )

    assert wrong.status_code == unknown.status_code == 400
    assert (
        "Wrong username, password or code" in wrong.content.decode()
        and "Wrong username, password or code" in unknown.content.decode()
    )


def test_a_lost_authenticator_is_replaced_with_the_password_and_the_recovery_code(alex):
    tip, _receipt = make_tip("general", "still readable with the new phone")
    client = Client()

    step_one = client.post(
        "/staff/sign-in/new-authenticator/",
        {
            "username": "alex",
            "password": alex.password,
            "recovery_code": alex.recovery_code,
        },
    )
    page = client.get("/staff/sign-in/new-authenticator/enrol/").content.decode()
    secret = re.search(r'<code class="secret">([^<]+)</code>', page).group(1).replace(" ", "")
    import base64

    new_phone = TOTP(base64.b32decode(secret))
    done = client.post("/staff/sign-in/new-authenticator/enrol/", {"code": f"{new_phone.token():06d}"})

    assert step_one.status_code == 302 and done.status_code == 200
    assert "still readable with the new phone" in client.get(f"/staff/tips/{tip.pk}/").content.decode()
    old_phone_client = Client()
    User.objects.filter(username="alex").update(totp_last_step=0)
    assert (
        sign_in_with(old_phone_client, "alex", alex.password, alex.code(0)).status_code == 400
    )  # the old phone's codes are dead
    assert AuditEntry.objects.filter(actor="alex", action="authenticator-replaced").exists()


def test_a_password_is_changed_from_the_staff_pages_and_other_sessions_end(alex):
    this_session, other_session = sign_in(alex), sign_in(alex, Client())

    wrong = this_session.post(
        "/staff/password/",
        {"current_password": "not it", "new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD},
    )
    changed = this_session.post(
        "/staff/password/",
        {"current_password": alex.password, "new_password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD},
    )

    assert wrong.status_code == 400 and "This is not your current password." in wrong.content.decode()
    assert changed.status_code == 200 and "Your password is changed" in changed.content.decode()
    assert this_session.get("/staff/inbox/").status_code == 200
    assert other_session.get("/staff/inbox/").status_code == 302
    user = User.objects.get(username="alex")
    assert user.check_password(NEW_PASSWORD)
    from tipline.crypto import recipient_keys

    assert (
        recipient_keys.unwrap_with_password(user.private_key_by_password, NEW_PASSWORD, user.key_owner)
        == alex.private_key
    )
