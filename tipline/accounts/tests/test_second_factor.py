"""The second factor cannot be guessed: a few wrong codes end the half-signed-in state and
pause the account's code step for longer each time; the half-signed-in state has a fixed
lifetime; the audit log gets one entry per lockout, not one per guess."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tipline.accounts import signin
from tipline.accounts.models import User
from tipline.audit.models import AuditEntry
from tipline.testing.staff import make_staff

pytestmark = pytest.mark.django_db


def password_step(client: Client, member) -> None:
    response = client.post("/staff/sign-in/", {"username": member.user.username, "password": member.password})
    assert response.status_code == 302, response.content.decode()[:300]


def wrong_code(member) -> str:
    right = member.code(0)
    return "000000" if right != "000000" else "111111"


def test_a_few_wrong_codes_end_the_half_signed_in_state_and_the_right_code_no_longer_works(demo_channels):
    member = make_staff("alex", ["general"])
    client = Client()
    password_step(client, member)

    statuses = [
        client.post("/staff/sign-in/code/", {"code": wrong_code(member)}).status_code
        for _ in range(signin.CODE_FAILURES_ALLOWED)
    ]
    after = client.post("/staff/sign-in/code/", {"code": member.code()})

    assert statuses == [400] * (signin.CODE_FAILURES_ALLOWED - 1) + [
        302
    ]  # the last one sends back to the password step
    assert after.status_code == 302 and after.headers["Location"].startswith("/staff/sign-in/")
    assert client.get("/staff/inbox/").status_code == 302  # not signed in


def test_a_locked_account_waits_longer_after_each_lockout_even_with_the_password(demo_channels):
    member = make_staff("alex", ["general"])
    pauses = []
    for _lockout in range(2):
        User.objects.filter(pk=member.user.pk).update(code_locked_until=None)
        client = Client()
        password_step(client, member)
        for _ in range(signin.CODE_FAILURES_ALLOWED):
            client.post("/staff/sign-in/code/", {"code": wrong_code(member)})
        user = User.objects.get(pk=member.user.pk)
        pauses.append(user.code_locked_until - timezone.now())

    again = Client().post("/staff/sign-in/", {"username": "alex", "password": member.password})

    assert pauses[0] > timedelta(seconds=20) and pauses[1] > pauses[0] * 1.8
    assert again.status_code == 429 and "Please wait" in again.content.decode()


def test_guesses_leave_one_audit_entry_per_lockout(demo_channels):
    member = make_staff("alex", ["general"])
    client = Client()
    password_step(client, member)
    before = AuditEntry.objects.count()

    for _ in range(signin.CODE_FAILURES_ALLOWED):
        client.post("/staff/sign-in/code/", {"code": wrong_code(member)})

    added = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))[before:]
    assert added == ["second-factor-locked"]


def test_the_half_signed_in_state_expires(demo_channels, settings):
    member = make_staff("alex", ["general"])
    client = Client()
    password_step(client, member)
    session = client.session
    session[signin.PENDING_SINCE] = (
        timezone.now() - timedelta(seconds=settings.SIGN_IN_CODE_WINDOW_SECONDS + 1)
    ).timestamp()
    session.save()

    response = client.post("/staff/sign-in/code/", {"code": member.code()})

    assert response.status_code == 302 and response.headers["Location"].startswith("/staff/sign-in/")
    assert client.get("/staff/inbox/").status_code == 302


def test_a_right_code_after_a_wrong_one_signs_in_and_clears_the_count(demo_channels):
    member = make_staff("alex", ["general"])
    client = Client()
    password_step(client, member)

    client.post("/staff/sign-in/code/", {"code": wrong_code(member)})
    right = client.post("/staff/sign-in/code/", {"code": member.code()})

    assert right.status_code == 302 and right.headers["Location"] == "/staff/inbox/"
    assert User.objects.get(pk=member.user.pk).code_failures == 0


def test_a_forged_passkey_answer_is_refused_and_counts_toward_the_lockout(demo_channels):
    import json

    from tipline.accounts.models import Passkey

    member = make_staff("alex", ["general"])
    Passkey.objects.create(user=member.user, name="key", credential_id=b"k" * 16, public_key=b"not a key")
    client = Client()
    password_step(client, member)
    forged = {
        "credential": {
            "id": "a2tra2tra2tra2tra2traw",
            "rawId": "a2tra2tra2tra2tra2traw",
            "type": "public-key",
            "response": {},
        }
    }

    answers = []
    for _ in range(signin.CODE_FAILURES_ALLOWED):
        client.post("/staff/sign-in/passkey/options/")  # a fresh challenge each time, as a browser would
        answers.append(client.post("/staff/sign-in/passkey/", json.dumps(forged), content_type="application/json"))

    assert all(answer.status_code == 400 for answer in answers)
    assert answers[-1].json()["next"] == "/staff/sign-in/?locked=1"
    assert client.get("/staff/inbox/").status_code == 302
    assert User.objects.get(pk=member.user.pk).code_locked_until is not None
