"""The demo content `tipline demo` loads: a channel and a recipient to try things with."""

from dataclasses import dataclass

from django.db import transaction

from tipline.accounts.models import User
from tipline.accounts.services import OneTimeLogin, create_user, reissue_one_time_password
from tipline.core.models import Channel

DEMO_RECIPIENT = "demo-recipient"
DEMO_CHANNELS = [
    {
        "slug": "general",
        "name": "General tip",
        "description": "Tell us what you know. You do not have to say who you are.",
    },
]


@dataclass(frozen=True)
class DemoResult:
    channels_created: int
    login: OneTimeLogin | None  # None when the recipient has already signed in


@transaction.atomic
def load_demo() -> DemoResult:
    """Create what is missing of the demo; running it again adds nothing twice."""
    created = 0
    for spec in DEMO_CHANNELS:
        _, was_created = Channel.objects.get_or_create(slug=spec["slug"], defaults=spec)
        created += was_created
    return DemoResult(channels_created=created, login=_demo_login())


def _demo_login() -> OneTimeLogin | None:
    user = User.objects.filter(username=DEMO_RECIPIENT).first()
    if user is None:
        return create_user(DEMO_RECIPIENT, ["recipient"], [spec["slug"] for spec in DEMO_CHANNELS])
    if user.must_change_password:
        # The earlier one-time password was printed once and is not stored; issue a new one.
        return reissue_one_time_password(user)
    return None
