"""Who may do what: every casework and admin URL against anonymous visitors, a tipster's
session, a recipient of channel A, a recipient of channel B and an admin who receives
no channel. A stranger to a tip gets 404, so tip ids reveal nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tipline.core.models import Tip
from tipline.intake.tests.helpers import post_tip, receipt_in
from tipline.testing.staff import make_staff

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "tipster", "recipient_a", "recipient_b", "admin"]
SIGN_IN, OK, DENIED = "sign-in", "ok", "denied"

# (method, path template, expected per role in ROLES order)
TIP_PAGE = [SIGN_IN, SIGN_IN, OK, DENIED, DENIED]
ADMIN_PAGE = [SIGN_IN, SIGN_IN, DENIED, DENIED, OK]
MATRIX = [
    ("get", "/staff/inbox/", [SIGN_IN, SIGN_IN, OK, OK, OK]),
    ("get", "/staff/tips/{tip}/", TIP_PAGE),
    ("post", "/staff/tips/{tip}/reply/", TIP_PAGE),
    ("post", "/staff/tips/{tip}/note/", TIP_PAGE),
    ("post", "/staff/tips/{tip}/triage/", TIP_PAGE),
    ("post", "/staff/tips/{tip}/grant/", TIP_PAGE),
    ("post", "/staff/tips/{tip}/export/", TIP_PAGE),
    ("get", "/staff/tips/{tip}/destroy/", TIP_PAGE),
    (
        "post",
        "/staff/tips/{tip}/destroy/",
        TIP_PAGE,
    ),  # recipient A destroys it: the later roles find nothing either way
    ("get", "/staff/tips/{tip}/files/{file}/", TIP_PAGE),
    ("get", "/staff/admin/", ADMIN_PAGE),
    ("get", "/staff/admin/users/", ADMIN_PAGE),
    ("post", "/staff/admin/users/ana/disable/", ADMIN_PAGE),
    ("get", "/staff/admin/channels/", ADMIN_PAGE),
    ("get", "/staff/admin/channels/new/", ADMIN_PAGE),
    ("get", "/staff/admin/channels/alpha/", ADMIN_PAGE),
    ("get", "/staff/admin/channels/alpha/export.yaml", ADMIN_PAGE),
    ("get", "/staff/admin/audit/", ADMIN_PAGE),
]
POST_DATA = {
    "reply": {"text": "a reply"},
    "note": {"text": "a note"},
    "triage": {"status": "in_review", "labels": "", "assignee": ""},
    "grant": {"grantee": "cy"},
    "destroy": {"confirm": "on"},
}


@pytest.fixture
def world(signed_in):
    tipster = Client()
    response = post_tip(tipster, "alpha", {"answer-tip": "for alpha"}, files=[SimpleUploadedFile("a.txt", b"a")])
    tipster.post("/check/", {"receipt": receipt_in(response)})
    tip = Tip.objects.get()
    make_staff("cy", ["alpha"])  # joined after the tip arrived: someone to grant access to
    clients = {
        "anonymous": Client(),
        "tipster": tipster,
        "recipient_a": signed_in["alpha"],
        "recipient_b": signed_in["beta"],
        "admin": signed_in["admin"],
    }
    return clients, {"tip": tip.id, "file": tip.attachments.get().id}


def outcome(response) -> str:
    if response.status_code == 302 and response.headers["Location"].startswith("/staff/sign-in/"):
        return SIGN_IN
    if response.status_code in (403, 404):
        return DENIED
    if response.status_code in (200, 302):
        return OK
    return f"unexpected {response.status_code}"


@pytest.mark.parametrize(("method", "path", "expected"), MATRIX, ids=[f"{m} {p}" for m, p, _ in MATRIX])
def test_every_url_allows_and_denies_as_expected(world, method, path, expected):
    clients, ids = world
    url = path.format(**ids)
    data = next((value for key, value in POST_DATA.items() if url.endswith(f"/{key}/")), {})

    results = {role: outcome(getattr(clients[role], method)(url, data)) for role in ROLES}

    assert results == dict(zip(ROLES, expected, strict=True))
