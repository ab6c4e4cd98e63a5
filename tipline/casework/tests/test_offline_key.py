"""Offline-key channels on the server's side: a tip's key is sealed to the channel's key
alone, so the server, with everything it holds, cannot open it; its staff pages and API show
what the server knows; the key is set once and replaced only with proof of holding it."""

import re
import uuid
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.test import Client

from tipline.accounts.tokens import create_token
from tipline.api.tests.conftest import bearer
from tipline.base.site_keys import site_key
from tipline.core import offline_keys
from tipline.core.channel_schema import ChannelSpec, import_channel, parse_document
from tipline.core.models import Channel, ChannelKey, Tip
from tipline.core.submission import ChannelNotReceiving, channel_is_receiving
from tipline.crypto import aead, channel_keys, content, files, recipient_keys, tip_keys
from tipline.crypto.encoding import b64, from_b64
from tipline.crypto.errors import DecryptionError
from tipline.intake.tests.helpers import post_tip, receipt_in
from tipline.testing.staff import make_staff, sign_in

TIP_TEXT = "The depot manager sells the seized fuel at night."
VAULT = (
    "slug: vault\nname: Vault\noffline_key: true\nfields:\n  - {key: tip, kind: long_text, label: Your tip}\n"
    "  - {key: files, kind: file, label: Files}\n"
)
PLAIN = "slug: plain\nname: Plain\nfields:\n  - {key: tip, kind: long_text, label: Your tip}\n"
SOURCE = Path(__file__).resolve().parents[2]


@pytest.fixture
def vault(db):
    import_channel(parse_document(VAULT))
    import_channel(parse_document(PLAIN))
    people = {name: make_staff(name, ["vault", "plain"]) for name in ("ana", "ben")}
    pair = recipient_keys.generate_key_pair()  # made on Ana's computer by tipline-reader
    offline_keys.set_key(people["ana"].user, Channel.objects.get(slug="vault"), pair.public_key)
    return people, pair


def send(client: Client, slug: str, text: str = TIP_TEXT, with_file: bool = True) -> Tip:
    from django.core.files.uploadedfile import SimpleUploadedFile

    answers = {"answer-tip": text}
    before = set(Tip.objects.values_list("pk", flat=True))
    sent = post_tip(
        client,
        slug,
        answers,
        files=[SimpleUploadedFile("ledger.txt", b"fuel-ledger-marker-51aa")] if with_file else None,
    )
    assert receipt_in(sent)
    return Tip.objects.exclude(pk__in=before).get()


def every_key_the_server_has(people) -> list[bytes]:
    """What a process running the server holds or can derive: every recipient's private key
    (as a signed-in session or token opens it), the secret key file and each key derived from
    it under every label in the source, and every 32-byte value in any table."""
    labels = set()
    for path in SOURCE.rglob("*.py"):
        labels |= {match.encode() for match in re.findall(r'site_key\(\s*b"([^"]+)"', path.read_text())}
    candidates = [person.private_key for person in people.values()]
    candidates += [site_key(label) for label in labels] + [settings.SECRET_KEY.encode()[:32].ljust(32, b"\0")]
    for model in apps.get_models():
        binary = [field.name for field in model._meta.fields if isinstance(field, models.BinaryField)]
        for row in model.objects.values_list(*binary) if binary else []:
            candidates += [bytes(value) for value in row if value is not None and len(bytes(value)) == 32]
    assert len(labels) >= 5 and len(candidates) > 10
    return candidates


def opens(tip: Tip, key: bytes) -> bool:
    """Whether `key` opens the tip: as a private key to its sealed key or a grant, or as its tip key."""
    sealed = [bytes(tip.sealed_for_channel_key)] if tip.sealed_for_channel_key else []
    sealed += [bytes(grant.sealed_tip_key) for grant in tip.grants.all()]
    for box in sealed:
        try:
            tip_keys.open_sealed_tip_key(box, tip.crypto_id, key)
            return True
        except DecryptionError:
            pass
    try:
        content.decrypt_json(key, bytes(tip.answers_ciphertext), content.answers_context(tip.crypto_id))
        return True
    except DecryptionError:
        pass
    attachment = tip.attachments.first()
    try:
        files.unwrap_file_key(
            key, bytes(attachment.wrapped_file_key), files.file_context(tip.crypto_id, str(attachment.id))
        )
        return True
    except (DecryptionError, AttributeError):
        return False


def test_the_server_alone_cannot_open_a_tip_of_an_offline_key_channel(vault, client, privacy):
    people, pair = vault
    privacy.watch(TIP_TEXT, "fuel-ledger-marker-51aa")
    sealed_offline = send(client, "vault")
    sealed_online = send(Client(), "plain", "An ordinary tip the recipients' keys open.")

    assert sealed_offline.channel_key is not None and not sealed_offline.grants.exists()
    keys = every_key_the_server_has(people)
    # The same search opens an ordinary tip (so it is a real search), and never the offline one.
    assert any(opens(sealed_online, key) for key in keys)
    assert not any(opens(sealed_offline, key) for key in keys)
    assert opens(sealed_offline, pair.private_key)  # the key on Ana's computer does

    staff = sign_in(people["ana"])  # a recipient's staff session, with their key opened
    page = staff.get(f"/staff/tips/{sealed_offline.id}/").content.decode()
    assert "Read in tipline-reader" in page and TIP_TEXT not in page
    attachment = sealed_offline.attachments.get()
    assert staff.get(f"/staff/tips/{sealed_offline.id}/files/{attachment.id}/").status_code == 404
    assert staff.post(f"/staff/tips/{sealed_offline.id}/export/").status_code == 404
    assert staff.get(f"/staff/tips/{sealed_offline.id}/handover/").status_code == 404
    assert (
        staff.post(f"/staff/tips/{sealed_offline.id}/reply/", {"text": "Sent from a stolen session."}).status_code
        == 404
    )
    token = create_token(people["ana"].user, people["ana"].private_key, "t", 1).secret_string
    answer = Client().get(f"/api/v1/tips/{sealed_offline.id}", **bearer(token))
    assert answer.status_code == 409 and answer.json()["code"] == "read_in_reader"


def test_the_inbox_triage_and_alerts_work_as_for_any_tip(vault, client):
    people, _pair = vault
    tip = send(client, "vault", with_file=False)
    staff = sign_in(people["ben"])
    inbox = staff.get("/staff/inbox/").content.decode()
    assert tip.reference in inbox and "read it in tipline-reader" in inbox
    staff.post(f"/staff/tips/{tip.id}/triage/", {"status": "in_review", "labels": "fuel", "assignee": "ben"})
    tip.refresh_from_db()
    assert tip.status == "in_review" and tip.assignee.username == "ben"
    assert tip.channel.alert_events.filter(kind="new-tip", tip=tip).exists()


def test_no_key_no_tips_and_a_key_swapped_in_the_database_is_refused(vault, client):
    people, _pair = vault
    channel = Channel.objects.get(slug="vault")
    assert channel_is_receiving(channel)
    ChannelKey.objects.filter(channel=channel).update(public_key=recipient_keys.generate_key_pair().public_key)
    assert not channel_is_receiving(channel)
    with pytest.raises(ChannelNotReceiving):
        from tipline.core.conversation import Answer
        from tipline.core.submission import submit_tip

        submit_tip(channel, [Answer("tip", "Your tip", "long_text", "x")], None, [], "form-token")
    assert channel.alert_events.filter(kind="channel-key-refused").exists()
    assert not Tip.objects.exists()


def test_the_key_is_replaced_only_by_whoever_holds_it(vault):
    people, pair = vault
    channel = Channel.objects.get(slug="vault")
    stranger = recipient_keys.generate_key_pair()
    with pytest.raises(offline_keys.KeyRefused):
        offline_keys.set_key(people["ben"].user, channel, stranger.public_key)  # a stolen token, without the key
    with pytest.raises(offline_keys.KeyRefused):
        offline_keys.set_key(people["ben"].user, channel, stranger.public_key, proof=b"\0" * 32)

    proof = channel_keys.open_sealed(pair.private_key, offline_keys.challenge_for(people["ben"].user, channel))
    assert not offline_keys.holds_current_key(people["ana"].user, channel, proof)  # a proof is for one person
    new = recipient_keys.generate_key_pair()
    offline_keys.set_key(people["ben"].user, channel, new.public_key, proof)
    assert bytes(offline_keys.current_key(channel).public_key) == new.public_key
    assert channel.offline_keys.filter(retired_at__isnull=False).count() == 1
    changes = channel.alert_events.filter(kind="channel-key-changed")
    assert sorted(changes.values_list("audience", flat=True)) == ["admins", "admins", "recipients", "recipients"]


def test_sealing_again_moves_old_tips_to_the_new_key(vault, client):
    people, pair = vault
    channel = Channel.objects.get(slug="vault")
    tip = send(client, "vault", with_file=False)
    proof = channel_keys.open_sealed(pair.private_key, offline_keys.challenge_for(people["ana"].user, channel))
    new = recipient_keys.generate_key_pair()
    offline_keys.set_key(people["ana"].user, channel, new.public_key, proof)
    tip_key = tip_keys.open_sealed_tip_key(bytes(tip.sealed_for_channel_key), tip.crypto_id, pair.private_key)
    resealed = {tip.pk: tip_keys.seal_tip_key(tip_key, tip.crypto_id, new.public_key)}

    with pytest.raises(offline_keys.KeyRefused):
        offline_keys.reseal(people["ana"].user, channel, proof, resealed)  # the old key's proof no longer counts
    new_proof = channel_keys.open_sealed(new.private_key, offline_keys.challenge_for(people["ana"].user, channel))
    assert offline_keys.reseal(people["ana"].user, channel, new_proof, resealed) == 1
    tip.refresh_from_db()
    assert tip.channel_key == offline_keys.current_key(channel)
    assert tip_keys.open_sealed_tip_key(bytes(tip.sealed_for_channel_key), tip.crypto_id, new.private_key) == tip_key


def test_the_api_takes_sealed_replies_once_and_refuses_what_cannot_be_one(vault, client):
    people, pair = vault
    tip = send(client, "vault", with_file=False)
    token = create_token(people["ana"].user, people["ana"].private_key, "t", 1).secret_string
    tip_key = tip_keys.open_sealed_tip_key(bytes(tip.sealed_for_channel_key), tip.crypto_id, pair.private_key)
    key = uuid.uuid4()
    sealed = content.encrypt_content(tip_key, b"Thank you; we are on it.", content.message_context(tip.crypto_id, key))
    proof = channel_keys.prove_item(pair.private_key, offline_keys.proof_key()[1], tip.crypto_id, str(key), sealed)
    body = {"key": str(key), "ciphertext": b64(sealed), "proof": b64(proof)}
    api = Client()
    for _attempt in range(2):  # an answer lost on the way: sent again, stored once
        assert (
            api.post(
                f"/api/v1/tips/{tip.id}/sealed-replies", body, content_type="application/json", **bearer(token)
            ).status_code
            == 201
        )
    tip.refresh_from_db()
    assert tip.message_count == 1
    junk = api.post(
        f"/api/v1/tips/{tip.id}/sealed-replies",
        {"key": str(uuid.uuid4()), "ciphertext": "AAAA"},
        content_type="application/json",
        **bearer(token),
    )
    assert junk.status_code == 400 and junk.json()["field"] == "ciphertext"
    huge = api.post(
        f"/api/v1/tips/{tip.id}/sealed-notes",
        {"key": str(uuid.uuid4()), "ciphertext": "\U0001f512" * 199_000},
        content_type="application/json",
        **bearer(token),
    )
    assert (
        huge.status_code == 400 and huge.json()["code"] == "too_large"
    )  # JSON like every API error, never the HTML page
    other = send(Client(), "vault", with_file=False)
    taken = api.post(f"/api/v1/tips/{other.id}/sealed-replies", body, content_type="application/json", **bearer(token))
    assert taken.status_code == 400 and taken.json()["field"] == "key"  # one key, one item: not a 5xx
    plain = send(Client(), "plain", with_file=False)
    assert (
        api.get("/api/v1/channels/plain/sealed-tips", **bearer(token)).status_code == 409
    )  # "not an offline-key channel"
    assert (
        api.post(
            f"/api/v1/tips/{plain.id}/sealed-replies", body, content_type="application/json", **bearer(token)
        ).status_code
        == 404
    )


def test_a_token_whose_owner_holds_no_channel_key_neither_answers_nor_opens_a_tip(vault, client):
    people, pair = vault
    tip = send(client, "vault", with_file=False)
    token = create_token(
        people["ben"].user, people["ben"].private_key, "t", 1
    ).secret_string  # Ben has no reader, no key
    api = Client(**bearer(token))
    key = uuid.uuid4()
    junk = bytes([aead.FORMAT_VERSION]) + bytes(
        content.BUCKETS[0] + aead.OVERHEAD_BYTES - 1
    )  # looks sealed; nobody can open it
    stranger = recipient_keys.generate_key_pair()
    for proof in (
        "",
        b64(channel_keys.prove_item(stranger.private_key, offline_keys.proof_key()[1], tip.crypto_id, str(key), junk)),
    ):
        answer = api.post(
            f"/api/v1/tips/{tip.id}/sealed-replies",
            {"key": str(key), "ciphertext": b64(junk), "purpose": "acknowledgement", "proof": proof},
            content_type="application/json",
        )
        assert answer.status_code == 403 and answer.json()["code"] == "no_channel_key"
    tip.refresh_from_db()
    assert tip.message_count == 0 and tip.acknowledged_hour is None and tip.unread_by_recipients
    # Fetching without the opened challenge reads nothing: the tip stays unread, its alerts stay due.
    assert api.get("/api/v1/channels/vault/sealed-tips").status_code == 200
    tip.refresh_from_db()
    assert tip.unread_by_recipients
    listed = api.get("/api/v1/channels/vault/offline-key").json()
    opened = channel_keys.open_sealed(pair.private_key, from_b64(listed["challenge"]))
    assert api.get("/api/v1/channels/vault/sealed-tips", {"proof": b64(opened)}).status_code == 200
    tip.refresh_from_db()
    assert not tip.unread_by_recipients


def test_an_offline_key_channel_cannot_also_let_tipsters_leave_recipients_out():
    with pytest.raises(ValueError, match="cannot both be on"):
        ChannelSpec.model_validate(parse_document(VAULT).model_dump() | {"tipsters_may_leave_out": True})


def test_a_new_secret_key_file_vouches_again_for_the_channel_key(vault, settings):
    from tipline.core.public_keys import revouch_all

    channel = Channel.objects.get(slug="vault")
    old_secret = settings.SECRET_KEY
    settings.SECRET_KEY = "a replaced secret key file, before tipline rekey"
    assert not channel_is_receiving(channel)  # the old MAC no longer checks
    revouch_all(old_secret)
    channel.refresh_from_db()  # its setting's MAC was renewed too
    assert channel_is_receiving(channel)


def test_retention_shreds_the_key_sealed_to_the_channel_first(vault, client):
    from tipline.jobs.retention import shred_keys

    tip = send(client, "vault", with_file=False)
    shred_keys(tip)  # committed alone, before the rows and blobs go
    tip.refresh_from_db()
    assert tip.sealed_for_channel_key is None and bytes(tip.tipster_wrapped_key) == b""


def test_tipline_check_says_how_to_set_the_key_of_a_channel_without_one(db):
    from tipline.operations.deployment import find_problems

    import_channel(parse_document(VAULT))
    make_staff("ana", ["vault"])
    problems = [str(problem) for problem in find_problems()]
    assert any("tipline-reader init --server URL --channel vault" in problem for problem in problems)
    assert not any("createuser NAME --role recipient --channel vault" in problem for problem in problems)


def test_the_admins_channel_page_lists_its_keys_by_fingerprint(vault):
    people, pair = vault
    admin = make_staff("root", [], admin=True)
    page = sign_in(admin).get("/staff/admin/channels/vault/").content.decode()
    assert channel_keys.fingerprint(pair.public_key) in page and "ana" in page


def test_tipsters_are_told_before_they_send_and_the_api_says_so(vault, client):
    page = client.get("/c/vault/").content.decode()
    assert "can be opened only on the team" in page
    assert "can be opened only on the team" not in client.get("/c/plain/").content.decode()
    channels = {channel["slug"]: channel for channel in Client().get("/api/v1/channels").json()}
    assert channels["vault"]["offline_key"] is True and channels["plain"]["offline_key"] is False


def test_the_access_page_of_an_offline_key_channel_points_to_the_key_hand_over(vault):
    people, _pair = vault
    page = sign_in(people["ana"]).get("/staff/channels/vault/access/").content.decode()
    assert "tipline-reader join, then share-key" in page


def _submit_to(channel: Channel):
    from tipline.core.conversation import Answer
    from tipline.core.submission import submit_tip

    return submit_tip(channel, [Answer("tip", "Your tip", "long_text", TIP_TEXT)], None, [], "form-token")


def _rotate(person, channel: Channel, held_private_key: bytes) -> recipient_keys.KeyPair:
    proof = channel_keys.open_sealed(held_private_key, offline_keys.challenge_for(person.user, channel))
    new = recipient_keys.generate_key_pair()
    offline_keys.set_key(person.user, channel, new.public_key, proof)
    return new


def test_a_retired_key_made_current_again_in_the_database_takes_no_tip(vault):
    from tipline.audit.models import AuditEntry

    people, pair = vault
    channel = Channel.objects.get(slug="vault")
    _rotate(people["ana"], channel, pair.private_key)  # the old key was retired: a colleague left, a laptop was lost
    old, new = ChannelKey.objects.filter(channel=channel).order_by("generation")
    assert (old.generation, new.generation) == (1, 2)
    # A database writer: two UPDATEs, and the key the rotation meant to cut off is "current" again.
    ChannelKey.objects.filter(pk=new.pk).update(retired_at=old.retired_at)
    ChannelKey.objects.filter(pk=old.pk).update(retired_at=None)
    assert not channel_is_receiving(channel)
    with pytest.raises(ChannelNotReceiving):
        _submit_to(channel)
    assert not Tip.objects.exists()
    assert AuditEntry.objects.filter(action="channel-key-refused", target="vault").exists()
    told = set(channel.alert_events.filter(kind="channel-key-refused").values_list("audience", flat=True))
    assert told == {"admins", "recipients"}
    # Nor can the generation be raised in the database: it is under the key's MAC.
    ChannelKey.objects.filter(pk=new.pk).update(generation=0)
    ChannelKey.objects.filter(pk=old.pk).update(generation=3)
    assert not channel_is_receiving(channel)


def test_attempts_on_a_channel_whose_key_was_swapped_are_audited_once_an_hour_on_the_hour(vault):
    from tipline.audit.models import AuditEntry

    channel = Channel.objects.get(slug="vault")
    ChannelKey.objects.filter(channel=channel).update(public_key=recipient_keys.generate_key_pair().public_key)
    for _attempt in range(2):
        with pytest.raises(ChannelNotReceiving):
            _submit_to(channel)

    [entry] = AuditEntry.objects.filter(action="channel-key-refused", target="vault")
    times = [entry.at] + list(
        channel.alert_events.filter(kind="channel-key-refused").values_list("recorded_at", flat=True)
    )
    assert len(times) == 3 and all(moment.minute == moment.second == moment.microsecond == 0 for moment in times)


def test_offline_key_switched_off_in_the_database_takes_no_tip_sealed_to_the_servers_keys(vault):
    people, _pair = vault
    channel = Channel.objects.get(slug="vault")
    Channel.objects.filter(pk=channel.pk).update(offline_key=False)  # one UPDATE
    channel.refresh_from_db()
    assert not channel_is_receiving(channel)
    with pytest.raises(ChannelNotReceiving):
        _submit_to(channel)
    assert not Tip.objects.exists()
    assert channel.alert_events.filter(kind="channel-key-refused").exists()
    from tipline.operations.deployment import find_problems

    assert any(
        "vault: its offline setting was changed behind the site's back" in problem for problem in find_problems()
    )


def test_an_admin_cannot_switch_offline_key_off_once_the_channel_has_a_key(vault):
    from tipline.casework.admin_services import save_channel
    from tipline.core.channel_schema import ChannelFormatError

    with pytest.raises(ChannelFormatError, match="stays offline-key"):
        save_channel("ana", parse_document(VAULT.replace("offline_key: true", "offline_key: false")), ["ana"])
    channel = Channel.objects.get(slug="vault")
    assert channel.offline_key and sorted(channel.recipients.values_list("username", flat=True)) == ["ana", "ben"]
    # Before any key is set, nothing is sealed yet: the setting may still change.
    import_channel(parse_document(VAULT.replace("slug: vault", "slug: draft")))
    save_channel(
        "ana",
        parse_document(VAULT.replace("slug: vault", "slug: draft").replace("offline_key: true", "offline_key: false")),
    )
    assert not Channel.objects.get(slug="draft").offline_key


def test_a_reader_on_a_channel_that_is_no_longer_offline_key_is_told_so(vault):
    people, _pair = vault
    token = create_token(people["ana"].user, people["ana"].private_key, "reader", 30).secret_string
    api = Client(**bearer(token))
    answer = api.get("/api/v1/channels/plain/offline-key")
    assert answer.status_code == 409 and "not an offline-key channel" in answer.json()["message"]
    missing = api.get("/api/v1/channels/nowhere/offline-key")
    assert missing.status_code == 404 and "No channel nowhere" in missing.json()["message"]


def test_the_form_page_of_a_channel_whose_key_was_swapped_tells_admins_and_recipients_once(vault, client):
    channel = Channel.objects.get(slug="vault")
    ChannelKey.objects.filter(channel=channel).update(public_key=recipient_keys.generate_key_pair().public_key)

    pages = [client.get("/c/vault/").content.decode() for _ in range(2)]

    assert all("not taking tips right now" in page for page in pages)
    told = sorted(channel.alert_events.filter(kind="channel-key-refused").values_list("audience", flat=True))
    assert told == ["admins", "recipients"]
