"""One anonymous client floods with no proxy header to tell clients apart (as over Tor):
ten times the old limits in unknown receipts and junk tips, while a real tipster checks in
and sends tips by the page and the API. Junk must cost the attacker, not the tipsters."""

import json
import os

import pytest
from django.core.cache import cache
from django.test import Client

from tipline.core import capacity, receipt_tags
from tipline.core.models import SiteSecret, Tip
from tipline.crypto import receipts
from tipline.intake.tests.helpers import post_tip, receipt_in

pytestmark = pytest.mark.django_db
OLD_RECEIPT_LIMIT, OLD_CHANNEL_LIMIT = 60, 30  # a minute, before: one client used them all up
# What the tipster-path profile measured (2 cores, 135 ms of server CPU per tip), as if
# this machine had measured it: the limits follow, whatever the test's fast KDF costs.
PROFILED_TIPS_PER_MINUTE = 889


@pytest.fixture
def profiled_machine():
    cache.set(capacity.CACHE_KEY, PROFILED_TIPS_PER_MINUTE, timeout=3600)


@pytest.fixture
def tipster(recipient_keys):
    """A real tipster's browser and the receipt of their first tip."""
    browser = Client()
    return browser, receipt_in(post_tip(browser, "general", {"answer-tip": "The warehouse on Pier 4 opens at night."}))


def junk_tip(number: int) -> int:
    answers = json.dumps({"tip": f"junk {number}"})
    return Client().post("/api/v1/channels/general/tips", {"answers": answers}).status_code


def unknown_receipt_check_in() -> int:
    return (
        Client()
        .post("/api/v1/followup", {"receipt": receipts.new_receipt()}, content_type="application/json")
        .status_code
    )


def real_tipster_action(number: int, receipts_held: list[str]) -> bool:
    """One of the four things real tipsters do, in turn; True when it got through. Check-ins
    go round the receipts they hold (one receipt alone may be tried 10 times in 10 minutes)."""
    receipt = receipts_held[number % len(receipts_held)]
    kind = number % 4
    if kind == 0:
        return Client().post("/check/", {"receipt": receipt}).status_code == 302
    if kind == 1:
        return (
            Client().post("/api/v1/followup", {"receipt": receipt}, content_type="application/json").status_code == 200
        )
    if kind == 2:
        sent = post_tip(Client(), "general", {"answer-tip": f"Real tip {number}: the truck leaves at six."})
        if sent.status_code == 200:
            receipts_held.append(receipt_in(sent))
        return sent.status_code == 200
    sent = Client().post("/api/v1/channels/general/tips", {"answers": json.dumps({"tip": f"Real tip {number}"})})
    if sent.status_code == 201:
        receipts_held.append(sent.json()["receipt"])
    return sent.status_code == 201


@pytest.mark.slow
def test_a_flood_at_ten_times_the_old_limits_leaves_nine_real_tipster_actions_in_ten(profiled_machine, tipster):
    receipts_held = [tipster[1]]
    flood_statuses, real = [], []
    for round_number in range(10 * OLD_CHANNEL_LIMIT):  # each round: two unknown receipts and one junk tip
        flood_statuses += [unknown_receipt_check_in(), unknown_receipt_check_in(), junk_tip(round_number)]
        if round_number % 6 == 5:
            real.append(real_tipster_action(round_number // 6, receipts_held))

    assert flood_statuses.count(429) > 0  # the unknown receipts beyond the fixed limit were held off
    assert len(real) == 50 and sum(real) / len(real) >= 0.9, real


def test_an_unknown_receipt_is_refused_without_argon2id(tipster, monkeypatch):
    derivations = []
    derive = receipts.derive_receipt_keys
    monkeypatch.setattr(receipts, "derive_receipt_keys", lambda *arguments: derivations.append(1) or derive(*arguments))
    browser, receipt = tipster

    unknown = Client().post("/check/", {"receipt": receipts.new_receipt()})
    assert unknown.status_code == 404 and derivations == []

    assert browser.post("/check/", {"receipt": receipt}).status_code == 302 and derivations == [1]


def test_a_tip_from_before_tags_still_opens_and_is_tagged_then(tipster):
    browser, receipt = tipster
    Tip.objects.update(receipt_tag=None)  # as the upgrade leaves every older tip

    assert Client().post("/check/", {"receipt": receipts.new_receipt()}).status_code == 404  # looked up the slow way
    assert browser.post("/check/", {"receipt": receipt}).status_code == 302
    assert bytes(Tip.objects.get().receipt_tag) == receipt_tags.tag_for(receipt)
    assert not receipt_tags.untagged_tips_exist()


def test_a_retired_tip_leaves_no_tag_and_keeps_no_slow_path_open(tipster):
    from tipline.jobs.retention import shred_keys

    shred_keys(Tip.objects.get())

    assert Tip.objects.get().receipt_tag is None and not receipt_tags.untagged_tips_exist()


def test_a_new_secret_key_voids_the_tags_but_no_receipt_is_locked_out(tipster, settings):
    browser, receipt = tipster
    old_tag = bytes(Tip.objects.get().receipt_tag)
    settings.SECRET_KEY = "restored from a backup without its secret key file"

    assert browser.post("/check/", {"receipt": receipt}).status_code == 302
    assert bytes(Tip.objects.get().receipt_tag) == receipt_tags.tag_for(receipt) != old_tag


def test_the_database_alone_does_not_give_the_tag_key(tipster):
    """The tag is keyed by the secret key file: what the database holds about it is a hash
    of the key, so a stolen database cannot test a guessed receipt without Argon2id."""
    _browser, receipt = tipster
    stored = bytes(Tip.objects.get().receipt_tag)
    key_id = bytes(SiteSecret.objects.get().receipt_tag_key_id)

    assert stored == receipts.lookup_tag(receipt, receipt_tags.tag_key())
    assert receipt_tags.tag_key() not in key_id and len(key_id) == 8
    assert stored != receipts.lookup_tag(receipt, b"\0" * 32)


def test_limits_on_tips_and_receipts_are_shares_of_the_measured_machine(profiled_machine, settings):
    assert capacity.submissions_per_minute() == int(PROFILED_TIPS_PER_MINUTE * capacity.SITE_SUBMISSIONS_SHARE)
    assert capacity.submissions_per_minute_per_channel() > 10 * OLD_CHANNEL_LIMIT
    assert capacity.receipt_lookups_per_minute() == int(PROFILED_TIPS_PER_MINUTE * capacity.RECEIPT_LOOKUPS_SHARE)

    settings.SUBMISSIONS_PER_MINUTE_PER_CHANNEL = 7  # an operator's own cap wins
    assert capacity.submissions_per_minute_per_channel() == 7


def test_the_machine_is_measured_when_no_one_has_yet(settings):
    settings.INSECURE_FAST_KDF = False  # the production Argon2id: what real tips cost

    measured = capacity.tips_per_minute()

    assert 60 <= measured <= 60 * 1000 * (os.process_cpu_count() or 1)
    assert cache.get(capacity.CACHE_KEY) == measured


def test_the_machine_is_measured_on_python_3_12_too(settings, monkeypatch):
    """Python 3.12 has no os.process_cpu_count: measuring the machine there was an AttributeError."""
    settings.INSECURE_FAST_KDF = True
    monkeypatch.delattr(os, "process_cpu_count", raising=False)

    assert capacity.measure_tips_per_minute() >= 1
