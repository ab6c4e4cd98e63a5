"""Reading a Tor configuration for `tipline check`: which onion services it defines and
whether each has Tor's proof-of-work defence on (a flooding client then pays per visit).

Tor's own rules: keywords are case-insensitive, `#` starts a comment, an onion service's
options follow its HiddenServiceDir line, and `%include` takes a file, a directory's files
or a glob, in name order.
"""

import glob
from pathlib import Path

POW_OPTION = "hiddenservicepowdefensesenabled"


class TorrcUnreadable(Exception):
    """The file (or one it includes) cannot be read."""


def onion_services(path: Path) -> dict[str, bool]:
    """Each onion service's HiddenServiceDir in `path`, and whether its proof-of-work
    defence is on. Raises TorrcUnreadable."""
    services: dict[str, bool] = {}
    current = None
    for keyword, value in _options(path):
        if keyword == "hiddenservicedir":
            current = value
            services.setdefault(current, False)
        elif keyword == POW_OPTION and current is not None:
            services[current] = value == "1"
    return services


def _options(path: Path, depth: int = 0) -> list[tuple[str, str]]:
    try:
        lines = Path(path).read_text().splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise TorrcUnreadable(f"{path}: {error.__class__.__name__}") from None
    options = []
    for line in lines:
        words = line.split("#", 1)[0].split(None, 1)
        if not words:
            continue
        keyword, value = words[0].lower(), (words[1].strip() if len(words) > 1 else "")
        if keyword == "%include" and depth < 8:
            for included in _included_files(value):
                options += _options(included, depth + 1)
        else:
            options.append((keyword, value))
    return options


def _included_files(pattern: str) -> list[Path]:
    found = []
    for name in sorted(glob.glob(pattern)):
        entry = Path(name)
        found += (
            sorted(child for child in entry.iterdir() if child.is_file() and not child.name.startswith("."))
            if entry.is_dir()
            else [entry]
        )
    return found
