"""Logging pieces that keep client identity out of every log line.

Django attaches the request to some log records (e.g. 4xx/5xx warnings); a handler
that formats it (mail, Sentry, a JSON formatter) would write the client's address
and user agent. The filter below strips it before any handler sees the record. Lines about
tipsters' requests are written at the end of the hour, stamped with the hour.
"""

import atexit
import contextlib
import contextvars
import logging
import os
import re
import threading
import time


class DropRequestFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for attribute in ("request", "server_time"):
            if hasattr(record, attribute):
                delattr(record, attribute)
        return True


# Django's security warnings quote what the client sent (Origin, Referer, Host, the path).
# Their fact is worth a line; the client's words are not.
WITHHELD = {
    "django.security.csrf": "A request failed the CSRF check (what the client sent is not logged).",
    "django.security.DisallowedHost": "A request named a host that is not in TIPLINE_ALLOWED_HOSTS (not logged).",
}


class WithholdClientDetailsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("django.security"):
            record.msg = WITHHELD.get(
                record.name, f"Security warning from {record.name} (what the client sent is not logged)."
            )
            record.args = ()
            record.exc_info = record.exc_text = None
        return True


class RoutePatternFilter(logging.Filter):
    """Django logs 5xx answers as "<reason>: <path>"; the path can be anything a client typed
    (a channel slug, a typo). Keep the reason, name the route pattern as the access log does."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if request is not None and record.args:
            match = getattr(request, "resolver_match", None)
            record.args = tuple(
                ("/" + match.route if match is not None else "<no route>") if argument == request.path else argument
                for argument in record.args
            )
        return True


# Lines about a tipster's requests would put the minute of their visit into the log (and into
# whatever stamps log lines as they arrive, such as journald). They are held in memory and
# written at the end of the hour, each stamped with the hour it happened in.
STAFF_PATH = re.compile(r"^/(?:[a-z]{2}(?:-[a-z]+)?/)?staff/")
HELD_LINES_MAX = 10_000
_in_public_request: contextvars.ContextVar[bool] = contextvars.ContextVar("in_public_request", default=False)


def is_public_request(request) -> bool:
    """Anything but the staff pages and the API used with a personal token."""
    return not (STAFF_PATH.match(request.path) or "HTTP_AUTHORIZATION" in request.META)


@contextlib.contextmanager
def serving(request):
    """Marks the log records made while `request` is answered (see HoldPublicLinesFilter)."""
    marker = _in_public_request.set(is_public_request(request))
    try:
        yield
    finally:
        _in_public_request.reset(marker)


class HoldPublicLinesFilter(logging.Filter):
    """A handler filter: records about a public request, or logged with
    `extra={"tipster_activity": True}` (an alert a tip caused), are held until the hour ends."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "released_at_the_hour", False):
            return True
        request = getattr(record, "request", None)
        public = is_public_request(request) if request is not None else _in_public_request.get()
        if not (public or getattr(record, "tipster_activity", False)):
            return True
        # Held for up to an hour: without the request, which would keep its body and files in
        # memory (a flood of refused uploads grew a server by gigabytes).
        record.__dict__.pop("request", None)
        _held.hold(record)
        return False


class _HeldLines:
    def __init__(self):
        self._lock = threading.Lock()
        self._records: list[logging.LogRecord] = []
        self._dropped = 0
        self._releaser_pid: int | None = None

    def hold(self, record: logging.LogRecord) -> None:
        with self._lock:
            if len(self._records) < HELD_LINES_MAX:
                self._records.append(record)
            else:
                self._dropped += 1
            if self._releaser_pid != os.getpid():  # first line in this process (or since a fork)
                self._releaser_pid = os.getpid()
                threading.Thread(target=self._release_every_hour, name="hourly-log-release", daemon=True).start()

    def release(self) -> None:
        with self._lock:
            records, self._records = self._records, []
            dropped, self._dropped = self._dropped, 0
        for record in records:
            record.created = record.created // 3600 * 3600
            record.msecs = record.relativeCreated = 0
            record.released_at_the_hour = True
            logging.getLogger(record.name).handle(record)
        if dropped:
            logging.getLogger("tipline.access").warning(
                "%d lines about public requests were dropped this hour (over %d)", dropped, HELD_LINES_MAX
            )

    def _release_every_hour(self) -> None:
        while True:
            time.sleep(3600 - time.time() % 3600 + 1)
            self.release()


_held = _HeldLines()
release_held_lines = _held.release
atexit.register(release_held_lines)
