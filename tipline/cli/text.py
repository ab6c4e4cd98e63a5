"""The language of the `tipline` command's own messages, chosen from the environment as
other command-line programs choose theirs (LANGUAGE, LC_ALL, LC_MESSAGES, LANG: the first
one set), and read from the web pages' catalogues without setting Django up, so that
`tipline --help` creates nothing. `tipline.cli` activates the same language in Django for
the messages of the modules it calls. And what every command group shares to say what it
did: a one-line refusal, a new private key file that nobody else can read."""

import gettext
import os
import sys
from pathlib import Path

from tipline.config import LANGUAGE_CODES, locale_dir

ENVIRONMENT_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def language_from(environ) -> str:
    """Ours of the first languages named by the first variable set; English for C, POSIX or others."""
    for variable in ENVIRONMENT_VARIABLES:
        if environ.get(variable):
            for locale_name in environ[variable].split(":"):
                code = locale_name.split(".")[0].split("@")[0].split("_")[0].lower()
                if code in LANGUAGE_CODES:
                    return code
            return LANGUAGE_CODES[0]
    return LANGUAGE_CODES[0]


def gettext_noop(message: str) -> str:
    """Marks a message for the catalogues where it is defined; `_` translates it where shown."""
    return message


LANGUAGE = language_from(os.environ)
_catalogue = gettext.translation("django", locale_dir(), languages=[LANGUAGE], fallback=True)
_ = _catalogue.gettext
ngettext = _catalogue.ngettext


def fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 1


def write_new_private_file(path: Path, line: str, command: str) -> bool:
    """Write LINE to a new file only its owner can read; a file there already is refused, never replaced."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        print(
            _("tipline %(command)s: %(file)s exists already; choose a new file name.")
            % {"command": command, "file": path},
            file=sys.stderr,
        )
        return False
    with os.fdopen(descriptor, "w") as output:
        output.write(line + "\n")
    return True
