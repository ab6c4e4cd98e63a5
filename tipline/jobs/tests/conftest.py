import pytest

from tipline.accounts.models import User
from tipline.core.channel_schema import import_channel, parse_document
from tipline.testing.staff import make_staff


@pytest.fixture
def desk(transactional_db):
    """A channel with two recipients who want email, one of them in quiet-digest mode."""
    import_channel(parse_document(
        "slug: desk\nname: Night desk\nfields:\n  - {key: tip, kind: long_text, label: Your tip}\n"
        "  - {key: files, kind: file, label: Files}\n"
    ))
    members = [make_staff("ana", ["desk"]), make_staff("ben", ["desk"])]
    User.objects.filter(username="ana").update(email="ana@example.org")
    User.objects.filter(username="ben").update(email="ben@example.org", quiet_digest=True)
    return members
