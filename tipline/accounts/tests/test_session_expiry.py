"""Expired sessions are destroyed, not just ignored: the request that finds its session
expired deletes the row, and the worker deletes every expired row, so an expired row and
its old cookie together open nothing later (the docs promise this)."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from tipline.jobs.tasks import purge_expired_sessions
from tipline.testing.staff import make_staff, make_tip, sign_in

pytestmark = pytest.mark.django_db


def expire_all() -> None:
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))


def test_a_request_with_an_expired_staff_session_deletes_its_row(demo_channels, settings):
    member = make_staff("alex", ["general"])
    client = sign_in(member)
    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    expire_all()

    response = client.get("/staff/inbox/")

    assert response.status_code == 302
    assert not Session.objects.filter(session_key=session_key).exists()


def test_a_request_with_an_expired_tipster_session_deletes_its_row(recipient_keys, settings):
    _tip, receipt = make_tip("general", "my own tip")
    client = Client()
    opened = client.post("/check/", {"receipt": receipt})
    assert opened.status_code == 302
    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    expire_all()

    page = client.get(opened.headers["Location"])

    assert "my own tip" not in page.content.decode()
    assert not Session.objects.filter(session_key=session_key).exists()


def test_the_worker_deletes_every_expired_session_row(demo_channels):
    member = make_staff("alex", ["general"])
    sign_in(member)
    live = sign_in(member, Client())
    Session.objects.exclude(session_key=live.cookies["tipline_session"].value).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )

    purge_expired_sessions.call()

    assert Session.objects.count() == 1
