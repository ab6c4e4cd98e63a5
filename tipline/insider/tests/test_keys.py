"""Issuer keys: made ahead, published append-only, sealed at rest, private halves destroyed
after their period, spent tokens purged after the window."""

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from tipline.audit.models import AuditEntry
from tipline.insider import admin_services, epochs, keys
from tipline.insider.models import IssuerKey, SpentToken
from tipline.insider.tests.conftest import fetch, periods_ago, send


def test_keys_of_this_and_the_next_two_periods_are_published_and_never_rewritten(organisation):
    current = epochs.current(organisation.epoch_seconds).number
    first = Client().get(f"/api/v1/insiders/{organisation.slug}/keys").json()
    assert [key["epoch"] for key in first["keys"]] == [current, current + 1, current + 2]
    admin_services.rotate("test", now=timezone.now() + timedelta(seconds=organisation.epoch_seconds))
    later = Client().get(f"/api/v1/insiders/{organisation.slug}/keys").json()
    assert later["keys"][:3] == first["keys"] and later["keys"][3]["epoch"] == current + 3


def test_the_private_key_is_sealed_under_the_site_secret_not_stored_plainly(organisation, settings):
    key = keys.ensure_keys(organisation)[0]
    sealed = bytes(key.sealed_private_key)
    assert b"PRIVATE KEY" not in sealed and b"\x30\x82" not in sealed[:40]
    assert keys.signing_key(key).key_size == 2048
    settings.SECRET_KEY = "another site"
    from tipline.crypto.errors import DecryptionError

    try:
        keys.signing_key(key)
    except DecryptionError:
        pass
    else:
        raise AssertionError("a different site secret opened the issuer key")


def test_rotation_destroys_past_private_keys_and_purges_spent_tokens_after_the_window(organisation, member, channel):
    token = fetch(member, periods_ago(organisation, 1), count=1)[0].to_text()
    assert send(Client(), channel, token=token).status_code == 200
    done = admin_services.rotate("test")
    past = IssuerKey.objects.filter(epoch__lt=epochs.current(organisation.epoch_seconds).number)
    assert done["private_keys_destroyed"] >= 1 and not past.exclude(sealed_private_key=None).exists()
    assert SpentToken.objects.count() == 1  # still inside its window
    admin_services.rotate("test", now=timezone.now() + timedelta(seconds=2 * organisation.epoch_seconds))
    assert SpentToken.objects.count() == 0
    assert AuditEntry.objects.filter(action="insider-keys-rotated").exists()


def test_the_public_page_lists_key_ids_and_the_crowd_size(organisation, member):
    fetch(member, count=1)
    page = Client().get(f"/insiders/{organisation.slug}/").content.decode()
    key = keys.ensure_keys(organisation)[0]
    assert bytes(key.key_id).hex() in page
    assert "<strong>1</strong> of 1 members" in page and "small crowd" in page  # the crowd is shown


def test_the_workers_hourly_task_makes_keys_ahead_for_every_organisation(organisation):
    from tipline.jobs.tasks import rotate_insider_keys

    done = rotate_insider_keys.call()
    assert done["keys_made"] == 3
    assert IssuerKey.objects.filter(organisation=organisation).count() == 3


def test_after_a_restore_without_the_secret_key_issuance_pauses_with_a_message(member):
    import pytest

    from tipline.insider import issuance
    from tipline.insider.tests.conftest import fetch

    keys.ensure_keys(member.organisation)
    IssuerKey.objects.update(sealed_private_key=None)  # what restoring without the secret key does
    with pytest.raises(issuance.Paused, match="next one"):
        fetch(member, count=1)


def test_after_the_secret_key_is_replaced_reseal_keeps_the_same_public_keys_working(member, settings, tmp_path):
    from tipline.insider.tests.conftest import fetch

    made = keys.ensure_keys(member.organisation)
    public_before = [bytes(key.public_key) for key in made]
    old_secret = settings.SECRET_KEY
    settings.SECRET_KEY = "a new site secret " * 4
    assert keys.reseal_all(old_secret) == 3
    assert [bytes(key.public_key) for key in IssuerKey.objects.order_by("epoch")] == public_before
    assert len(fetch(member, count=1)) == 1
