"""The languages tipline-reader speaks: English, Spanish and Arabic, like the rest of Tipline.
Its strings are marked with `_()` and gathered into Tipline's own catalogues (`make messages`),
which this module reads with the standard library's gettext, from the package or from inside
tipline-reader.pyz alike, so the reader needs no Django.

The language is, in order: --language, TIPLINE_READER_LANGUAGE, the usual LANGUAGE / LC_ALL /
LC_MESSAGES / LANG; for the local pages, the browser's Accept-Language first."""

import contextvars
import functools
import gettext
import importlib.resources
import os

LANGUAGES = ("en", "es", "ar")
RIGHT_TO_LEFT = ("ar",)
_current = contextvars.ContextVar("reader_language", default="en")


def gettext_noop(message: str) -> str:
    """Marks a string for the catalogues where it is defined; translated where it is shown."""
    return message


def _(message: str) -> str:
    return _catalogue(_current.get()).gettext(message)


def use(language: str) -> None:
    _current.set(language if language in LANGUAGES else "en")


def current() -> str:
    return _current.get()


def direction() -> str:
    return "rtl" if current() in RIGHT_TO_LEFT else "ltr"


def from_environment(explicit: str | None = None) -> str:
    for value in (
        explicit,
        os.environ.get("TIPLINE_READER_LANGUAGE"),
        *(os.environ.get(name) for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")),
    ):
        for part in (value or "").split(":"):
            code = part.split("_")[0].split(".")[0].split("-")[0].lower()
            if code in LANGUAGES:
                return code
    return "en"


def from_accept_language(header: str | None, fallback: str) -> str:
    """The first of the browser's languages the reader speaks (quality order), else `fallback`."""
    ranked = []
    for position, part in enumerate((header or "").split(",")):
        code, _sep, parameters = part.strip().partition(";")
        quality = 1.0
        if parameters.strip().startswith("q="):
            try:
                quality = float(parameters.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, position, code.split("-")[0].lower()))
    return next((code for _q, _p, code in sorted(ranked) if code in LANGUAGES), fallback)


@functools.cache
def _catalogue(language: str) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    try:
        with (
            importlib.resources.files("tipline")
            .joinpath(f"locale/{language}/LC_MESSAGES/django.mo")
            .open("rb") as compiled
        ):
            return gettext.GNUTranslations(compiled)
    except (FileNotFoundError, OSError):
        return gettext.NullTranslations()


_STATUSES = {
    "new": gettext_noop("New"),
    "in_review": gettext_noop("In review"),
    "acted_on": gettext_noop("Acted on"),
    "closed": gettext_noop("Closed"),
    "spam": gettext_noop("Spam"),
}


def status(value: object) -> str:
    """A tip's status in the reader's language (the tip line's own words); anything else as sent."""
    return _(_STATUSES[value]) if value in _STATUSES else str(value)
