"""The API alone, end to end: send a tip, read it as a recipient, reply, read the reply
with the receipt; errors in one shape with a stable code; tokens that can be revoked."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tipline.api.tests.conftest import bearer
from tipline.audit.models import AuditEntry
from tipline.core.models import Tip

pytestmark = pytest.mark.django_db


def send(client, slug="alpha", answers=None, files=None):
    data = {
        "answers": json.dumps(answers if answers is not None else {"tip": "The API works.", "when": "2099-01-01T10:00"})
    }
    if files:
        data["files"] = files
    return client.post(f"/api/v1/channels/{slug}/tips", data)


def test_submit_read_reply_and_read_the_reply_with_the_receipt(api_client, api_world):
    members, tokens = api_world

    channels = api_client.get("/api/v1/channels").json()
    sent = send(api_client, files=[SimpleUploadedFile("proof.txt", b"proof body")])
    receipt = sent.json()["receipt"]
    listed = api_client.get("/api/v1/tips", **bearer(tokens["alpha"])).json()
    tip_id = listed["items"][0]["id"]
    tip = api_client.get(f"/api/v1/tips/{tip_id}", **bearer(tokens["alpha"])).json()
    file_id = tip["files"][0]["id"]
    download = api_client.get(f"/api/v1/tips/{tip_id}/files/{file_id}", **bearer(tokens["alpha"]))
    replied = api_client.post(
        f"/api/v1/tips/{tip_id}/replies",
        json.dumps({"text": "Thank you. Which building?", "purpose": "acknowledgement"}),
        content_type="application/json",
        **bearer(tokens["alpha"]),
    )
    followed = api_client.post(
        "/api/v1/followup", json.dumps({"receipt": receipt}), content_type="application/json"
    ).json()
    answered = api_client.post("/api/v1/followup/messages", {"receipt": receipt, "text": "Building C."})

    assert [channel["slug"] for channel in channels] == ["alpha", "beta"]
    assert [field["key"] for field in channels[0]["fields"]] == ["tip", "when", "files"]
    assert sent.status_code == 201 and sent.json()["files"][0]["name"] == "proof.txt"
    assert listed["items"][0]["deadline"].startswith("2099-01-01T10:00")
    assert {answer["key"]: answer["value"] for answer in tip["answers"]}["tip"] == "The API works."
    assert b"".join(download.streaming_content) == b"proof body"
    assert replied.status_code == 201
    assert [message["text"] for message in followed["messages"]] == ["Thank you. Which building?"]
    assert "sender" not in followed["messages"][0]  # the tipster hears from the team
    assert followed["expected_answers"][0]["done"] is not None
    assert answered.status_code == 201
    assert Tip.objects.get().message_count == 2 and Tip.objects.get().unread_by_recipients
    reread = api_client.get(f"/api/v1/tips/{tip_id}", **bearer(tokens["alpha"])).json()
    assert [(message["author"], message["sender"]) for message in reread["messages"]] == [
        ("recipient", "ana"),
        ("tipster", ""),
    ]
    assert set(AuditEntry.objects.filter(actor="ana").values_list("action", flat=True)) >= {
        "tip-opened",
        "file-downloaded",
        "reply-sent",
    }


def test_triage_through_the_api_is_audited(api_client, api_world):
    members, tokens = api_world
    send(api_client)
    tip_id = Tip.objects.get().id

    response = api_client.patch(
        f"/api/v1/tips/{tip_id}",
        json.dumps({"status": "in_review", "labels": ["Urgent"], "assignee": "ana"}),
        content_type="application/json",
        **bearer(tokens["alpha"]),
    )

    assert response.status_code == 200
    assert response.json()["status"] == "in_review" and response.json()["labels"] == ["urgent"]
    assert response.json()["assignee"] == "ana"
    assert AuditEntry.objects.filter(action="status-changed", actor="ana").exists()


@pytest.mark.parametrize(
    ("answers", "status", "code", "field"),
    [
        ({"when": "2099-01-01T10:00"}, 400, "invalid", "tip"),
        ({"tip": "x", "when": "soon"}, 400, "invalid", "when"),
        ({"tip": "my receipt 0482 1937 5520 8813 6409 7277"}, 400, "invalid", "tip"),
    ],
)
def test_a_bad_tip_gets_one_error_shape_naming_the_field(api_client, api_world, answers, status, code, field):
    response = send(api_client, answers=answers)

    assert response.status_code == status
    body = response.json()
    assert body["code"] == code and body["field"] == field and body["message"]
    assert Tip.objects.count() == 0


def test_answers_that_are_not_json_are_refused(api_client, api_world):
    response = api_client.post("/api/v1/channels/alpha/tips", {"answers": "{not json"})

    assert response.status_code == 400 and response.json()["field"] == "answers"


def test_receipt_errors_are_told_apart(api_client, api_world):
    def follow(receipt):
        return api_client.post("/api/v1/followup", json.dumps({"receipt": receipt}), content_type="application/json")

    assert follow("1234").json()["code"] == "receipt_malformed"
    assert follow("0482 1937 5520 8813 6409 7278").json()["code"] == "receipt_typo"
    unknown = follow("0482 1937 5520 8813 6409 7277")
    assert unknown.status_code == 404 and unknown.json()["code"] == "receipt_unknown"


def test_the_api_shares_the_pages_submission_limits(api_client, api_world, settings):
    settings.SUBMISSIONS_PER_MINUTE_PER_CHANNEL = 1
    send(api_client)

    response = send(api_client)

    assert response.status_code == 429 and response.json()["code"] == "rate_limited"
    assert "Retry-After" in response.headers


def test_revoked_expired_and_forged_tokens_are_refused(api_client, api_world):
    from django.utils import timezone

    from tipline.accounts.models import ApiToken

    members, tokens = api_world
    token_id = tokens["alpha"].split(".")[1]
    forged = tokens["alpha"][:-4] + ("AAAA" if not tokens["alpha"].endswith("AAAA") else "BBBB")

    assert api_client.get("/api/v1/tips", **bearer(tokens["alpha"])).status_code == 200
    assert api_client.get("/api/v1/tips", **bearer(forged)).json()["code"] == "unauthenticated"
    ApiToken.objects.filter(pk=token_id).update(expires_at=timezone.now())
    assert api_client.get("/api/v1/tips", **bearer(tokens["alpha"])).status_code == 401
    assert api_client.get("/api/v1/tips", **bearer("tl1.nonsense.x")).status_code == 401


def test_tokens_are_created_shown_once_and_revoked_in_the_ui(api_world):
    from tipline.accounts.models import ApiToken
    from tipline.testing.staff import sign_in

    members, _ = api_world
    ana = sign_in(members["alpha"])

    page = ana.post("/staff/api-tokens/", {"name": "sync", "days": 7}).content.decode()
    token = ApiToken.objects.get(name="sync")
    secret = page.split("<code>")[1].split("</code>")[0]
    from django.test import Client

    works = Client().get("/api/v1/tips", **bearer(secret)).status_code
    ana.post(f"/staff/api-tokens/{token.id}/revoke/")
    after = Client().get("/api/v1/tips", **bearer(secret)).status_code

    assert works == 200 and after == 401
    assert secret not in ana.get("/staff/api-tokens/").content.decode()
    assert secret.split(".")[2].encode() not in bytes(token.sealed_private_key)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("2030-01-15T06:00", "2030-01-15T11:00:00+00:00"),  # no offset: the channel's zone, as on the form
        ("2030-01-15T06:00+01:00", "2030-01-15T05:00:00+00:00"),  # an explicit offset is taken as given
        ("2030-01-15T06:00Z", "2030-01-15T06:00:00+00:00"),
    ],
)
def test_an_api_deadline_is_read_in_the_channels_time_zone_unless_it_names_an_offset(
    api_client, api_world, typed, stored
):
    from tipline.core.models import Channel

    Channel.objects.filter(slug="alpha").update(time_zone="America/New_York")

    sent = send(api_client, answers={"tip": "Released Friday.", "when": typed})

    assert sent.status_code == 201, sent.content
    assert Tip.objects.get().deadline.isoformat() == stored


def test_the_channel_list_says_which_time_zone_its_times_are_read_in(api_client, api_world):
    from tipline.core.models import Channel

    Channel.objects.filter(slug="alpha").update(time_zone="America/New_York")

    channels = {channel["slug"]: channel for channel in api_client.get("/api/v1/channels").json()}

    assert channels["alpha"]["time_zone"] == "America/New_York" and channels["beta"]["time_zone"] == "UTC"


def test_a_recipient_sets_corrects_and_removes_a_deadline_through_the_api(api_client, api_world):
    from tipline.core.models import Channel

    members, tokens = api_world
    Channel.objects.filter(slug="alpha").update(time_zone="America/New_York")
    send(api_client, answers={"tip": "No date given."})
    tip_id = str(Tip.objects.get().pk)

    def patch(body):
        return api_client.patch(
            f"/api/v1/tips/{tip_id}", json.dumps(body), content_type="application/json", **bearer(tokens["alpha"])
        )

    set_local = patch({"deadline": "2030-01-15T06:00"})
    stored = Tip.objects.get().deadline.isoformat()
    kept = patch({"status": "in_review"})
    removed = patch({"deadline": None})
    refused = patch({"deadline": "0001-01-01T00:00"})
    at_the_calendars_end = patch({"deadline": "9999-12-31T23:00"})

    assert set_local.status_code == 200 and stored == "2030-01-15T11:00:00+00:00"
    assert kept.status_code == 200 and removed.status_code == 200 and Tip.objects.get().deadline is None
    assert refused.status_code == 400 and refused.json()["field"] == "deadline"
    assert at_the_calendars_end.status_code == 400 and at_the_calendars_end.json()["field"] == "deadline"
    assert AuditEntry.objects.filter(action="deadline-changed", actor="ana").count() == 2


@pytest.mark.parametrize("answers", ['{"tip": ' + "9" * 5000 + "}", "[" * 100_000 + "]" * 100_000])
def test_answers_with_an_endless_number_or_nesting_are_refused_not_a_500(api_client, api_world, answers):
    response = api_client.post("/api/v1/channels/alpha/tips", {"answers": answers})

    assert response.status_code == 400 and response.json()["field"] == "answers"
