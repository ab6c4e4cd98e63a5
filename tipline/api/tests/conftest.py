import pytest
from django.test import Client

from tipline.accounts.tokens import create_token
from tipline.core.channel_schema import import_channel, parse_document
from tipline.testing.staff import make_staff


@pytest.fixture
def api_world(db):
    """Channels alpha and beta, a recipient of each, an admin of neither, and a token for each."""
    for slug in ("alpha", "beta"):
        import_channel(
            parse_document(
                f"slug: {slug}\nname: {slug.title()}\nfields:\n"
                "  - {key: tip, kind: long_text, label: Your tip, required: true}\n"
                "  - {key: when, kind: datetime, label: When, deadline: true}\n"
                "  - {key: files, kind: file, label: Files}\n"
            )
        )
    members = {
        "alpha": make_staff("ana", ["alpha"]),
        "beta": make_staff("ben", ["beta"]),
        "admin": make_staff("root", [], admin=True),
    }
    tokens = {
        role: create_token(member.user, member.private_key, "test", 30).secret_string
        for role, member in members.items()
    }
    return members, tokens


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def api_client():
    return Client()
