"""Where the proxy passes the client's address, each client has short buckets of its own:
one client's flood is held off while others get through. The address is never stored:
buckets are named by a keyed hash whose key lives in memory and changes every hour."""

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tipline.intake.tests.helpers import post_tip

pytestmark = pytest.mark.django_db
FLOODER, OTHER = "203.0.113.77", "198.51.100.9"


@pytest.fixture
def per_client(settings):
    settings.CLIENT_ADDRESS_HEADER = "X-Real-IP"
    settings.PER_CLIENT_PER_MINUTE = 3


def from_address(address: str) -> Client:
    return Client(HTTP_X_REAL_IP=address)


def test_one_clients_flood_of_tips_does_not_hold_off_another(per_client, recipient_keys):
    flood = [post_tip(from_address(FLOODER), "general", {"answer-tip": f"junk {n}"}).status_code for n in range(5)]

    other = post_tip(from_address(OTHER), "general", {"answer-tip": "a real tip"})

    assert flood == [200, 200, 200, 429, 429]
    assert other.status_code == 200


def test_one_clients_receipt_guesses_do_not_hold_off_another(per_client, recipient_keys):
    from tipline.crypto import receipts

    receipt = receipts.new_receipt()
    guesses = [from_address(FLOODER).post("/check/", {"receipt": receipts.new_receipt()}).status_code for _ in range(5)]

    other = from_address(OTHER).post("/check/", {"receipt": receipt})

    assert guesses == [404, 404, 404, 429, 429]
    assert other.status_code == 404  # looked up, not held off


def test_one_clients_sign_in_flood_does_not_lock_out_staff_elsewhere(per_client, demo_channels):
    from tipline.testing.staff import make_staff

    member = make_staff("alex", ["general"])
    flood = [
        from_address(FLOODER).post("/staff/sign-in/", {"username": f"x{n}", "password": "guess"}).status_code
        for n in range(5)
    ]

    real = from_address(OTHER).post("/staff/sign-in/", {"username": "alex", "password": member.password})

    assert flood == [400, 400, 400, 429, 429]
    assert real.status_code == 302


def test_no_address_reaches_the_shared_cache(per_client, recipient_keys):
    post_tip(from_address(FLOODER), "general", {"answer-tip": "x"})

    stored = b"".join(path.read_bytes() for path in Path(settings.RUNTIME_DIR).rglob("*") if path.is_file())
    assert stored and FLOODER.encode() not in stored


def test_without_the_header_nothing_is_counted_per_client(recipient_keys, settings):
    settings.PER_CLIENT_PER_MINUTE = 1  # no CLIENT_ADDRESS_HEADER: behind Tor every client looks alike

    statuses = [post_tip(from_address(FLOODER), "general", {"answer-tip": f"tip {n}"}).status_code for n in range(3)]

    assert statuses == [200, 200, 200]
