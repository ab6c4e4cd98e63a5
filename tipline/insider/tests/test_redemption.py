"""Redeeming a token in a tip: the mark, every rejection with the tipster's text kept, one
spend per token even when two tips race, and nothing that links a fetch to a tip."""

import html
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client

from tipline.core.conversation import Answer
from tipline.core.models import Tip
from tipline.core.submission import submit_tip
from tipline.insider import redemption
from tipline.insider.models import IssuanceCount, IssuerKey, Member, SpentToken
from tipline.insider.tests.conftest import (
    fetch,
    make_channel,
    make_organisation,
    periods_ago,
    send,
)
from tipline.members.protocol import Token


def test_a_valid_token_marks_the_tip_with_organisation_and_period_only(channel, member, token_text):
    response = send(Client(), channel, token=token_text)
    assert response.status_code == 200 and "Your tip was received" in response.content.decode()
    tip = Tip.objects.get()
    issued_in = IssuerKey.objects.get(key_id=Token.from_text(token_text).key_id).epoch
    assert (tip.insider_organisation, tip.insider_epoch) == (member.organisation, issued_in)
    assert SpentToken.objects.count() == 1


def test_the_same_token_twice_is_refused_and_the_text_is_kept(channel, token_text):
    send(Client(), channel, token=token_text)
    again = send(Client(), channel, text="second-text-kept-4471", token=token_text)
    page = html.unescape(again.content.decode())
    assert again.status_code == 400
    assert "This token was used already" in page and "second-text-kept-4471" in page
    assert Tip.objects.count() == 1


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda text: text[:-10], "This is not a whole member's token"),
        (lambda text: "tipv1:" + "A" * 10, "This is not a whole member's token"),
        (lambda text: text.replace("tipv1:", ""), "This is not a whole member's token"),
        (lambda text: text[:-4] + ("AAAA" if text[-4:] != "AAAA" else "BBBB"), "not issued by this tip line"),
    ],
    ids=["truncated", "short", "no-prefix", "altered-signature"],
)
def test_malformed_and_forged_tokens_are_refused_with_the_text_kept(channel, token_text, spoil, message):
    response = send(Client(), channel, text="kept-text-0193", token=spoil(token_text))
    page = html.unescape(response.content.decode())
    assert response.status_code == 400 and message in page and "kept-text-0193" in page
    assert not Tip.objects.exists() and not SpentToken.objects.exists()


def test_a_token_of_another_organisation_is_refused(channel, db):
    other = make_organisation("customs", "Customs Service")
    from tipline.insider import members

    members.add_members(other, ["agent 5"])
    outsider = Member.objects.get(reference="agent 5")
    token = fetch(outsider, periods_ago(other, 1), count=1)[0].to_text()
    response = send(Client(), channel, token=token)
    assert response.status_code == 400 and "belongs to another organisation" in response.content.decode()


def test_a_token_is_refused_in_its_own_period_and_after_two_more(channel, member):
    fresh = fetch(member, count=1)[0].to_text()
    response = send(Client(), channel, token=fresh)
    assert response.status_code == 400 and "can be used from" in response.content.decode()
    old = fetch(member, periods_ago(member.organisation, 3), count=1)[0].to_text()
    response = send(Client(), channel, token=old)
    assert response.status_code == 400 and "This token expired" in response.content.decode()
    two_periods_ago = fetch(member, periods_ago(member.organisation, 2), count=1)[0].to_text()
    assert send(Client(), channel, token=two_periods_ago).status_code == 200


def test_a_channel_that_requires_a_token_says_so_and_keeps_the_text(organisation):
    channel = make_channel(organisation, mode="required", slug="officers-only")
    response = send(Client(), channel, text="kept-without-token-552")
    page = html.unescape(response.content.decode())
    assert response.status_code == 400
    assert "takes tips only with a member's token of Metropolitan Police" in page and "kept-without-token-552" in page


def test_a_channel_that_does_not_ask_has_no_token_field(organisation):
    channel = make_channel(organisation, mode="off", slug="open-desk")
    assert "insider_token" not in Client().get(f"/c/{channel.slug}/").content.decode()
    make_channel(organisation)
    assert 'name="insider_token"' in Client().get("/c/police-tips/").content.decode()


def test_the_api_takes_a_token_and_names_each_refusal(channel, member, token_text):
    url = f"/api/v1/channels/{channel.slug}/tips"
    answers = '{"tip": "sent through the API"}'
    first = Client().post(url, {"answers": answers, "insider_token": token_text})
    assert first.status_code == 201, first.content
    again = Client().post(url, {"answers": answers, "insider_token": token_text})
    assert (
        again.status_code == 400 and again.json()["code"] == "token_spent" and again.json()["field"] == "insider_token"
    )
    early = Client().post(url, {"answers": answers, "insider_token": fetch(member, count=1)[0].to_text()})
    assert early.json()["code"] == "token_too_early"
    assert Client().post(url, {"answers": answers, "insider_token": "tipv1:xyz"}).json()["code"] == "token_malformed"


@pytest.mark.django_db(transaction=True)
def test_two_tips_racing_with_one_token_store_exactly_one(organisation, member, channel):
    token = fetch(member, periods_ago(organisation, 1), count=1)[0].to_text()
    verified = redemption.check(organisation, token)
    start, outcomes = threading.Barrier(2), []

    def send_tip(text):
        try:
            start.wait()
            submit_tip(channel, [Answer("tip", "Your tip", "long_text", text)], None, [], text, verified)
            outcomes.append("stored")
        except redemption.TokenRejected as rejection:
            outcomes.append(rejection.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send_tip, args=(f"racer {n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["stored", "token_spent"]
    assert Tip.objects.filter(insider_organisation=organisation).count() == 1
    assert SpentToken.objects.count() == 1


def test_fetch_rows_and_redemption_rows_share_no_id_no_time_and_no_nonce(channel, member, organisation):
    from tipline.insider import members

    members.add_members(organisation, ["officer 1002"])
    colleague = Member.objects.get(reference="officer 1002")
    when = periods_ago(organisation, 1)
    tokens = fetch(member, when, count=2)
    fetch(colleague, when, count=2)
    send(Client(), channel, token=tokens[0].to_text())

    issuer_rows = list(IssuanceCount.objects.values()) + list(Member.objects.values())
    tip = Tip.objects.values().get()
    redemption_rows = list(SpentToken.objects.values()) + [
        {
            "insider_organisation_id": tip["insider_organisation_id"],
            "insider_epoch": tip["insider_epoch"],
            "id": tip["id"],
        }
    ]
    issuer_values = {value for row in issuer_rows for value in row.values() if value is not None}
    redemption_values = {value for row in redemption_rows for value in row.values() if value is not None}
    epoch = tip["insider_epoch"]
    period_key = IssuerKey.objects.get(organisation=organisation, epoch=epoch).pk
    # Only what every member of that period shares: the organisation, the period and its key.
    assert issuer_values & redemption_values <= {organisation.pk, epoch, period_key}
    assert IssuanceCount.objects.filter(epoch=epoch).count() == 2  # both members look the same
    for model in (IssuanceCount, SpentToken):
        assert not [
            field for field in model._meta.get_fields() if field.get_internal_type() in ("DateTimeField", "DateField")
        ]
    stored = repr(issuer_rows + redemption_rows + list(IssuerKey.objects.values()))
    assert tokens[0].nonce.hex() not in stored and tokens[0].authenticator.hex() not in stored
    assert not _database_holds(tokens[0].nonce) and not _database_holds(tokens[0].authenticator)


def _database_holds(value: bytes) -> bool:
    from django.apps import apps

    for model in apps.get_models():
        for row in model.objects.values_list():
            for cell in row:
                if isinstance(cell, (bytes, memoryview)) and value in bytes(cell):
                    return True
                if isinstance(cell, str) and value.hex() in cell:
                    return True
    return False


def test_expiry_uses_the_organisations_period_length(db):
    organisation = make_organisation("fire", "Fire Brigade", epoch_seconds=3600)
    from tipline.insider import members

    members.add_members(organisation, ["crew 1"])
    crew = Member.objects.get(reference="crew 1")
    channel = make_channel(organisation, slug="fire-tips")
    old = fetch(crew, periods_ago(organisation, 1) - timedelta(hours=2), count=1)[0].to_text()
    assert "This token expired" in send(Client(), channel, token=old).content.decode()
