"""Inbox rows told apart: a short random reference (also the tipster's), a one-line summary
(a title colleagues set, else the tip's opening words) decrypted for the page's rows only,
and a search by reference."""

import re

from tipline.core.models import Tip
from tipline.core.references import ALPHABET, normalise
from tipline.intake.tests.helpers import post_tip, receipt_in
from tipline.testing.staff import make_staff, make_tip, sign_in

REFERENCE = re.compile(rf"T-[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}")


def test_each_tip_gets_a_random_reference_that_names_it_to_staff_and_tipster(signed_in, client):
    sent = post_tip(client, "alpha", {"answer-tip": "The pump station logs are rewritten at night."})
    tip = Tip.objects.get()
    receipt_page = sent.content.decode()
    client.post("/check/", {"receipt": receipt_in(sent)})

    assert REFERENCE.fullmatch(tip.reference)
    assert tip.reference in receipt_page and tip.reference in client.get("/check/your-tip/").content.decode()
    assert tip.reference in signed_in["alpha"].get("/staff/inbox/").content.decode()
    others = {make_tip("alpha", f"tip {number}")[0].reference for number in range(20)}
    assert len(others | {tip.reference}) == 21  # drawn at random, not counted


def test_typed_references_are_read_in_any_case_with_or_without_dashes():
    assert normalise(" t-7kq4-m2xp ") == normalise("7KQ4M2XP") == "T-7KQ4-M2XP"
    assert normalise("T-0KQ4-M2XP") is None and normalise("hello") is None


def test_staff_find_a_tip_by_its_reference_in_their_channels_only(signed_in):
    wanted, _ = make_tip("alpha", "the one")
    make_tip("alpha", "another one")
    elsewhere, _ = make_tip("beta", "not ana's")

    found = signed_in["alpha"].get("/staff/inbox/", {"reference": wanted.reference.lower()}).content.decode()
    not_hers = signed_in["alpha"].get("/staff/inbox/", {"reference": elsewhere.reference}).content.decode()
    typo = signed_in["alpha"].get("/staff/inbox/", {"reference": "T-0000"}).content.decode()

    assert wanted.reference in found and found.count('class="reference"') == 1
    assert 'class="reference"' not in not_hers and "No tips match." in not_hers
    assert "A tip&#x27;s reference looks like T-7KQ4-M2XP." in typo


def test_rows_show_the_opening_words_or_the_title_colleagues_gave(signed_in, two_channels):
    long_text = "The ledger in room 12 is kept twice: " + "every figure differs " * 10
    tip, _ = make_tip("alpha", long_text)
    late = sign_in(make_staff("late", ["alpha"]))  # joined after the tip: no key grant, so no summary

    before = signed_in["alpha"].get("/staff/inbox/").content.decode()
    signed_in["alpha"].post(f"/staff/tips/{tip.id}/title/", {"title": "Room 12 double ledger"})
    after = signed_in["alpha"].get("/staff/inbox/").content.decode()
    detail = signed_in["alpha"].get(f"/staff/tips/{tip.id}/").content.decode()

    assert "The ledger in room 12 is kept twice: every figure differs" in before and "…" in before
    assert long_text.strip() not in before  # a line, not the whole tip
    assert "Room 12 double ledger" in after and "The ledger in room 12" not in after
    assert 'value="Room 12 double ledger"' in detail
    late_inbox = late.get("/staff/inbox/").content.decode()
    assert tip.reference in late_inbox and "Room 12" not in late_inbox
    assert b"Room 12" not in bytes(Tip.objects.get().title_ciphertext)


def test_no_summary_or_title_is_written_in_clear(signed_in, privacy):
    privacy.watch("marker-summary-5b1e", "marker-title-c04f")
    tip, _ = make_tip("alpha", "marker-summary-5b1e opens this tip")
    signed_in["alpha"].get("/staff/inbox/")
    signed_in["alpha"].post(f"/staff/tips/{tip.id}/title/", {"title": "marker-title-c04f"})
    assert "marker-title-c04f" in signed_in["alpha"].get("/staff/inbox/").content.decode()
