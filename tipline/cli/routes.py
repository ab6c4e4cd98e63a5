"""`tipline routes add|list|remove|test`: the alert routes, the same ones the admins' staff
page shows (both go through tipline.alerts.routes). A secret is read from a file or
standard input, never from the command line, where other users' `ps` would see it."""

import sys

from tipline.cli.text import _


def add_parser(commands) -> None:
    routes = commands.add_parser(
        "routes",
        help=_("alert routes: email, webhooks, Slack, Teams, Matrix, ntfy"),
        description=_(
            "Where alerts go (docs/operations.md): add a route for the whole site or for chosen channels, list "
            "them with their health, remove one, or send a test alert through one now and see the result."
        ),
    )
    actions = routes.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help=_("add a route"))
    add.add_argument("name")
    add.add_argument("--kind", required=True, choices=["email", "webhook", "slack", "teams", "matrix", "ntfy"])
    add.add_argument("--target", required=True, help=_("smtp://user@host:587, file:///dir, or the https:// address"))
    add.add_argument("--room", default="", help=_("Matrix: the room id, e.g. !abc123:example.org"))
    add.add_argument(
        "--secret-file",
        default="",
        help=_("a file holding the signing secret, access token or SMTP password (- for standard input)"),
    )
    add.add_argument(
        "--channel",
        action="append",
        default=[],
        help=_("slug of a channel it serves (repeatable; none: every channel)"),
    )
    add.add_argument("--escalation-only", action="store_true", help=_("only escalations go through this route"))
    actions.add_parser("list", help=_("list the routes and how their last deliveries went"))
    remove = actions.add_parser("remove", help=_("remove a route"))
    remove.add_argument("name")
    test = actions.add_parser("test", help=_("send a test alert through a route now"))
    test.add_argument("name")
    test.add_argument("--to", default="", help=_("email routes: the address to send the test to"))
    routes.set_defaults(handler=run_routes)


def run_routes(arguments) -> int:
    from tipline.alerts.routes import RouteError

    try:
        return {"add": _add, "list": _list, "remove": _remove, "test": _test}[arguments.action](arguments)
    except RouteError as error:
        print(f"tipline routes {arguments.action}: {error}", file=sys.stderr)
        return 1


def _add(arguments) -> int:
    from tipline.alerts.routes import RouteSpec, add_route
    from tipline.audit.services import Action, record

    spec = RouteSpec(
        name=arguments.name,
        kind=arguments.kind,
        target=arguments.target,
        room=arguments.room,
        secret=_read_secret(arguments.secret_file),
        channel_slugs=tuple(arguments.channel),
        escalation_only=arguments.escalation_only,
        by_operator=True,
    )
    route = add_route(spec)
    record("command line", Action.ROUTE_ADDED, route.name, kind=route.kind, channels=sorted(arguments.channel))
    print(_("Route %(name)s added. Try it: tipline routes test %(name)s") % {"name": route.name})
    return 0


def _read_secret(source: str) -> str:
    if not source:
        return ""
    if source == "-":
        return sys.stdin.readline().strip()
    from pathlib import Path

    return Path(source).read_text(encoding="utf-8").strip()


def _list(arguments) -> int:
    from tipline.alerts.health import route_rows

    rows = route_rows()
    if not rows:
        print(_("No routes: alerts wait until one is added (tipline routes add --help)."))
    for row in rows:
        print(f"{row.name}\t{row.kind}\t{row.target}\t{row.serves}\t{row.state}")
    return 0


def _remove(arguments) -> int:
    from tipline.alerts.routes import remove_route
    from tipline.audit.services import Action, record

    remove_route(arguments.name)
    record("command line", Action.ROUTE_REMOVED, arguments.name)
    print(_("Route %(name)s removed.") % {"name": arguments.name})
    return 0


def _test(arguments) -> int:
    from tipline.alerts.delivery import send_test
    from tipline.alerts.routes import find_route
    from tipline.alerts.transports import Addressee, DeliveryFailed

    route = find_route(arguments.name)
    try:
        send_test(route, Addressee(arguments.to) if arguments.to else None)
    except DeliveryFailed as failure:
        print(
            _("tipline routes test: %(name)s failed: %(reason)s") % {"name": route.name, "reason": failure},
            file=sys.stderr,
        )
        return 1
    print(_("tipline routes test: %(name)s took the test alert.") % {"name": route.name})
    return 0
