import pytest

from tipline.core.channel_schema import import_channel, parse_document
from tipline.testing.staff import make_staff, sign_in


@pytest.fixture
def two_channels(db):
    """Channels A and B (copies of the general form), with one recipient each and an admin
    who is recipient of neither."""
    for slug in ("alpha", "beta"):
        import_channel(
            parse_document(
                f"slug: {slug}\nname: {slug.title()}\nfields:\n  - {{key: tip, kind: long_text, label: Your tip}}\n"
                "  - {key: files, kind: file, label: Files}\n"
            )
        )
    return {
        "alpha": make_staff("ana", ["alpha"]),
        "beta": make_staff("ben", ["beta"]),
        "admin": make_staff("root", [], admin=True),
    }


@pytest.fixture
def signed_in(two_channels):
    return {role: sign_in(member) for role, member in two_channels.items()}
