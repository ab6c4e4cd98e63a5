"""Members and issuance: one-time codes, N tokens per period, the current key only, and a
member credential that opens nothing but issuance."""

import pytest
from django.test import Client

from tipline.insider import issuance, members
from tipline.insider.models import IssuanceCount, Member
from tipline.insider.tests.conftest import fetch
from tipline.members.protocol import token_request


def test_members_from_a_list_get_one_code_each_and_repeats_are_skipped(organisation):
    codes = members.add_members(organisation, members.references_from_list("officer 1\n\n officer 2 \nofficer 1\n"))
    assert [code.reference for code in codes] == ["officer 1", "officer 2"]
    assert len({code.code for code in codes}) == 2
    assert members.add_members(organisation, ["officer 2", "officer 3"])[0].reference == "officer 3"
    assert not Member.objects.filter(code_hash=None).exclude(credential_hash=None).exists()


def test_a_sign_in_code_works_once_and_is_typed_forgivingly(organisation):
    code = members.add_members(organisation, ["officer 7"])[0].code
    credential = members.activate(organisation.slug, code.lower().replace("-", " "))
    assert members.member_with(credential).reference == "officer 7"
    with pytest.raises(members.UnknownCode):
        members.activate(organisation.slug, code)
    with pytest.raises(members.UnknownCode):
        members.activate("another-organisation", code)


def test_a_new_code_ends_the_old_credential(member):
    client_credential = members.activate(member.organisation.slug, members.new_code(member).code)
    assert members.member_with(client_credential) == member
    members.new_code(member)
    assert members.member_with(client_credential) is None


def test_each_member_gets_exactly_n_tokens_per_period_and_the_count_is_all_that_is_kept(member):
    assert len(fetch(member, count=3)) == 3
    assert len(fetch(member, count=2)) == 2
    with pytest.raises(issuance.AllFetched):
        fetch(member, count=1)
    count = IssuanceCount.objects.get(member=member)
    assert count.count == 5
    assert {field.name for field in IssuanceCount._meta.get_fields()} == {"id", "member", "epoch", "count"}


def test_a_request_for_another_periods_key_is_told_to_fetch_again(member, organisation):
    from tipline.insider.keys import ensure_keys

    next_key = ensure_keys(organisation)[1]
    request = token_request(bytes(next_key.key_id), bytes(256))
    with pytest.raises(issuance.EpochChanged):
        issuance.issue(member, [request])
    assert not IssuanceCount.objects.exists()


def test_junk_requests_are_refused_without_counting(member):
    for junk in (b"", b"\x00\x02" + bytes(10), b"\x00\x01" + bytes(257)):
        with pytest.raises(issuance.IssuanceRefused):
            issuance.issue(member, [junk])
    assert not IssuanceCount.objects.exists()


def test_a_member_credential_opens_no_tip_and_no_staff_page(member, channel):
    credential = members.activate(member.organisation.slug, members.new_code(member).code)
    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {credential}"}
    assert client.get("/api/v1/tips", **headers).status_code == 401
    assert client.get("/staff/inbox/", **headers).status_code == 302  # to the sign-in page
    keys_answer = client.get(f"/api/v1/insiders/{member.organisation.slug}/keys")
    assert keys_answer.status_code == 200 and len(keys_answer.json()["keys"]) == 3


def test_activation_refuses_malformed_input_with_a_message_not_a_server_error(organisation):
    for body in ({"organisation": "police\u0000", "code": "ABCD"}, {"organisation": "police", "code": "AB\u0000CD"}):
        answer = Client().post("/api/v1/insiders/activate", body, content_type="application/json")
        assert answer.status_code == 400 and answer.json()["code"] == "invalid"
    wrong = Client().post(
        "/api/v1/insiders/activate", {"organisation": "police", "code": "ABCD-EFGH"}, content_type="application/json"
    )
    assert wrong.status_code == 401 and wrong.json()["code"] == "code_unknown"
