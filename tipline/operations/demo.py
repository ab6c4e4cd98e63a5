"""The demo content `tipline demo` loads: three channels, a recipient and an admin to try
things with, an email route that writes the recipient's alerts as files under the data directory
(demo_mail_dir()), so that a newcomer sees an alert arrive without a mail server, and a
verified-insider organisation with ten-minute periods and a channel taking its tokens, so
that an admin can try members' tokens on the day of setup.

Ten-minute periods are for trying only: the crowd a token hides in is the members who
fetched in the same period, and the shorter the period, the fewer they are."""

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from tipline.accounts.models import User
from tipline.accounts.services import OneTimeLogin, create_user
from tipline.core.channel_schema import import_channel, parse_document
from tipline.core.models import Channel

DEMO_RECIPIENT = "demo-recipient"
DEMO_ADMIN = "demo-admin"
DEMO_ADDRESS = "demo-recipient@example.org"
DEMO_ROUTE = "demo-mail"
DEMO_CHANNEL_FILES = [Path(__file__).parent / "fixtures" / name for name in ("time-sensitive.yaml", "general.yaml")]
DEMO_ORGANISATION = "demo-insiders"
DEMO_ORGANISATION_PERIOD_SECONDS = 600
DEMO_MEMBERS = ("demo member 1", "demo member 2")
DEMO_INSIDER_CHANNEL_FILE = Path(__file__).parent / "fixtures" / "demo-insiders.yaml"


@dataclass(frozen=True)
class DemoResult:
    channels_created: int
    login: OneTimeLogin | None  # None when the recipient existed already
    admin_login: OneTimeLogin | None  # None when the admin existed already
    member_codes: list  # members' one-time codes, shown once: empty when the organisation existed


@transaction.atomic
def load_demo() -> DemoResult:
    """Create what is missing of the demo; running it again adds and changes nothing."""
    member_codes = _demo_organisation()
    files = [*DEMO_CHANNEL_FILES, DEMO_INSIDER_CHANNEL_FILE]
    specs = [parse_document(path.read_text(), path.name) for path in files]
    missing = [spec for spec in specs if not Channel.objects.filter(slug=spec.slug).exists()]
    for spec in missing:
        import_channel(spec)
    login = _demo_login([spec.slug for spec in specs])
    admin_login = None if User.objects.filter(username=DEMO_ADMIN).exists() else create_user(DEMO_ADMIN, ["admin"], [])
    User.objects.filter(username=DEMO_RECIPIENT, email="").update(email=DEMO_ADDRESS)
    _demo_route()
    return DemoResult(channels_created=len(missing), login=login, admin_login=admin_login, member_codes=member_codes)


def demo_mail_dir() -> Path:
    return Path(settings.DATA_DIR) / "demo-mail"


def _demo_organisation() -> list:
    from tipline.insider import admin_services
    from tipline.insider.models import Organisation

    if Organisation.objects.filter(slug=DEMO_ORGANISATION).exists():
        return []
    organisation = admin_services.create_organisation(
        "tipline demo",
        DEMO_ORGANISATION,
        "Demo organisation (for trying tokens only)",
        tokens_per_epoch=3,
        epoch_seconds=DEMO_ORGANISATION_PERIOD_SECONDS,
    )
    return admin_services.add_members("tipline demo", organisation, "\n".join(DEMO_MEMBERS))


def _demo_route() -> None:
    from tipline.alerts.models import Route
    from tipline.alerts.routes import RouteSpec, add_route

    if not Route.objects.filter(name=DEMO_ROUTE).exists():
        add_route(RouteSpec(name=DEMO_ROUTE, kind="email", target=f"file://{demo_mail_dir()}", by_operator=True))


def _demo_login(slugs: list[str]) -> OneTimeLogin | None:
    # Its one-time password was printed when it was made and is not stored; making a new
    # one would also make a new key pair and lock the recipient out of tips sent since.
    user = User.objects.filter(username=DEMO_RECIPIENT).first()
    if user is not None:
        user.channels.add(*Channel.objects.filter(slug__in=slugs))
        return None
    return create_user(DEMO_RECIPIENT, ["recipient"], slugs)
