"""`tipline manage`: Django's management utility (migrate, shell, ...) with Tipline's settings."""

import argparse

from tipline.cli.text import _


def add_parser(commands) -> None:
    manage = commands.add_parser(
        "manage",
        help=_("run a Django management command (migrate, shell, ...)"),
        description=_("Pass the remaining arguments to Django's management utility."),
    )
    manage.add_argument("django_arguments", nargs=argparse.REMAINDER)
    manage.set_defaults(handler=run_manage)


def run_manage(arguments) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["tipline manage", *arguments.django_arguments])
    return 0
