"""The `tipline` command: set up, run and look after a Tipline instance."""

import argparse
import os
import sys
from pathlib import Path

from tipline import __version__
from tipline.cli_audit import add_audit_parser
from tipline.cli_config import (
    add_config_parser,
    data_dir_problem,
    fail,
    place_secret_dir,
    secret_dir_for_init,
)
from tipline.cli_operations import (
    RECOVERY_KEY_HOW_TO,
    add_backup_parsers,
    add_recovery_key_parser,
    install_recovery_key,
    run_insiders,
    run_metrics,
    run_rekey,
)
from tipline.cli_routes import add_routes_parser
from tipline.cli_text import LANGUAGE, _, gettext_noop, ngettext
from tipline.operations.serving import SERVE_LOCK

DESCRIPTION = gettext_noop("Tipline: a self-hosted, secure, anonymous tip line.")


# Commands that need no data directory, configuration or database.
WITHOUT_AN_INSTANCE = {"backup-key"}


def main(argv: list[str] | None = None) -> int:
    # Everything this process creates (database, blobs, keys) is for its owner only.
    os.umask(0o077)
    parser = build_parser()
    arguments = parser.parse_args(argv)
    if arguments.command is None:
        parser.print_help()
        return 2
    if arguments.command in WITHOUT_AN_INSTANCE or getattr(arguments, "without_an_instance", False):
        # e.g. a backup or recovery key pair, made on an admin's own computer
        return arguments.handler(arguments) or 0
    from django.core.exceptions import ImproperlyConfigured

    try:
        if problem := data_dir_problem(arguments.command):
            return fail(problem)
        secret_dir = secret_dir_for_init(arguments.secret_dir) if arguments.command == "init" else None
        if secret_dir is not None and (problem := place_secret_dir(secret_dir)):
            return fail(problem)
        if arguments.command == "init":
            _allow_a_replacement_key()
        _setup_django()
    except ImproperlyConfigured as error:  # a bad value or file: one line, not a traceback
        return fail(f"tipline {arguments.command}: {error}")
    from django.db import OperationalError

    try:
        return arguments.handler(arguments) or 0
    except OperationalError as error:  # the database is down or refuses: say so in one line
        return fail(_("tipline %(command)s: the database cannot be reached: %(error)s") % {
            "command": arguments.command, "error": str(error).strip().splitlines()[-1],
        })


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tipline", description=_(DESCRIPTION))
    parser.add_argument("--version", action="version", version=f"tipline {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    init = commands.add_parser(
        "init", help=_("create the data directory, secret key and database (safe to repeat)"),
        description=_(
            "Create the data directory and secret key if missing, apply database migrations "
            "and collect static files. Running it again changes nothing that is already in place."
        ),
    )
    init.add_argument(
        "--secret-dir", metavar="DIR",
        help=_("keep the secret key file in DIR, outside the data directory (named in <data dir>/tipline.toml; a key beside the database moves there)"),
    )
    init.add_argument(
        "--recovery-key", metavar="PUBLIC_FILE",
        help=_("install the organisation recovery key's public half (made by tipline recovery-key new)"),
    )
    init.set_defaults(handler=run_init)

    demo = commands.add_parser(
        "demo", help=_("load demo channels and a demo recipient (safe to repeat)"),
        description=_(
            "Create the demo channels and a demo recipient if missing, and print the "
            "recipient's one-time password when the recipient is created."
        ),
    )
    demo.set_defaults(handler=run_demo)

    serve = commands.add_parser(
        "serve", help=_("serve the tip line with granian"),
        description=_(
            "Serve the tip line over HTTP with granian (WSGI). Put a TLS-terminating reverse "
            "proxy or a Tor onion service in front of it. Access logs record no client address."
        ),
    )
    serve.add_argument("--host", default="127.0.0.1", help=_("address to bind (default: 127.0.0.1)"))
    serve.add_argument("--port", type=int, default=8000, help=_("port to bind (default: 8000)"))
    serve.add_argument("--workers", type=int, default=2, help=_("worker processes (default: 2)"))
    serve.add_argument("--threads", type=int, default=4, help=_("request threads per worker (default: 4)"))
    serve.add_argument(
        "--backpressure", type=int, default=16,
        help=_("requests handled at once per worker; more wait in the queue (default: 16)"),
    )
    serve.set_defaults(handler=run_serve)

    metrics = commands.add_parser(
        "metrics", help=_("serve Prometheus metrics on a separate, non-public address"),
        description=_(
            "Serve /metrics for Prometheus: request counts and latencies by route pattern from every "
            "`tipline serve` process of this data directory, tips by status, tasks by state, and whether the "
            "database, cache and blob store answer. Nothing about any tipster. Bind it to loopback or a "
            "private network only."
        ),
    )
    metrics.add_argument("--bind", default="127.0.0.1:9464", help=_("HOST:PORT (default: 127.0.0.1:9464)"))
    metrics.set_defaults(handler=run_metrics)

    worker = commands.add_parser(
        "worker", help=_("run background jobs: deadline alerts, notifications, retention"),
        description=_(
            "Run background jobs until stopped (SIGTERM or Ctrl+C): alert deliveries, the deadline scan every "
            "15 seconds, the retention purge every hour and the daily digest. Several workers "
            "may run against one PostgreSQL database. It waits out database faults and records a heartbeat "
            "(docs/operations.md, The worker); docs/deployment.md has its systemd unit."
        ),
    )
    worker.add_argument("--interval", type=float, default=1.0, help=_("seconds to wait when idle (default: 1)"))
    worker.set_defaults(handler=run_worker)

    add_routes_parser(commands)

    jobs = commands.add_parser(
        "jobs", help=_("show background tasks: queued, running, failed, next scans"),
        description=_(
            "tipline jobs status: counts of queued, running, failed and finished tasks, the latest "
            "failures, when each periodic scan runs next, and alerts that are pending or failing."
        ),
    )
    jobs.add_argument("action", choices=["status"])
    jobs.set_defaults(handler=run_jobs)

    createuser = commands.add_parser(
        "createuser", help=_("create a recipient or admin with a one-time password"),
        description=_(
            "Create an account and print its one-time password, which must be changed at "
            "first sign-in. Example: tipline createuser alex --role recipient --channel general"
        ),
    )
    createuser.add_argument("username")
    createuser.add_argument(
        "--role", action="append", choices=["admin", "recipient"], required=True,
        help=_("admin, recipient, or both (repeat the option)"),
    )
    createuser.add_argument("--channel", action="append", default=[], help=_("slug of a channel to receive (repeatable)"))
    createuser.set_defaults(handler=run_createuser)

    resetuser = commands.add_parser(
        "resetuser", help=_("give an account a fresh one-time password and key pair"),
        description=_(
            "Replace an account's password with a one-time password and give it a new key pair. "
            "Tips sealed to the old key stay unreadable for this person until another recipient who can open them, "
            "or the organisation recovery key, grants them again. A tip nobody else can open, and the recovery key "
            "cannot, stays unreadable for good: the command then stops and says how many, and goes on only with "
            "--leave-unreadable and that number."
        ),
    )
    resetuser.add_argument("username")
    resetuser.add_argument(
        "--leave-unreadable", metavar="NUMBER", dest="typed",
        help=_("confirm that this many tips, which only this person can read, will stay unreadable for good"),
    )
    resetuser.set_defaults(handler=run_resetuser)

    check = commands.add_parser(
        "check", help=_("check that this instance is configured safely"),
        description=_(
            "Check the secret key's permissions, DEBUG, HTTPS settings, the database connection "
            "and migrations, shared services, and the running tip line: alert routes, accounts, "
            "channels, whether a worker is running, backups. Prints each problem and exits 1 if "
            "there is any, 0 if there is none."
        ),
    )
    check.add_argument(
        "--configuration-only", action="store_true",
        help=_(
            "only what the settings and files decide, not the state of the running tip line (routes, accounts, "
            "channels, worker, backups): for the server's ExecStartPre, so that none of those keeps tipsters out"
        ),
    )
    check.add_argument(
        "--deploy", action="store_true",
        help=_("add Django's own deployment checks (docs/deployment.md says which are silenced, and why)"),
    )
    check.set_defaults(handler=run_check)

    channel = commands.add_parser(
        "channel", help=_("import or export a channel and its form (YAML or JSON)"),
        description=_(
            "Import a channel from a YAML or JSON file (creating it, or replacing the form of the "
            "channel with that slug), or print a channel as YAML or JSON. See docs/channels.md for the format."
        ),
    )
    channel_actions = channel.add_subparsers(dest="action", metavar="ACTION", required=True)
    channel_import = channel_actions.add_parser("import", help=_("create or update channels from files"))
    channel_import.add_argument("files", nargs="+", metavar="FILE")
    channel_export = channel_actions.add_parser("export", help=_("print a channel as YAML (or --json)"))
    channel_export.add_argument("slug")
    channel_export.add_argument("--json", action="store_true", help=_("print JSON instead of YAML"))
    channel.set_defaults(handler=run_channel)

    insiders = commands.add_parser(
        "insiders", help=_("organisations whose members can prove membership anonymously"),
        description=_(
            "Verified insiders (docs/insider-tokens.md): create an organisation, add members from a "
            "list (one per line; each gets a one-time sign-in code, printed once), give a member a new code, "
            "or rotate keys now (the worker also does it)."
        ),
    )
    insider_actions = insiders.add_subparsers(dest="action", metavar="ACTION", required=True)
    insider_create = insider_actions.add_parser("create", help=_("create an organisation"))
    insider_create.add_argument("slug")
    insider_create.add_argument("--name", required=True)
    insider_create.add_argument("--tokens", type=int, default=5, help=_("tokens per member per period (default 5)"))
    insider_create.add_argument("--epoch-days", type=int, default=7, help=_("length of a period in days (default 7)"))
    insider_members = insider_actions.add_parser("add-members", help=_("add members from a file, one per line"))
    insider_members.add_argument("slug")
    insider_members.add_argument("file", help=_("a text file, or - for standard input"))
    insider_code = insider_actions.add_parser("new-code", help=_("a new one-time code for a member (a lost device)"))
    insider_code.add_argument("slug")
    insider_code.add_argument("reference")
    insider_actions.add_parser("rotate", help=_("make the keys of coming periods; destroy private keys of past ones"))
    insider_reseal = insider_actions.add_parser(
        "reseal", help=_("after replacing the secret key: seal the issuer keys again under the new one"),
    )
    insider_reseal.add_argument("old_secret_key_file", help=_("the replaced secret key file"))
    insiders.set_defaults(handler=run_insiders)

    add_backup_parsers(commands)
    add_recovery_key_parser(commands)
    add_audit_parser(commands)
    add_config_parser(commands)

    rekey = commands.add_parser(
        "rekey", help=_("after replacing the secret key file: move everything sealed under the old one"),
        description=_(
            "Open with the old secret key file, and seal or sign again under the current one: insider issuer keys, "
            "recipients' public keys, alert route secrets and the audit log's chain. All or nothing. "
            "See docs/deployment.md, key rotation."
        ),
    )
    rekey.add_argument("old_secret_key_file", help=_("the replaced secret key file"))
    rekey.set_defaults(handler=run_rekey)

    manage = commands.add_parser(
        "manage", help=_("run a Django management command (migrate, shell, ...)"),
        description=_(
            "Pass the remaining arguments to Django's management utility."
        ),
    )
    manage.add_argument("django_arguments", nargs=argparse.REMAINDER)
    manage.set_defaults(handler=run_manage)
    return parser


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tipline.settings")
    import django
    from django.utils import translation

    django.setup()
    translation.activate(LANGUAGE)  # for messages of the modules the commands call


def _allow_a_replacement_key() -> None:
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
        print(_("No organisation recovery key yet: without one, a tip whose readers all lose their keys is lost "
                "for good. %(how)s") % {"how": _(RECOVERY_KEY_HOW_TO)})
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
        print(_("One-time password: %(password)s  (it must be changed at first sign-in)") % {"password": result.login.password})
    if result.admin_login is None and _set_up("demo-admin"):
        print(_("The demo admin is set up already: sign in with the password chosen at its first sign-in."))
    elif result.admin_login is None:
        print(_("The demo admin exists already; its one-time password was printed when it was created (lost it? tipline resetuser demo-admin)."))
    else:
        print(_("Demo admin: %(name)s") % {"name": result.admin_login.username})
        print(_("One-time password: %(password)s  (it must be changed at first sign-in)") % {"password": result.admin_login.password})
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
    print(_(
        "Demo organisation %(organisation)s: ten-minute periods, for trying members' tokens only (so short a period "
        "leaves a token very few members to hide among)."
    ) % {"organisation": DEMO_ORGANISATION})
    for code in codes:
        print(_("Member %(member)s, one-time code: %(code)s") % {"member": code.reference, "code": code.code})
    print(_(
        "Try: tipline-token fetch --server %(server)s --organisation %(organisation)s --code CODE; "
        "ten minutes later, tipline-token show, and paste the token into the channel demo-insiders."
    ) % {"organisation": DEMO_ORGANISATION, "server": settings.BASE_URL})


def run_serve(arguments) -> int:
    lock = _hold_the_data_directory()
    if lock is None or not _port_is_free(arguments.host, arguments.port):
        return 1
    _say_where_served(lock, arguments.host, arguments.port)
    command = [
        sys.executable, "-m", "granian", "--interface", "wsgi",
        "--host", arguments.host, "--port", str(arguments.port),
        "--workers", str(arguments.workers), "--blocking-threads", str(arguments.threads),
        "--backpressure", str(arguments.backpressure),
        "--no-access-log", "--respawn-failed-workers", "--no-ws",
        "tipline.wsgi:application",
    ]
    from tipline.web.metrics import clear_for_start

    clear_for_start()
    os.execv(sys.executable, command)
    return 1  # not reached: execv replaces this process

def _hold_the_data_directory() -> int | None:
    """One server per data directory: a lock held for as long as the server runs (its file
    descriptor survives exec into granian); a second one is refused in one line."""
    import fcntl

    from django.conf import settings

    descriptor = os.open(settings.DATA_DIR / SERVE_LOCK, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        print(_("tipline serve: a server already runs on the data directory %(directory)s; stop it first, or give this one its own TIPLINE_DATA_DIR.") % {"directory": settings.DATA_DIR}, file=sys.stderr)
        return None
    os.set_inheritable(descriptor, True)
    return descriptor


def _say_where_served(lock: int, host: str, port: int) -> None:
    """The lock file names the address served, for `tipline check` to compare with the base URL."""
    os.ftruncate(lock, 0)
    os.pwrite(lock, f"{host} {port}\n".encode(), 0)


def _port_is_free(host: str, port: int) -> bool:
    """granian shares a port with any process that also asks to (SO_REUSEPORT), so two servers
    would split the requests between them: refuse a port something already listens on."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a restart's old connections do not count
        try:
            probe.bind((host, port))
        except OSError:
            print(_("tipline serve: port %(port)d on %(host)s is in use by another program; stop it, or choose another with --port.") % {"port": port, "host": host}, file=sys.stderr)
            return False
    return True


def run_worker(arguments) -> int:
    from tipline.alerts.health import startup_report
    from tipline.jobs.worker import NotSetUp, run

    print(_("tipline worker: running background jobs; stop with Ctrl+C or SIGTERM."), flush=True)
    try:
        run(interval=arguments.interval, when_ready=lambda: print(startup_report(), flush=True))
    except NotSetUp as problem:
        return fail(f"tipline worker: {problem}")
    return 0


def run_jobs(arguments) -> int:
    from tipline.jobs.status import report

    print(report())
    return 0


def run_createuser(arguments) -> int:
    from tipline.accounts.services import AccountError, create_user
    from tipline.audit.services import Action, record

    try:
        login = create_user(arguments.username, arguments.role, arguments.channel)
        record("command line", Action.USER_CREATED, login.username, roles=sorted(arguments.role), channels=sorted(arguments.channel))
    except AccountError as error:
        print(f"tipline createuser: {error}", file=sys.stderr)
        return 1
    print(_("Created %(name)s. One-time password: %(password)s") % {"name": login.username, "password": login.password})
    print(_("It must be changed at first sign-in."))
    return 0


def run_resetuser(arguments) -> int:
    from tipline.accounts.models import User
    from tipline.casework.admin_services import (
        NotConfirmed,
        left_unread_by_reset,
        reset_user,
    )
    from tipline.core.joining import CannotReset

    user = User.objects.filter(username=arguments.username).first()
    if user is None:
        print(_("tipline resetuser: no user named %(name)r.") % {"name": arguments.username}, file=sys.stderr)
        return 1
    left = left_unread_by_reset(None, user)
    try:
        login = reset_user("command line", user, arguments.typed, keep_an_admin=False)
    except NotConfirmed:
        print(ngettext(
            "tipline resetuser: %(count)d tip can be read by %(name)s alone, and the recovery key cannot grant it again: "
            "after a reset nobody could ever read it. Grant it to a colleague first (on its page), or go on with: "
            "tipline resetuser %(name)s --leave-unreadable %(count)d",
            "tipline resetuser: %(count)d tips can be read by %(name)s alone, and the recovery key cannot grant them again: "
            "after a reset nobody could ever read them. Grant them to a colleague first (Grant access on the channel), or go on with: "
            "tipline resetuser %(name)s --leave-unreadable %(count)d", left.lost,
        ) % {"count": left.lost, "name": user.username}, file=sys.stderr)
        return 1
    except CannotReset as refusal:
        print(f"tipline resetuser: {refusal}", file=sys.stderr)
        return 1
    print(_("Reset %(name)s. One-time password: %(password)s") % {"name": login.username, "password": login.password})
    print(_("It must be changed at first sign-in."))
    _say_what_the_reset_left(left)
    return 0


def _say_what_the_reset_left(left) -> None:
    if left.recoverable:
        print(ngettext(
            "%(count)d tip only they could read waits for the recovery key: once they have signed in, on the computer "
            "that holds its private half, tipline-reader recover --server URL --key FILE --to %(name)s --unreadable.",
            "%(count)d tips only they could read wait for the recovery key: once they have signed in, on the computer "
            "that holds its private half, tipline-reader recover --server URL --key FILE --to %(name)s --unreadable.",
            left.recoverable,
        ) % {"count": left.recoverable, "name": left.person})
    if left.lost:
        print(ngettext("%(count)d tip can no longer be read by anyone.", "%(count)d tips can no longer be read by anyone.", left.lost) % {"count": left.lost})
    print(_("Tips their colleagues can open stay closed to them until a colleague grants them again."))


def run_check(arguments) -> int:
    from tipline.operations.deployment import find_problems

    problems = find_problems(configuration_only=arguments.configuration_only, deploy=arguments.deploy)
    if not problems:
        print(_("tipline check: no problems found."))
        return 0
    print(ngettext("tipline check: %(count)d problem to fix:", "tipline check: %(count)d problems to fix:", len(problems)) % {"count": len(problems)})
    for problem in problems:
        print(f"  - {problem}")
    return 1


def run_channel(arguments) -> int:
    from pathlib import Path

    from tipline.casework.admin_services import save_channel
    from tipline.core.channel_schema import (
        ChannelFormatError,
        export_channel,
        parse_document,
    )
    from tipline.core.models import Channel
    from tipline.core.submission import channel_is_receiving

    if arguments.action == "export":
        channel = Channel.objects.filter(slug=arguments.slug).first()
        if channel is None:
            print(_("tipline channel export: no channel with slug %(slug)r.") % {"slug": arguments.slug}, file=sys.stderr)
            return 1
        sys.stdout.write(export_channel(channel, as_json=arguments.json))
        return 0
    problems = 0
    for name in arguments.files:
        path = Path(name)
        try:
            spec = parse_document(path.read_text(encoding="utf-8"), path.name)
        except (OSError, UnicodeDecodeError) as error:
            print(_("%(file)s: cannot be read (%(error)s)") % {"file": name, "error": error}, file=sys.stderr)
            problems += 1
            continue
        except ChannelFormatError as error:
            print(_("%(file)s: not imported:") % {"file": name}, *(f"  {line}" for line in str(error).splitlines()), sep="\n", file=sys.stderr)
            problems += 1
            continue
        try:
            channel, created = save_channel("command line", spec)
        except ChannelFormatError as error:
            print(_("%(file)s: not imported: %(error)s") % {"file": name, "error": error}, file=sys.stderr)
            problems += 1
            continue
        message = _("%(file)s: channel %(slug)r created with %(count)d fields.") if created else _("%(file)s: channel %(slug)r updated with %(count)d fields.")
        print(message % {"file": name, "slug": channel.slug, "count": len(spec.fields)})
        if not channel_is_receiving(channel):
            print(_(
                "%(file)s: channel %(slug)r has no recipient who could read its tips, so it takes none: add one with "
                "tipline createuser NAME --role recipient --channel %(slug)s, or on Admin → Channels."
            ) % {"file": name, "slug": channel.slug}, file=sys.stderr)
    return 1 if problems else 0


def run_manage(arguments) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["tipline manage", *arguments.django_arguments])
    return 0


if __name__ == "__main__":
    sys.exit(main())
