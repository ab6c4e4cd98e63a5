"""A flood of anonymous junk does not silence a member: a tip carrying a valid token is
counted in a budget of its own."""

from django.test import Client

from tipline.core.models import Tip
from tipline.insider.tests.conftest import send


def test_a_tip_with_a_valid_token_gets_through_while_anonymous_tips_are_held_off(channel, token_text, settings):
    settings.SUBMISSIONS_PER_MINUTE = settings.SUBMISSIONS_PER_MINUTE_PER_CHANNEL = 3
    flood = [send(Client(), channel, text=f"junk {number}").status_code for number in range(5)]

    member = send(Client(), channel, text="from an officer", token=token_text)

    assert flood == [200, 200, 200, 429, 429]
    assert member.status_code == 200 and Tip.objects.filter(insider_organisation__isnull=False).count() == 1


def test_a_forged_token_does_not_buy_a_place_in_the_members_budget(channel, token_text, settings):
    settings.SUBMISSIONS_PER_MINUTE = settings.SUBMISSIONS_PER_MINUTE_PER_CHANNEL = 1
    send(Client(), channel, text="first")

    forged = send(Client(), channel, text="forged", token=token_text[:-6] + "AAAAAA")
    member = send(Client(), channel, text="from an officer", token=token_text)

    # Refused as invalid before any budget is counted (it costs no Argon2id), so it took no
    # place in the members' budget either: the real token after it still gets through.
    assert forged.status_code == 400 and Tip.objects.filter(insider_organisation__isnull=False).count() == 1
    assert member.status_code == 200
