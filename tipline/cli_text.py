"""The language of the `tipline` command's own messages, chosen from the environment as
other command-line programs choose theirs (LANGUAGE, LC_ALL, LC_MESSAGES, LANG: the first
one set), and read from the web pages' catalogues without setting Django up, so that
`tipline --help` creates nothing. `tipline.cli` activates the same language in Django for
the messages of the modules it calls."""

import gettext
import os

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
