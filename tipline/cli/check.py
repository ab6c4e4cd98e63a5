"""`tipline check`: whether this instance is configured safely and its tip line can be heard,
as tipline.operations.deployment finds it; each problem printed, exit 1 when there is any."""

from tipline.cli.text import _, ngettext


def add_parser(commands) -> None:
    check = commands.add_parser(
        "check",
        help=_("check that this instance is configured safely"),
        description=_(
            "Check the secret key's permissions, DEBUG, HTTPS settings, the database connection "
            "and migrations, shared services, and the running tip line: alert routes, accounts, "
            "channels, whether a worker is running, backups. Prints each problem and exits 1 if "
            "there is any, 0 if there is none."
        ),
    )
    check.add_argument(
        "--configuration-only",
        action="store_true",
        help=_(
            "only what the settings and files decide, not the state of the running tip line (routes, accounts, "
            "channels, worker, backups): for the server's ExecStartPre, so that none of those keeps tipsters out"
        ),
    )
    check.add_argument(
        "--deploy",
        action="store_true",
        help=_("add Django's own deployment checks (docs/deployment.md says which are silenced, and why)"),
    )
    check.set_defaults(handler=run_check)


def run_check(arguments) -> int:
    from tipline.operations.deployment import find_problems

    problems = find_problems(configuration_only=arguments.configuration_only, deploy=arguments.deploy)
    if not problems:
        print(_("tipline check: no problems found."))
        return 0
    print(
        ngettext("tipline check: %(count)d problem to fix:", "tipline check: %(count)d problems to fix:", len(problems))
        % {"count": len(problems)}
    )
    for problem in problems:
        print(f"  - {problem}")
    return 1
