"""One cleaner per family of formats. Each takes the file's bytes and returns the cleaned
bytes and the note the tipster reads, or raises CannotClean; tipline.core.metadata picks
the cleaner and runs it in a child process within limits. Nothing here imports Django:
the child process has no settings."""


class CannotClean(Exception):
    """The file could not be cleaned; the message says why, in a few words."""


class TooManyPixels(Exception):
    """An image larger than the pixel cap, found from its header before decoding."""


def gettext_noop(message: str) -> str:
    """Marks a note for translation (it is translated when shown), without importing Django."""
    return message
