"""`tipline init` and `tipline demo`: an instance made (data directory, secret key, database,
static files) and filled with demo channels, accounts and members, both safe to repeat."""

import sys
from pathlib import Path

from tipline.cli.recovery import RECOVERY_KEY_HOW_TO, install_recovery_key
from tipline.cli.text import _


def add_parsers(commands) -> None:
    init = commands.add_parser(
        "init",
        help=_("create the data directory, secret key and database (safe to repeat)"),
        description=_(
            "Create the data directory and secret key if missing, apply database migrations "
            "and collect static files. Running it again changes nothing that is already in place."
        ),
    )
    init.add_argument(
        "--secret-dir",
        metavar="DIR",
        help=_(
            "keep the secret key file in DIR, outside the data directory (named in <data dir>/tipline.toml; a key "
            "beside the database moves there)"
        ),
    )
    init.add_argument(
        "--recovery-key",
        metavar="PUBLIC_FILE",
        help=_("install the organisation recovery key's public half (made by tipline recovery-key new)"),
    )
    init.set_defaults(handler=run_init)

    demo = commands.add_parser(
        "demo",
        help=_("load demo channels and a demo recipient (safe to repeat)"),
        description=_(
            "Create the demo channels and a demo recipient if missing, and print the "
            "recipient's one-time password when the recipient is created."
        ),
    )
    demo.set_defaults(handler=run_demo)


def allow_a_replacement_key() -> None:
    """`tipline init` may make a key where the one made before is gone (a rotation), saying so."""
    from tipline import config

    data_dir = config.data_dir()
    key_file = Path(config.value("SECRET_KEY_FILE", str(data_dir / "secret_key"))).resolve()
    if warning := config.replaced_key_warning(key_file, data_dir):
        print(warning, file=sys.stderr)
    config.key_replacement_allowed = True


def run_init(arguments) -> int:
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    print(_("Tipline is initialised in %(directory)s") % {"directory": settings.DATA_DIR})
    if arguments.recovery_key:
        return install_recovery_key("tipline init", arguments.recovery_key)
    from tipline.core.recovery import current_key

    if current_key() is None:
        print(
            _(
                "No organisation recovery key yet: without one, a tip whose readers all lose their keys is lost "
                "for good. %(how)s"
            )
            % {"how": _(RECOVERY_KEY_HOW_TO)}
        )
    return 0


def run_demo(arguments) -> int:
    from tipline.operations.demo import demo_mail_dir, load_demo

    result = load_demo()
    print(_("Demo channels created: %(count)d (existing ones were kept).") % {"count": result.channels_created})
    print(_("Demo alerts are written as mail files to %(directory)s") % {"directory": demo_mail_dir()})
    if result.login is None and _set_up("demo-recipient"):
        print(_("The demo recipient is set up already: sign in with the password chosen at its first sign-in."))
    elif result.login is None:
        print(_("The demo recipient exists already; its one-time password was printed when it was created."))
        print(_("Lost it? Run: tipline resetuser demo-recipient (tips sent before that must then be granted again)."))
    else:
        print(_("Demo recipient: %(name)s") % {"name": result.login.username})
        print(
            _("One-time password: %(password)s  (it must be changed at first sign-in)")
            % {"password": result.login.password}
        )
    if result.admin_login is None and _set_up("demo-admin"):
        print(_("The demo admin is set up already: sign in with the password chosen at its first sign-in."))
    elif result.admin_login is None:
        print(
            _(
                "The demo admin exists already; its one-time password was printed when it was created (lost it? "
                "tipline resetuser demo-admin)."
            )
        )
    else:
        print(_("Demo admin: %(name)s") % {"name": result.admin_login.username})
        print(
            _("One-time password: %(password)s  (it must be changed at first sign-in)")
            % {"password": result.admin_login.password}
        )
    _print_demo_members(result.member_codes)
    return 0


def _set_up(username: str) -> bool:
    """Whether the demo account has left its one-time password behind (signed in and chose one)."""
    from tipline.accounts.models import User

    return User.objects.filter(username=username, must_change_password=False).exists()


def _print_demo_members(codes) -> None:
    from django.conf import settings

    from tipline.operations.demo import DEMO_ORGANISATION

    if not codes:
        return
    print(
        _(
            "Demo organisation %(organisation)s: ten-minute periods, for trying members' tokens only (so short a "
            "period leaves a token very few members to hide among)."
        )
        % {"organisation": DEMO_ORGANISATION}
    )
    for code in codes:
        print(_("Member %(member)s, one-time code: %(code)s") % {"member": code.reference, "code": code.code})
    print(
        _(
            "Try: tipline-token fetch --server %(server)s --organisation %(organisation)s --code CODE; "
            "ten minutes later, tipline-token show, and paste the token into the channel demo-insiders."
        )
        % {"organisation": DEMO_ORGANISATION, "server": settings.BASE_URL}
    )
