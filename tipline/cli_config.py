"""`tipline config show`: the effective configuration, where each value came from (the
environment, the file, the default), secrets masked; and the check every command but
`init` makes before Django starts, that the data directory exists."""

import sys

from tipline.cli_text import _
from tipline.config import SECRET_SETTINGS, SOURCES, config_file, data_dir, without_password


def add_config_parser(commands) -> None:
    config = commands.add_parser("config", help=_("show the effective configuration and where each value came from"))
    actions = config.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("show", help=_("print every setting, its value (secrets masked) and its source"))
    config.set_defaults(handler=run_config)


def run_config(arguments) -> int:
    path, _values = config_file()
    print(_("Configuration file: %(file)s") % {"file": path or _("none (TIPLINE_CONFIG, <data dir>/tipline.toml, /etc/tipline/tipline.toml)")})
    for name, (value, source) in sorted(SOURCES.items()):
        print(f"{name} = {masked(name, value)}    ({source})")
    return 0


def masked(name: str, value) -> str:
    text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    if name in SECRET_SETTINGS and text:
        return "********"
    return without_password(text)


def data_dir_problem(command: str) -> str | None:
    """One line when a command other than `init` would run without a data directory."""
    if command == "init":
        return None
    directory = data_dir()
    if directory.is_dir():
        return None
    return _(
        "tipline %(command)s: there is no data directory at %(directory)s: run tipline init, or name yours with "
        "TIPLINE_DATA_DIR or data_dir in the configuration file."
    ) % {"command": command, "directory": directory}


def fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 1
