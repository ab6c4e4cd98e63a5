"""Logging pieces that keep client identity out of every log line.

Django attaches the request to some log records (e.g. 4xx/5xx warnings); a handler
that formats it (mail, Sentry, a JSON formatter) would write the client's address
and user agent. The filter below strips it before any handler sees the record.
"""

import logging


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
            record.msg = WITHHELD.get(record.name, f"Security warning from {record.name} (what the client sent is not logged).")
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
