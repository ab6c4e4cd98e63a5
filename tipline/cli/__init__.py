"""The `tipline` command: set up, run and look after a Tipline instance. This module only
assembles it: each command group builds its own sub-parser and handlers in its own module."""

import argparse
import os

from tipline import __version__
from tipline.cli import (
    accounts,
    audit,
    backups,
    channels,
    check,
    config,
    insiders,
    instance,
    jobs,
    manage,
    recovery,
    rekey,
    routes,
    serving,
)
from tipline.cli.text import LANGUAGE, _, fail, gettext_noop

DESCRIPTION = gettext_noop("Tipline: a self-hosted, secure, anonymous tip line.")

# In the order `tipline --help` lists the commands.
COMMAND_GROUPS = (
    instance.add_parsers,  # init, demo
    serving.add_parsers,  # serve, metrics
    jobs.add_worker_parser,
    routes.add_parser,
    jobs.add_status_parser,
    accounts.add_parsers,  # createuser, resetuser
    check.add_parser,
    channels.add_parser,
    insiders.add_parser,
    backups.add_parsers,  # backup, backup-key, restore
    recovery.add_parser,
    audit.add_parser,
    config.add_parser,
    rekey.add_parser,
    manage.add_parser,
)

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
        if problem := config.data_dir_problem(arguments.command):
            return fail(problem)
        secret_dir = config.secret_dir_for_init(arguments.secret_dir) if arguments.command == "init" else None
        if secret_dir is not None and (problem := config.place_secret_dir(secret_dir)):
            return fail(problem)
        if arguments.command == "init":
            instance.allow_a_replacement_key()
        _setup_django()
    except ImproperlyConfigured as error:  # a bad value or file: one line, not a traceback
        return fail(f"tipline {arguments.command}: {error}")
    from django.db import OperationalError

    try:
        return arguments.handler(arguments) or 0
    except OperationalError as error:  # the database is down or refuses: say so in one line
        return fail(
            _("tipline %(command)s: the database cannot be reached: %(error)s")
            % {
                "command": arguments.command,
                "error": str(error).strip().splitlines()[-1],
            }
        )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tipline", description=_(DESCRIPTION))
    parser.add_argument("--version", action="version", version=f"tipline {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add_parsers in COMMAND_GROUPS:
        add_parsers(commands)
    return parser


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tipline.settings")
    import django
    from django.apps import apps
    from django.utils import translation

    if not apps.ready:  # once: a second setup would reconfigure logging onto today's sys.stderr
        django.setup()
    translation.activate(LANGUAGE)  # for messages of the modules the commands call
