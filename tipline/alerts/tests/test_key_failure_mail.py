"""The alert mail when a channel's offline key or offline-key setting fails its check: a
subject that is short and whole, a body that reads as a sentence, and, for a channel that
never had an offline key, the words that say what its failing setting means."""

import pytest

from tipline.alerts.delivery import run_once as deliver_alerts
from tipline.core.models import Channel
from tipline.core.submission import ChannelNotReceiving
from tipline.testing.staff import make_tip

pytestmark = pytest.mark.django_db(transaction=True)


def mail_to(mailbox, address: str):
    return [message for message in mailbox if message["To"] == address]


def test_a_changed_secret_key_tells_a_plain_channels_recipients_what_its_failed_setting_means(
    desk, email_route, settings
):
    deliver_alerts()
    email_route.clear()
    settings.SECRET_KEY = "a replaced secret key file, before tipline rekey"  # every setting's MAC fails now

    with pytest.raises(ChannelNotReceiving):
        make_tip("desk", "a tip that cannot be sealed")
    deliver_alerts()

    [message] = mail_to(email_route, "ana@example.org")
    subject, body = str(message["Subject"]).strip(), message.get_content().replace("\r\n", "\n")
    assert subject == "[Tipline] Offline-key setting failed its check; tips refused in Night desk"
    assert body.startswith("Offline-key setting failed its check; tips refused in the channel “Night desk”.\n")
    assert "This channel has no offline key" in body and "secret key file changed" in body
    assert "offline key failed" not in body.lower()
    assert not Channel.objects.get(slug="desk").alert_events.filter(kind="channel-key-refused").exists()


def test_an_offline_key_channels_failed_key_mail_has_a_whole_subject_and_says_what_to_do(desk, email_route):
    from tipline.alerts.models import Audience
    from tipline.core import offline_keys

    channel = Channel.objects.get(slug="desk")
    Channel.objects.filter(pk=channel.pk).update(offline_key=True)
    channel.refresh_from_db()  # switched on in the database: its setting's MAC no longer checks
    offline_keys.report_tampering(channel)
    deliver_alerts()

    [message] = mail_to(email_route, "ana@example.org")
    subject, body = str(message["Subject"]).strip(), message.get_content().replace("\r\n", "\n")
    assert subject == "[Tipline] Offline key failed its check; tips refused in Night desk"
    assert body.startswith("Offline key failed its check; tips refused in the channel “Night desk”.\n")
    assert "Compare the key's fingerprint" in body
    assert channel.alert_events.filter(kind="channel-key-refused", audience=Audience.ADMINS).exists()
