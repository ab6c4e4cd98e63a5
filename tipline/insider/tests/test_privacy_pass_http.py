"""The standard's HTTP layer (RFC 9578 directory and binary issuance, RFC 9577 header and
challenge), driven as a standard client would: only the bytes the RFCs define, learned
from the directory and WWW-Authenticate, never Tipline's JSON."""

import base64
import hashlib
import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tipline.core.models import Tip
from tipline.insider import epochs, keys, members, redemption
from tipline.insider.models import IssuanceCount
from tipline.insider.tests.conftest import fetch, make_channel, make_organisation, periods_ago
from tipline.members.protocol import PendingToken, public_key_from_spki

pytestmark = pytest.mark.django_db


def b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def credential_for(organisation, reference="officer 2001") -> str:
    code = members.add_members(organisation, [reference])[0].code
    return members.activate(organisation.slug, code)


def challenge_of(response) -> dict[str, bytes]:
    header = response.headers["WWW-Authenticate"]
    assert header.startswith("PrivateToken ")
    return {name: b64decode(value) for name, value in re.findall(r'([\w-]+)="([^"]*)"', header)}


def send_through_api(client, channel, **headers):
    return client.post(
        f"/api/v1/channels/{channel.slug}/tips",
        {"answers": json.dumps({"tip": "The armoury log is altered."})},
        headers=headers,
    )


def test_the_directory_lists_the_keys_issuing_now_and_next_with_the_request_uri(client, organisation):
    response = client.get(f"/.well-known/private-token-issuer-directory/{organisation.slug}")

    assert response.status_code == 200 and response["Content-Type"] == "application/private-token-issuer-directory"
    assert "max-age=" in response["Cache-Control"]
    directory = json.loads(response.content)
    assert directory["issuer-request-uri"] == f"http://testserver/api/v1/insiders/{organisation.slug}/token-request"
    published = keys.ensure_keys(organisation)
    assert [entry["token-key"] for entry in directory["token-keys"]] == [
        base64.urlsafe_b64encode(bytes(key.public_key)).decode() for key in published
    ]
    assert all(entry["token-type"] == 2 for entry in directory["token-keys"])
    current = epochs.current(organisation.epoch_seconds)
    assert directory["token-keys"][0]["not-before"] == int(current.starts.timestamp())


def test_the_bare_directory_serves_a_lone_organisation_and_asks_for_a_name_among_several(client, organisation):
    assert client.get("/.well-known/private-token-issuer-directory").status_code == 200
    make_organisation("customs", "Customs")
    assert client.get("/.well-known/private-token-issuer-directory").status_code == 404
    assert client.get("/.well-known/private-token-issuer-directory/nobody").status_code == 404


def test_a_standard_client_learns_the_challenge_is_issued_in_binary_and_its_token_is_accepted(client, organisation):
    channel = make_channel(organisation, mode="required")
    refused = send_through_api(client, channel)
    assert refused.status_code == 401 and refused.json()["code"] == "token_required"
    challenge = challenge_of(refused)
    directory = json.loads(client.get(f"/.well-known/private-token-issuer-directory/{organisation.slug}").content)
    assert challenge["token-key"] == b64decode(directory["token-keys"][0]["token-key"])

    spki = challenge["token-key"]
    key_id = hashlib.sha256(spki).digest()
    pending = PendingToken.start(public_key_from_spki(spki), key_id, challenge["challenge"])
    issued = client.post(
        directory["issuer-request-uri"],
        pending.request,
        content_type="application/private-token-request",
        headers={
            "Authorization": f"Bearer {credential_for(organisation)}",
            "Accept": "application/private-token-response",
        },
    )
    assert issued.status_code == 200, issued.content
    assert issued["Content-Type"] == "application/private-token-response"
    token = pending.finish(public_key_from_spki(spki), challenge["challenge"], key_id, issued.content)
    next_period = timezone.now() + timedelta(seconds=organisation.epoch_seconds)
    assert (
        redemption.check(organisation, token.to_text(), now=next_period).epoch
        == epochs.current(organisation.epoch_seconds).number
    )


def test_binary_issuance_counts_against_the_same_tokens_per_period(client, organisation):
    credential = credential_for(organisation)
    key = keys.ensure_keys(organisation)[0]
    public = public_key_from_spki(bytes(key.public_key))
    address = f"/api/v1/insiders/{organisation.slug}/token-request"

    def request_one():
        pending = PendingToken.start(public, bytes(key.key_id), bytes(key.challenge))
        return client.post(
            address,
            pending.request,
            content_type="application/private-token-request",
            headers={"Authorization": f"Bearer {credential}"},
        )

    assert [request_one().status_code for _ in range(organisation.tokens_per_epoch)] == [
        200
    ] * organisation.tokens_per_epoch
    over = request_one()
    assert over.status_code == 409 and over.json()["code"] == "all_fetched"
    assert IssuanceCount.objects.get().count == organisation.tokens_per_epoch


def test_binary_issuance_refuses_other_bodies_and_strangers(client, organisation):
    credential = credential_for(organisation)
    address = f"/api/v1/insiders/{organisation.slug}/token-request"
    as_json = client.post(
        address, {"requests": []}, content_type="application/json", headers={"Authorization": f"Bearer {credential}"}
    )
    assert as_json.status_code == 415
    short = client.post(
        address,
        b"\x00\x02\x01",
        content_type="application/private-token-request",
        headers={"Authorization": f"Bearer {credential}"},
    )
    assert short.status_code == 400
    nobody = client.post(address, b"\x00\x02", content_type="application/private-token-request")
    assert nobody.status_code == 401
    assert not IssuanceCount.objects.exists()


def test_the_private_token_header_carries_a_token_into_a_tip(client, organisation, member):
    channel = make_channel(organisation, mode="required")
    token = fetch(member, periods_ago(organisation, 1), count=1)[0]
    encoded = base64.urlsafe_b64encode(token.to_bytes()).decode()

    sent = send_through_api(client, channel, Authorization=f'PrivateToken token="{encoded}"')

    assert sent.status_code == 201, sent.content
    assert Tip.objects.get().insider_organisation == organisation
    again = send_through_api(client, channel, Authorization=f"PrivateToken token={encoded.rstrip('=')}")
    assert again.status_code == 400 and again.json()["code"] == "token_spent"


def test_a_damaged_or_doubled_header_is_refused_before_anything_is_stored(client, organisation, member, token_text):
    channel = make_channel(organisation, mode="optional")
    damaged = send_through_api(client, channel, Authorization='PrivateToken token="AAAA"')
    assert damaged.status_code == 400 and damaged.json()["code"] == "token_malformed"
    encoded = token_text.removeprefix("tipv1:")
    doubled = client.post(
        f"/api/v1/channels/{channel.slug}/tips",
        {"answers": json.dumps({"tip": "x"}), "insider_token": token_text},
        headers={"Authorization": f"PrivateToken token={encoded}"},
    )
    assert doubled.status_code == 400 and doubled.json()["field"] == "insider_token"
    assert not Tip.objects.exists()
