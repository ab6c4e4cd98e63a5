"""A public key swapped in the database is not sealed to: later tips go only to keys the
site vouches for, the admins hear of the refused key, and the audit log records it."""

from datetime import timedelta

import nacl.public
import pytest

from tipline.accounts.models import User
from tipline.alerts.models import Event
from tipline.audit.models import AuditEntry
from tipline.casework import services
from tipline.core.models import TipKeyGrant
from tipline.core.submission import ChannelNotReceiving
from tipline.testing.staff import make_staff, make_tip

pytestmark = pytest.mark.django_db


def swap_in_attackers_key(username: str) -> nacl.public.PrivateKey:
    attacker = nacl.public.PrivateKey.generate()
    User.objects.filter(username=username).update(public_key=bytes(attacker.public_key))
    return attacker


def test_a_tip_is_not_sealed_to_a_public_key_swapped_in_the_database(demo_channels):
    make_staff("ana", ["general"])
    make_staff("ben", ["general"])
    make_staff("root", [], admin=True)
    swap_in_attackers_key("ben")

    tip, _receipt = make_tip("general", "for ana only")

    sealed_to = set(TipKeyGrant.objects.filter(tip=tip).values_list("recipient__username", flat=True))
    assert "ana" in sealed_to and "ben" not in sealed_to
    refusal = Event.objects.get(kind="recipient-key-refused")
    assert refusal.audience == "admins" and refusal.channel.slug == "general"
    assert AuditEntry.objects.filter(action="public-key-refused", target="ben").exists()


def test_tipsters_attempts_that_find_a_refused_key_are_audited_once_an_hour_on_the_hour(demo_channels):
    make_staff("ana", ["general"])
    make_staff("ben", ["general"])
    swap_in_attackers_key("ben")

    make_tip("general", "first")
    make_tip("general", "second")

    [entry] = AuditEntry.objects.filter(action="public-key-refused", target="ben")
    [refusal] = Event.objects.filter(kind="recipient-key-refused")
    assert entry.at.minute == entry.at.second == 0
    assert refusal.recorded_at.minute == refusal.recorded_at.second == refusal.recorded_at.microsecond == 0


def test_a_channel_whose_every_key_was_swapped_takes_no_tip(demo_channels):
    make_staff("ana", ["general"])
    for username in User.objects.filter(channels__slug="general").values_list("username", flat=True):
        swap_in_attackers_key(username)

    with pytest.raises(ChannelNotReceiving):
        make_tip("general", "nobody can read this")


def test_a_swapped_key_is_not_offered_for_a_grant(demo_channels):
    ana = make_staff("ana", ["general"])
    tip, _receipt = make_tip("general", "granted later")
    make_staff("ben", ["general"])
    swap_in_attackers_key("ben")

    assert services.grantable(tip) == []
    with pytest.raises(services.CannotGrant):
        services.grant_access(ana.user, ana.private_key, tip.pk, "ben")


def test_the_form_page_closed_by_a_swapped_key_tells_the_admins_once_an_hour(demo_channels, client):
    make_staff("ana", ["general"])
    recipients = sorted(User.objects.filter(channels__slug="general").values_list("username", flat=True))
    for username in recipients:
        swap_in_attackers_key(username)

    pages = [client.get("/c/general/").content.decode() for _ in range(3)]

    assert all("not taking tips right now" in page for page in pages)
    refusals = Event.objects.filter(kind="recipient-key-refused", channel__slug="general")
    assert [refusal.audience for refusal in refusals] == ["admins"]
    assert sorted(AuditEntry.objects.filter(action="public-key-refused").values_list("target", flat=True)) == recipients
    Event.objects.filter(pk=refusals[0].pk).update(recorded_at=refusals[0].recorded_at - timedelta(hours=2))

    client.get("/c/general/")

    assert Event.objects.filter(kind="recipient-key-refused").count() == 2
