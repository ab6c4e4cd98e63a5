"""One exchange with a route under one deadline, and an answer read to its end.

A socket timeout bounds each read, not the exchange: a receiver that trickles a byte every
few seconds, or answers with a status line and then nothing, would hold an attempt (and a
worker's thread) for as long as it likes. An Exchange keeps a duplicate of every socket the
attempt opens and, when its deadline passes, shuts the connection down, which ends any read
or write in progress; the attempt then fails, whatever the library made of the cut.

What is not a socket yet (the name lookup) is bounded by the resolver's own timeouts, and
the TCP connect by the socket timeout. Every connection goes to an address checked by
tipline.alerts.addresses (with a proxy from the environment: the proxy's address).
"""

import http.client
import smtplib
import socket
import ssl
import threading
import time
import urllib.request
from functools import cache, partial

from tipline.alerts import addresses

# Read at most this much of an answer: enough to see it end, never a flood into memory.
LONGEST_ANSWER = 1024 * 1024


class AnswerCutOff(http.client.HTTPException):
    """The receiver's answer stopped before its end: the notice may not have been taken."""


class Exchange:
    """`with Exchange(seconds) as exchange:` — sockets given to `watch` are shut down when
    `seconds` have passed; `expired` then says so."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._watched: list[socket.socket] = []
        self._lock = threading.Lock()
        self._expired = False
        self._ends_at = time.monotonic() + seconds
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> "Exchange":
        self._ends_at = time.monotonic() + self.seconds
        self._timer.start()
        return self

    def __exit__(self, *_exception) -> None:
        self._timer.cancel()
        with self._lock:
            for duplicate in self._watched:
                duplicate.close()
            self._watched.clear()

    @property
    def expired(self) -> bool:
        # By the clock, not only the timer: a socket timeout as long as the deadline can end
        # a read before the timer's thread gets its turn on a busy machine.
        return self._expired or time.monotonic() >= self._ends_at

    def watch(self, sock: socket.socket) -> socket.socket:
        # A duplicate descriptor of the same connection: shutting it down ends the reads on
        # the original too, whether it is still plain or wrapped in TLS by then.
        duplicate = sock.dup()
        with self._lock:
            self._watched.append(duplicate)
            if self._expired:
                _shut(duplicate)
        return sock

    def _expire(self) -> None:
        with self._lock:
            self._expired = True
            for duplicate in self._watched:
                _shut(duplicate)

    def opener(self) -> urllib.request.OpenerDirector:
        """HTTP(S) through urllib, so that proxies from the environment still apply; and
        nothing else: no redirect is followed (it would carry the route's token and
        signature to another address, or turn the POST into a GET that delivers nothing,
        or lead to ftp:, which no deadline watches), no other scheme is spoken."""
        opener = urllib.request.OpenerDirector()
        for handler in (
            urllib.request.ProxyHandler(),
            _HTTPHandler(self),
            _HTTPSHandler(self, _tls_context()),
            urllib.request.HTTPDefaultErrorHandler(),
            urllib.request.HTTPErrorProcessor(),
            urllib.request.UnknownHandler(),
        ):
            opener.add_handler(handler)
        return opener

    def smtp_class(self, implicit_tls: bool):
        return partial(_SMTP_SSL if implicit_tls else _SMTP, exchange=self)


def read_to_end(response: http.client.HTTPResponse) -> None:
    """Read the answer until it ends; raises AnswerCutOff when it declared more than
    arrived, or goes on past LONGEST_ANSWER (no receiver of a notice answers at such length)."""
    received = 0
    while chunk := response.read(64 * 1024):
        received += len(chunk)
        if received > LONGEST_ANSWER:
            raise AnswerCutOff(f"the answer went on past {LONGEST_ANSWER // 1024 // 1024} MiB without ending")
    if response.length:  # what Content-Length promised and never came
        raise AnswerCutOff(f"the answer ended {response.length} bytes before its declared length")


@cache
def _tls_context() -> ssl.SSLContext:
    # Loading the system's certificates takes tens of milliseconds: once per process, not per alert.
    return ssl.create_default_context()


def _shut(duplicate: socket.socket) -> None:
    try:
        duplicate.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # closed already by the side that finished


class _HeadersWatch:
    """The response's file, noting whether the headers ended at a blank line or at a cut."""

    def __init__(self, raw):
        self.raw = raw
        self.cut = False

    def readline(self, limit: int = -1) -> bytes:
        line = self.raw.readline(limit)
        self.cut = line == b""
        return line

    def __getattr__(self, name):
        return getattr(self.raw, name)


class _CheckedResponse(http.client.HTTPResponse):
    fp: _HeadersWatch  # type: ignore[assignment]  # a wrapper of http.client's file, which typeshed types as the file itself

    def __init__(self, sock, *args, **kwargs):
        super().__init__(sock, *args, **kwargs)
        self.fp = _HeadersWatch(self.fp)

    def begin(self) -> None:
        super().begin()
        if self.fp.cut:  # http.client takes a connection closed inside the headers for their end
            self.close()
            raise AnswerCutOff("the answer ended inside its headers")


class _Watched:
    """Mixed into http.client's connections: each socket they open is watched."""

    response_class: type[http.client.HTTPResponse] = _CheckedResponse

    def __init__(self, *args, exchange: Exchange, **kwargs):
        super().__init__(*args, **kwargs)
        # The hook http.client gives for the TCP connect, before any TLS handshake or proxy tunnel.
        self._create_connection = lambda *address: exchange.watch(addresses.connect(*address))


class _HTTPConnection(_Watched, http.client.HTTPConnection):
    pass


class _HTTPSConnection(_Watched, http.client.HTTPSConnection):
    pass


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, exchange: Exchange):
        super().__init__()
        self.exchange = exchange

    def http_open(self, request):
        return self.do_open(partial(_HTTPConnection, exchange=self.exchange), request)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, exchange: Exchange, context: ssl.SSLContext):
        super().__init__(context=context)
        self.exchange = exchange

    def https_open(self, request):
        return self.do_open(partial(_HTTPSConnection, exchange=self.exchange), request, context=self._context)


class _SMTP(smtplib.SMTP):
    def __init__(self, *args, exchange: Exchange, **kwargs):
        self.exchange = exchange  # before super().__init__, which connects
        super().__init__(*args, **kwargs)

    def _get_socket(self, host, port, timeout):
        return self.exchange.watch(addresses.connect((host, port), timeout, self.source_address))


class _SMTP_SSL(smtplib.SMTP_SSL):
    def __init__(self, *args, exchange: Exchange, **kwargs):
        self.exchange = exchange
        super().__init__(*args, **kwargs)

    def _get_socket(self, host, port, timeout):
        # Watched before the handshake, which a receiver could trickle too.
        sock = self.exchange.watch(addresses.connect((host, port), timeout, self.source_address))
        return self.context.wrap_socket(sock, server_hostname=self._host)
