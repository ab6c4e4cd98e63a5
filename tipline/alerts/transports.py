"""Sending one notice through one route, now. Every failure becomes DeliveryFailed with
the exact reason a person can act on (refused address, HTTP status, timeout), never
with tip content, which no notice holds."""

import http.client
import os
import smtplib
import ssl
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.filebased import EmailBackend as FileEmailBackend
from django.core.mail.backends.smtp import EmailBackend as SmtpEmailBackend
from django.utils import translation

from tipline.alerts import notify
from tipline.alerts.exchange import AnswerCutOff, Exchange, read_to_end
from tipline.alerts.models import Route, RouteKind
from tipline.alerts.routes import RouteError, route_secret
from tipline.core.events import to_the_hour


class DeliveryFailed(Exception):
    """The route did not take the notice; the message says why, in printable text only
    (a receiver's own words, such as an HTTP reason, may hold anything)."""

    def __init__(self, reason: str):
        super().__init__(printable(reason))


def printable(text: str, limit: int = 400) -> str:
    """What a receiver said, fit for the database and the log: no NUL or other control
    characters (PostgreSQL refuses NUL in text; a CR would forge a log line), at most `limit`."""
    return "".join(character if character.isprintable() else "?" for character in str(text))[:limit]


@dataclass(frozen=True)
class Addressee:
    """Whom an email goes to, in which language."""

    email: str
    language: str = settings.LANGUAGE_CODE

    @classmethod
    def of(cls, user) -> "Addressee":
        return cls(email=user.email, language=user.language)


def send(route: Route, notice: notify.Notice, addressee: Addressee | None = None) -> None:
    try:
        if route.kind == RouteKind.EMAIL:
            _send_email(route, notice, addressee)
        else:
            _post(route, notice)
    except RouteError as error:
        raise DeliveryFailed(str(error)) from None
    except (ValueError, UnicodeError, http.client.HTTPException) as error:
        # A target or token that cannot make a request at all: a failure to show, not a crashed worker.
        raise DeliveryFailed(f"{error.__class__.__name__}: {error}") from None


def _send_email(route: Route, notice: notify.Notice, addressee: Addressee | None) -> None:
    if addressee is None or not addressee.email:
        raise DeliveryFailed(
            "no email address to send to (from the command line: tipline routes test NAME --to ADDRESS)"
        )
    with translation.override(addressee.language):
        subject, body = notify.email_subject(notice), notify.email_body(notice)
    send_mail_text(route, addressee, subject, body)


def send_mail_text(route: Route, addressee: Addressee, subject: str, body: str) -> None:
    with Exchange(settings.ALERT_SEND_TIMEOUT_SECONDS) as exchange:
        try:
            connection = mail_connection(route, exchange)
            headers = _hour_headers(_sender(route)) if isinstance(connection, HourlyFileMailBackend) else None
            connection.send_messages([EmailMessage(subject, body, _sender(route), [addressee.email], headers=headers)])
        except RouteError as error:
            raise DeliveryFailed(str(error)) from None
        except (smtplib.SMTPException, OSError, ssl.SSLError) as error:
            _fail_past_deadline(exchange)
            raise DeliveryFailed(f"{error.__class__.__name__}: {error}") from None
        _fail_past_deadline(exchange)


def _hour_headers(sender: str) -> dict:
    """A mail kept on disk tells no time finer than the hour: Date on the hour, and a random
    Message-ID (the standard one holds the time to the hundredth of a second)."""
    hour = to_the_hour(datetime.now(UTC))
    domain = sender.rpartition("@")[2] or "localhost"
    return {"Date": format_datetime(hour), "Message-ID": f"<{uuid.uuid4().hex}@{domain}>"}


class HourlyFileMailBackend(FileEmailBackend):
    """Django's file backend, whose files tell no time finer than the hour (as the blob
    store's do): a random name, not the time, and the hour as their and the directory's
    modification and access times."""

    _fname: str | None

    def _get_filename(self) -> str:
        if self._fname is None:
            self._fname = os.path.join(self.file_path, f"{uuid.uuid4().hex}.log")
        return self._fname

    def close(self) -> None:
        written = self._fname if self.stream is not None else None
        super().close()
        if written:
            hour = to_the_hour(datetime.now(UTC)).timestamp()
            for path in (written, self.file_path):
                os.utime(path, (hour, hour))


def _sender(route: Route) -> str:
    return parse_qs(urlsplit(route.target).query).get("from", [settings.DEFAULT_FROM_EMAIL])[0]


class _RouteMailBackend(SmtpEmailBackend):
    """Django's SMTP backend whose connection lives inside one Exchange."""

    def __init__(self, exchange: Exchange, **kwargs):
        super().__init__(**kwargs)
        self.exchange = exchange

    @property
    def connection_class(self):
        return self.exchange.smtp_class(implicit_tls=self.use_ssl)


def mail_connection(route: Route, exchange: Exchange):
    parts = urlsplit(route.target)
    if parts.scheme == "file":
        Path(parts.path).mkdir(mode=0o700, parents=True, exist_ok=True)
        return HourlyFileMailBackend(alias=f"route:{route.name}", file_path=parts.path)
    implicit_tls = parts.scheme == "smtps"
    # An alias of our own: the connection comes from the route, never from Django's mail settings.
    return _RouteMailBackend(
        exchange,
        alias=f"route:{route.name}",
        host=parts.hostname,
        port=parts.port or (465 if implicit_tls else 587),
        username=unquote(parts.username or ""),
        password=route_secret(route),
        use_ssl=implicit_tls,
        use_tls=parts.scheme == "smtp",
        timeout=settings.ALERT_SEND_TIMEOUT_SECONDS,
        ssl_keyfile=None,
        ssl_certfile=None,
    )


def _post(route: Route, notice: notify.Notice) -> None:
    url, method, body, headers = _http_request(route, notice)
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    with Exchange(settings.ALERT_SEND_TIMEOUT_SECONDS) as exchange:
        try:
            with exchange.opener().open(request, timeout=settings.ALERT_SEND_TIMEOUT_SECONDS) as response:
                read_to_end(response)
        except urllib.error.HTTPError as error:
            error.close()
            _fail_past_deadline(exchange)
            if 300 <= error.code < 400:
                raise DeliveryFailed(
                    f"HTTP {error.code} {error.reason}: the route's address redirects; give the route the address it "
                    "redirects to"
                ) from None
            raise DeliveryFailed(f"HTTP {error.code} {error.reason}") from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
            _fail_past_deadline(exchange)
            reason = getattr(error, "reason", error)
            if isinstance(reason, AnswerCutOff):
                raise DeliveryFailed(str(reason)) from None
            raise DeliveryFailed(f"{reason.__class__.__name__}: {reason}") from None
        _fail_past_deadline(exchange)


def _fail_past_deadline(exchange: Exchange) -> None:
    """Whatever the library made of the cut (an error, or an answer that seemed to end), an
    exchange the deadline ended did not deliver."""
    if exchange.expired:
        raise DeliveryFailed(f"no complete answer within {exchange.seconds:g} s")


def _http_request(route: Route, notice: notify.Notice) -> tuple[str, str, bytes, dict]:
    json_headers = {"Content-Type": "application/json"}
    if route.kind == RouteKind.WEBHOOK:
        payload = notify.webhook_payload(notice)
        return route.target, "POST", payload, notify.webhook_headers(route_secret(route), payload)
    if route.kind == RouteKind.SLACK:
        return route.target, "POST", notify.slack_payload(notice), json_headers
    if route.kind == RouteKind.TEAMS:
        return route.target, "POST", notify.teams_payload(notice), json_headers
    if route.kind == RouteKind.MATRIX:
        # The transaction id makes the homeserver drop a repeat of the same notice.
        url = (
            f"{route.target.rstrip('/')}/_matrix/client/v3/rooms/{quote(route.room, safe='')}"
            f"/send/m.room.message/{notice.id}"
        )
        return (
            url,
            "PUT",
            notify.matrix_payload(notice),
            json_headers | {"Authorization": f"Bearer {route_secret(route)}"},
        )
    if route.kind == RouteKind.NTFY:
        parts = urlsplit(route.target)
        server, topic = f"{parts.scheme}://{parts.netloc}", parts.path.strip("/")
        headers = json_headers | ({"Authorization": f"Bearer {route_secret(route)}"} if route.sealed_secret else {})
        return server, "POST", notify.ntfy_payload(notice, topic), headers
    raise DeliveryFailed(f"unknown route kind {route.kind}")
