"""`tipline config show`: the effective configuration, where each value came from (the
environment, the file, the default), secrets masked; the check every command but `init`
makes before Django starts, that the data directory exists; and `init --secret-dir`, which
puts the site secret outside the data directory before anything reads it (as root on the
default data directory, `init` does so unasked)."""

import os
from pathlib import Path

from tipline.cli.text import _
from tipline.config import (
    PREFIX,
    SECRET_SETTINGS,
    SOURCES,
    config_file,
    data_dir,
    default_data_dir,
    ensure_private_dir,
    without_password,
)

# Where root's `tipline init` keeps the secret key of the default data directory (/var/lib/tipline):
# beside it, not in it, so that a copy of the data directory cannot open what the key seals.
ROOT_SECRET_DIR = Path("/var/lib/tipline-secret")


def add_parser(commands) -> None:
    config = commands.add_parser("config", help=_("show the effective configuration and where each value came from"))
    actions = config.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("show", help=_("print every setting, its value (secrets masked) and its source"))
    config.set_defaults(handler=run_config)


def run_config(arguments) -> int:
    path, _values = config_file()
    print(
        _("Configuration file: %(file)s")
        % {"file": path or _("none (TIPLINE_CONFIG, <data dir>/tipline.toml, /etc/tipline/tipline.toml)")}
    )
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


def secret_dir_for_init(asked: str | None) -> Path | None:
    """The directory `tipline init` should keep the secret key in: the one asked for, else, for
    root on the default data directory with no key file named anywhere, ROOT_SECRET_DIR."""
    if asked:
        return Path(asked)
    path, values = config_file()
    if os.geteuid() != 0 or data_dir() != default_data_dir():
        return None
    if os.environ.get(PREFIX + "SECRET_KEY_FILE") or values.get("secret_key_file"):
        return None
    if (
        path is not None and path != data_dir() / "tipline.toml"
    ):  # the operator's own file: `tipline check` says what to add
        return None
    return ROOT_SECRET_DIR


def place_secret_dir(directory: Path) -> str | None:
    """Make DIRECTORY hold the secret key file and name it in the data directory's
    configuration file; a key already beside the database moves there, so nothing it sealed
    is lost. Returns a one-line refusal, or None when done."""
    wanted = directory.expanduser().resolve() / "secret_key"
    path, values = config_file()
    named = os.environ.get(PREFIX + "SECRET_KEY_FILE") or values.get("secret_key_file")
    if named:
        if Path(named).expanduser().resolve() == wanted:
            return None
        return _("tipline init: the secret key file is already named as %(named)s; change that setting instead.") % {
            "named": named
        }
    own_file = data_dir() / "tipline.toml"
    if path is not None and path != own_file:
        return _('tipline init: the configuration is read from %(file)s: add secret_key_file = "%(wanted)s" there.') % {
            "file": path,
            "wanted": wanted,
        }
    ensure_private_dir(wanted.parent)
    ensure_private_dir(data_dir())
    beside = data_dir() / "secret_key"
    if beside.exists() and not wanted.exists():
        os.replace(beside, wanted)
        print(_("Moved the secret key from %(old)s to %(new)s.") % {"old": beside, "new": wanted})
    with own_file.open("a") as file:
        file.write(f'secret_key_file = "{wanted}"\n')
    config_file.cache_clear()
    return None
