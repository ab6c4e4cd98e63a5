"""An organisation with members, a channel that takes their tokens, and a way to fetch
tokens through the real services in any period (issuance with an explicit moment)."""

import secrets
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from tipline.core.channel_schema import import_channel, parse_document
from tipline.insider import admin_services, issuance, keys, members
from tipline.insider.models import Member, Organisation
from tipline.members.protocol import PendingToken, Token, public_key_from_spki

CHANNEL = """\
slug: police-tips
name: Tips from officers
insider_tokens: {mode}
insider_organisation: {organisation}
fields:
  - {{key: tip, kind: long_text, label: Your tip}}
"""


def make_organisation(slug="police", name="Metropolitan Police", tokens=5, epoch_seconds=7 * 86400) -> Organisation:
    return admin_services.create_organisation("test", slug, name, tokens, epoch_seconds)


def make_channel(organisation: Organisation, mode="optional", slug="police-tips"):
    from tipline.accounts.services import create_user

    document = CHANNEL.format(mode=mode, organisation=organisation.slug).replace("police-tips", slug)
    channel, _ = import_channel(parse_document(document))
    create_user(f"recipient-{slug}", ["recipient"], [channel.slug])
    return channel


def fetch(member: Member, when: datetime | None = None, count: int | None = None) -> list[Token]:
    """What tipline-token fetch does, through the services instead of HTTP."""
    organisation = member.organisation
    key = keys.ensure_keys(organisation, when)[0]
    spki, challenge = bytes(key.public_key), bytes(key.challenge)
    public = public_key_from_spki(spki)
    pending = [
        PendingToken.start(public, bytes(key.key_id), challenge) for _ in range(count or organisation.tokens_per_epoch)
    ]
    issued = issuance.issue(member, [item.request for item in pending], now=when)
    return [
        item.finish(public, challenge, bytes(key.key_id), response)
        for item, response in zip(pending, issued.responses, strict=True)
    ]


def periods_ago(organisation: Organisation, count: int) -> datetime:
    return timezone.now() - timedelta(seconds=count * organisation.epoch_seconds)


@pytest.fixture
def organisation(db) -> Organisation:
    return make_organisation()


@pytest.fixture
def member(organisation) -> Member:
    code = members.add_members(organisation, ["officer 1001"])[0].code
    members.activate(organisation.slug, code)
    return Member.objects.get(reference="officer 1001")


@pytest.fixture
def channel(organisation):
    return make_channel(organisation)


@pytest.fixture
def token_text(member) -> str:
    """A token fetched last period: usable now."""
    return fetch(member, periods_ago(member.organisation, 1), count=1)[0].to_text()


def send(client, channel, text="The armoury log is altered every Friday.", token="", **extra):
    from tipline.forms.tipster import new_form_token

    data = {"form_token": new_form_token(), "answer-tip": text, "insider_token": token, **extra}
    return client.post(f"/c/{channel.slug}/", data)


def random_text() -> str:
    return secrets.token_hex(6)
