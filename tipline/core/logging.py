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
