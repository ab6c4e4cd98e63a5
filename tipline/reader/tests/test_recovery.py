"""The organisation recovery key end to end (issue 32): a reset of a tip's last reader no
longer strands it. `tipline-reader recover`, run against a running tip line with an admin's
token and the private key file, grants the tip again to the reader's new key; the API takes
only admins' tokens and grants only to whoever may hold the tip; the key file never leaves."""

import base64
import json
import secrets
import urllib.request

import pytest
from django.test import Client
from django.urls import reverse

from tipline.accounts import signin
from tipline.accounts.models import User
from tipline.accounts.services import reset_with_one_time_password
from tipline.accounts.tokens import create_token
from tipline.casework import services
from tipline.casework.admin_services import reset_user
from tipline.core import readers, recovery
from tipline.core.channel_schema import import_channel, parse_document
from tipline.core.conversation import Answer
from tipline.core.models import Channel, RecoveryKey, Tip, TipKeyGrant
from tipline.core.submission import submit_tip
from tipline.crypto import recipient_keys, recovery_keys
from tipline.crypto.encoding import b64
from tipline.reader import cli
from tipline.testing.staff import make_staff, make_tip, sign_in

DESK = (
    "slug: desk\nname: Desk\ntipsters_may_leave_out: true\nfields:\n  - {key: tip, kind: long_text, label: Your tip}\n"
)
OTHER = "slug: other\nname: Other\nfields:\n  - {key: tip, kind: long_text, label: Your tip}\n"
TIP_TEXT = "The depot manager sells the seized fuel on Sundays."


@pytest.fixture
def office(transactional_db, tmp_path, monkeypatch):
    """Desk (ana and ben read it, tipsters may leave one out), another channel (cy), an admin
    (ada) who reads no channel, and a recovery key made by the command on ada's computer."""
    import_channel(parse_document(DESK))
    import_channel(parse_document(OTHER))
    people = {name: make_staff(name, ["desk"]) for name in ("ana", "ben")}
    people["cy"] = make_staff("cy", ["other"])
    people["ada"] = make_staff("ada", admin=True)
    monkeypatch.setenv("TIPLINE_INSECURE_FAST_KDF", "1")
    key_file = tmp_path / "recovery.key"
    assert cli_tipline("recovery-key", "new", str(key_file)) == 0
    recovery.install("command line", recovery_keys.read_public_key((tmp_path / "recovery.key.pub").read_text()))
    tokens = {name: token_of(person) for name, person in people.items()}
    return people, tokens, key_file


def token_of(person) -> str:
    return create_token(person.user, person.private_key, "script", 1).secret_string


def cli_tipline(*arguments: str) -> int:
    from tipline.cli import main

    return main(list(arguments))


def send_leaving_out(person) -> Tip:
    answers = [Answer(key="tip", label="Your tip", kind="long_text", value=TIP_TEXT)]
    channel = Channel.objects.get(slug="desk")
    sent = submit_tip(channel, answers, None, [], secrets.token_hex(8), left_out=frozenset({person.user.pk}))
    return Tip.objects.get(pk=sent.tip_id)


def reset_and_sign_in_again(person) -> bytes:
    """An admin's reset, then the person's first sign-in with the one-time password: their new private key."""
    login = reset_user("ada", person.user, typed=None)  # recoverable: nothing to type
    user = User.objects.get(pk=person.user.pk)
    private_key = recipient_keys.unwrap_with_password(user.private_key_by_password, login.password, user.key_owner)
    secret = signin.new_totp_secret()
    from django_otp.oath import TOTP

    signin.activate(user, private_key, person.password, secret, f"{TOTP(secret).token():06d}")
    person.user, person.totp_secret, person.private_key = User.objects.get(pk=user.pk), secret, private_key
    return private_key


def recorded_requests(monkeypatch) -> list[urllib.request.Request]:
    """Every request the reader sends, as it goes out."""
    sent, real = [], urllib.request.urlopen

    def recording(request, *arguments, **options):
        sent.append(request)
        return real(request, *arguments, **options)

    monkeypatch.setattr(urllib.request, "urlopen", recording)
    return sent


def run_recover(*arguments: str, capsys) -> str:
    status = cli.main(["recover", *arguments])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    return captured.out


def test_a_tip_whose_last_reader_was_reset_is_granted_again_to_their_new_key(live_server, office, monkeypatch, capsys):
    people, tokens, key_file = office
    tip = send_leaving_out(people["ben"])  # ana alone reads it
    assert tip.recovery_key is not None

    new_key = reset_and_sign_in_again(people["ana"])
    assert not TipKeyGrant.objects.filter(tip=tip, lapsed=False).exists()  # stranded, but for the recovery key
    assert readers.unreadable_tips().filter(pk=tip.pk).exists()
    preferences = sign_in(people["ana"]).get(reverse("accounts:preferences")).content.decode()
    fingerprint = recovery_keys.account_fingerprint(bytes(people["ana"].user.public_key))
    assert fingerprint in preferences  # where ana reads it to the admin

    sent = recorded_requests(monkeypatch)
    monkeypatch.setenv("TIPLINE_READER_TOKEN", tokens["ada"])
    printed = run_recover(
        "--server",
        live_server.url,
        "--key",
        str(key_file),
        "--to",
        "ana",
        "--unreadable",
        "--fingerprint",
        fingerprint.lower(),
        capsys=capsys,
    )

    assert "Tips granted to ana: 1." in printed and fingerprint in printed
    opened = services.open_tip(people["ana"].user, new_key, tip.id)
    assert [answer.value for answer in opened.answers] == [TIP_TEXT]
    private = recovery_keys.read_private_key(key_file.read_text())
    for request in sent:  # the private half stays on the admin's computer
        body = request.data or b""
        for form in (key_file.read_text().strip(), b64(private), base64.b64encode(private).decode()):
            assert form.encode() not in body and form not in request.full_url
        assert private not in body
    assert {request.get_method() for request in sent} == {"GET", "POST"}


def test_a_fingerprint_that_does_not_match_seals_nothing(live_server, office, monkeypatch, capsys):
    people, tokens, key_file = office
    tip = send_leaving_out(people["ben"])
    reset_and_sign_in_again(people["ana"])
    monkeypatch.setenv("TIPLINE_READER_TOKEN", tokens["ada"])

    status = cli.main(
        [
            "recover",
            "--server",
            live_server.url,
            "--key",
            str(key_file),
            "--to",
            "ana",
            "--tip",
            tip.reference,
            "--fingerprint",
            "0000 0000 0000 0000 0000 0000 0000 0000",
        ]
    )

    assert status == 1 and "does not have the fingerprint you gave" in capsys.readouterr().err
    assert not TipKeyGrant.objects.filter(tip=tip, lapsed=False).exists()


def test_a_rotation_seals_every_tip_to_the_new_key_and_forgets_the_old_one(
    live_server,
    office,
    monkeypatch,
    capsys,
    tmp_path,
):
    people, tokens, old_file = office
    tips = [make_tip("desk")[0] for _ in range(3)]
    new_file = tmp_path / "recovery-2.key"
    assert cli_tipline("recovery-key", "new", str(new_file)) == 0
    assert cli_tipline("recovery-key", "install", str(new_file) + ".pub") == 0
    monkeypatch.setenv("TIPLINE_READER_TOKEN", tokens["ada"])

    printed = run_recover(
        "--server", live_server.url, "--key", str(old_file), "--reseal-to", f"{new_file}.pub", capsys=capsys
    )

    assert "Tips sealed again to the new recovery key" in printed and ": 3." in printed
    assert list(RecoveryKey.objects.values_list("generation", flat=True)) == [2]
    new_private = recovery_keys.read_private_key(new_file.read_text())
    for tip in tips:
        tip.refresh_from_db()
        assert tip.recovery_key.generation == 2
        ana_public = bytes(people["ana"].user.public_key)
        assert recovery_keys.reseal(bytes(tip.sealed_for_recovery_key), tip.crypto_id, new_private, ana_public)


def test_a_rotation_to_a_key_the_server_does_not_seal_to_is_refused(live_server, office, monkeypatch, capsys, tmp_path):
    people, tokens, old_file = office
    make_tip("desk")
    elsewhere = tmp_path / "not-installed.key"
    assert cli_tipline("recovery-key", "new", str(elsewhere)) == 0
    monkeypatch.setenv("TIPLINE_READER_TOKEN", tokens["ada"])

    status = cli.main(
        ["recover", "--server", live_server.url, "--key", str(old_file), "--reseal-to", f"{elsewhere}.pub"]
    )

    assert status == 1 and "is not the one in your new public key file" in capsys.readouterr().err


def api(token: str, method: str, path: str, body: dict | None = None):
    client = Client(headers={"Authorization": f"Bearer {token}"})
    if method == "GET":
        return client.get(f"/api/v1{path}")
    return client.post(f"/api/v1{path}", json.dumps(body), content_type="application/json")


def grant_body(tip: Tip, private_key: bytes, grantee) -> dict:
    box, public_key = bytes(tip.sealed_for_recovery_key), bytes(grantee.public_key)
    sealed = recovery_keys.reseal(box, tip.crypto_id, private_key, public_key)
    return {"grantee": grantee.username, "tips": [{"tip": str(tip.pk), "sealed_key": b64(sealed)}]}


def test_the_recovery_api_refuses_a_token_that_is_no_admins(office):
    people, tokens, key_file = office
    tip = send_leaving_out(people["ben"])
    private = recovery_keys.read_private_key(key_file.read_text())

    for path in ("/recovery/key", "/recovery/tips?unreadable=true", "/recovery/accounts/ana"):
        assert api(tokens["ana"], "GET", path).status_code == 403
    refused = api(tokens["ana"], "POST", "/recovery/grants", grant_body(tip, private, people["ana"].user))
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    assert api("tl1.not-a-token", "GET", "/recovery/key").status_code == 401


def test_the_recovery_api_grants_no_one_the_tipster_left_out_nor_anyone_outside_the_channel(office):
    people, tokens, key_file = office
    tip = send_leaving_out(people["ben"])
    private = recovery_keys.read_private_key(key_file.read_text())

    left_out = api(tokens["ada"], "POST", "/recovery/grants", grant_body(tip, private, people["ben"].user)).json()
    other_tip = make_tip("desk")[0]
    outside = api(tokens["ada"], "POST", "/recovery/grants", grant_body(other_tip, private, people["cy"].user)).json()

    assert left_out["granted"] == 0 and "its tipster left ben out" in left_out["refused"][0]["reason"]
    assert outside["granted"] == 0 and "cy is not a recipient of its channel" in outside["refused"][0]["reason"]
    assert not TipKeyGrant.objects.filter(tip=tip, recipient__username="ben").exists()
    assert not TipKeyGrant.objects.filter(recipient__username="cy").exists()
    listed = api(tokens["ada"], "GET", f"/recovery/tips?reference={tip.reference}").json()
    assert listed["items"] == []  # ana still reads it: ada, chosen by nobody, may not know of it
    reset_with_one_time_password(people["ana"].user)  # now nobody can: ada is shown it, to recover it
    listed = api(tokens["ada"], "GET", f"/recovery/tips?reference={tip.reference}").json()
    assert [item["reference"] for item in listed["items"]] == [tip.reference] and listed["items"][0]["restricted"]
    both = api(tokens["ada"], "GET", f"/recovery/tips?reference={tip.reference}&reference={other_tip.reference}").json()
    assert {item["reference"] for item in both["items"]} == {tip.reference, other_tip.reference}


def test_an_admin_the_tipster_left_out_finds_no_trace_of_the_tip_in_the_recovery_listing(office):
    people, tokens, _key_file = office
    dan = make_staff("dan", ["desk"], admin=True)
    tip = send_leaving_out(dan)
    dan_token = token_of(dan)
    for person in ("ana", "ben"):
        reset_with_one_time_password(people[person].user)  # nobody can read it now

    assert api(dan_token, "GET", "/recovery/tips").json()["items"] == []
    listed = api(tokens["ada"], "GET", "/recovery/tips").json()["items"]
    assert [item["reference"] for item in listed] == [tip.reference]


class ServerOffering:
    """A hostile server's answers: the tips it lists, whatever was asked; it records what it is sent."""

    def __init__(self, items: list[dict]):
        self.items, self.posted = items, []

    def get(self, path: str, **query) -> dict:
        return {"items": self.items, "next_cursor": None}

    def post(self, path: str, body: dict) -> dict:
        self.posted.append(body)
        return {"granted": len(body["tips"]), "refused": []}


def test_a_server_that_lists_tips_not_asked_for_gets_nothing_sealed_for_them():
    import uuid

    from tipline.crypto import tip_keys
    from tipline.reader import recovery as reader_recovery

    public_line, private_line = recovery_keys.new_key_pair()
    public, private = recovery_keys.read_public_key(public_line), recovery_keys.read_private_key(private_line)
    items = []
    for reference in ("T-AAAA-AAAA", "T-BBBB-BBBB"):
        tip_id = uuid.uuid4()
        keys = tip_keys.SealedKeys(tip_key=tip_keys.new_tip_key(), team_key=tip_keys.new_team_key())
        sealed = b64(tip_keys.seal_keys(keys, tip_id.bytes, public))
        items.append({"id": str(tip_id), "reference": reference, "sealed_key": sealed})
    grantee = recipient_keys.generate_key_pair()
    fingerprint = recovery_keys.account_fingerprint(grantee.public_key)
    to = reader_recovery.Account("ana", "", grantee.public_key, fingerprint, [])
    server = ServerOffering(items)

    done = reader_recovery.grant(server, private, to, ["t-aaaa-aaaa"], unreadable=False)

    assert done.done == 1 and [item["tip"] for item in server.posted[0]["tips"]] == [items[0]["id"]]


def test_an_admin_left_out_of_a_tip_finds_no_trace_of_it_after_leaving_the_channel(office):
    _people, _tokens, _key_file = office
    dan = make_staff("dan", ["desk"], admin=True)
    dan_token = token_of(dan)
    before = api(dan_token, "GET", "/recovery/key").json()["current"]["tips"]
    tip = send_leaving_out(dan)  # ana and ben read it; dan was left out
    Channel.objects.get(slug="desk").recipients.remove(dan.user)  # no longer "a recipient left out"

    listed = api(dan_token, "GET", "/recovery/tips").json()
    counted = api(dan_token, "GET", "/recovery/key").json()["current"]["tips"]

    assert tip.reference not in [item["reference"] for item in listed["items"]]
    assert counted == before  # not counted either
