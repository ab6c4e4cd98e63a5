"""The demo content `tipline demo` loads: two channels, a recipient to try things with, and
an email route that writes the recipient's alerts as files under the data directory
(demo_mail_dir()), so that a newcomer sees an alert arrive without a mail server."""

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from tipline.accounts.models import User
from tipline.accounts.services import OneTimeLogin, create_user
from tipline.core.channel_schema import import_channel, parse_document
from tipline.core.models import Channel

DEMO_RECIPIENT = "demo-recipient"
DEMO_ADDRESS = "demo-recipient@example.org"
DEMO_ROUTE = "demo-mail"
DEMO_CHANNEL_FILES = [Path(__file__).parent / "fixtures" / name for name in ("time-sensitive.yaml", "general.yaml")]


@dataclass(frozen=True)
class DemoResult:
    channels_created: int
    login: OneTimeLogin | None  # None when the recipient existed already


@transaction.atomic
def load_demo() -> DemoResult:
    """Create what is missing of the demo; running it again adds and changes nothing."""
    specs = [parse_document(path.read_text(), path.name) for path in DEMO_CHANNEL_FILES]
    missing = [spec for spec in specs if not Channel.objects.filter(slug=spec.slug).exists()]
    for spec in missing:
        import_channel(spec)
    login = _demo_login([spec.slug for spec in specs])
    User.objects.filter(username=DEMO_RECIPIENT, email="").update(email=DEMO_ADDRESS)
    _demo_route()
    return DemoResult(channels_created=len(missing), login=login)


def demo_mail_dir() -> Path:
    return Path(settings.DATA_DIR) / "demo-mail"


def _demo_route() -> None:
    from tipline.alerts.models import Route
    from tipline.alerts.routes import RouteSpec, add_route

    if not Route.objects.filter(name=DEMO_ROUTE).exists():
        add_route(RouteSpec(name=DEMO_ROUTE, kind="email", target=f"file://{demo_mail_dir()}"))


def _demo_login(slugs: list[str]) -> OneTimeLogin | None:
    # Its one-time password was printed when it was made and is not stored; making a new
    # one would also make a new key pair and lock the recipient out of tips sent since.
    user = User.objects.filter(username=DEMO_RECIPIENT).first()
    if user is not None:
        user.channels.add(*Channel.objects.filter(slug__in=slugs))
        return None
    return create_user(DEMO_RECIPIENT, ["recipient"], slugs)
