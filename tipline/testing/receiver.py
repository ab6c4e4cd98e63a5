"""A real HTTP server on loopback that stands in for Slack, Teams, Matrix, ntfy or a webhook
receiver in tests and benchmarks: it records each request and can refuse on purpose."""

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    method: str
    path: str
    headers: dict
    body: bytes
    at: float  # time.time() on arrival


@dataclass
class Receiver:
    """`down`: answer 503 to everything; `refuse_first`: answer 503 the first time a body is
    seen; `delay`: seconds to wait before answering (a slow service); `redirect_to`: answer
    307 with this address as Location (a receiver that sends its callers elsewhere)."""

    port: int = 0
    host: str = "127.0.0.1"
    redirect_to: str = ""
    down: bool = False
    refuse_first: bool = False
    delay: float = 0.0
    requests: list[Received] = field(default_factory=list)
    refused: list[Received] = field(default_factory=list)
    _seen: set = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def accepted(self) -> list[Received]:
        return list(self.requests)

    def answer(self, request: Received) -> int:
        with self._lock:
            first_time = request.body not in self._seen
            self._seen.add(request.body)
            if self.down or (self.refuse_first and first_time) or self.redirect_to:
                self.refused.append(request)
                return 307 if self.redirect_to else 503
            self.requests.append(request)
            return 200


def start_receiver(host: str = "127.0.0.1") -> tuple[Receiver, ThreadingHTTPServer]:
    """`host`: another loopback address (127.0.0.2) stands in for an internal service."""
    receiver = Receiver(host=host)

    class Handler(BaseHTTPRequestHandler):
        def _handle(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            time.sleep(receiver.delay)
            status = receiver.answer(Received(self.command, self.path, dict(self.headers), body, time.time()))
            self.send_response(status)
            if status == 307:
                self.send_header("Location", receiver.redirect_to)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        do_GET = do_POST = do_PUT = _handle

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer((host, 0), Handler)
    receiver.port = server.server_port
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver, server


class Misbehaving:
    """A real TCP server on loopback that takes each connection and then misbehaves as a
    broken or hostile receiver would. `behaviour`:
      "hang"      reads the request and never answers;
      "trickle"   answers one byte every `pace` seconds, each read well inside any socket timeout;
      "cut"       answers a status line and closes ("200 OK", then nothing);
      "short"     declares a 10-byte body, sends 3 and closes;
      "smtp-trickle" an SMTP greeting, one byte every `pace` seconds;
      "nul-reason" answers 500 with a NUL byte in its reason phrase;
      "redirect"  answers 302 to an ftp: address;
      "endless"   answers 200 with a chunked body that never ends.
    """

    ANSWERS = {
        "trickle": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
        "cut": b"HTTP/1.1 200 OK\r\n",
        "short": b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}x",
        "smtp-trickle": b"220 mail.example.org ESMTP ready\r\n",
        "nul-reason": b"HTTP/1.1 500 Bad\x00Thing\r\nContent-Length: 0\r\n\r\n",
        "redirect": b"HTTP/1.1 302 Found\r\nLocation: ftp://127.0.0.1:9/x\r\nContent-Length: 0\r\n\r\n",
    }

    def __init__(self, behaviour: str, pace: float = 0.2):
        import socket

        self.behaviour, self.pace = behaviour, pace
        self.connections = 0
        self._stopped = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._stopped.set()
        self._listener.close()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                connection, _address = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._misbehave, args=(connection,), daemon=True).start()

    def _misbehave(self, connection) -> None:
        import socket

        with connection:
            try:
                if not self.behaviour.startswith("smtp"):
                    connection.recv(65536)
                if self.behaviour == "hang":
                    self._stopped.wait()
                elif self.behaviour == "endless":
                    connection.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                    chunk = b"10000\r\n" + b"x" * 0x10000 + b"\r\n"
                    while not self._stopped.is_set():
                        connection.sendall(chunk)
                elif self.behaviour in ("trickle", "smtp-trickle"):
                    for byte in self.ANSWERS[self.behaviour]:
                        if self._stopped.wait(self.pace):
                            return
                        connection.sendall(bytes([byte]))
                    self._stopped.wait()
                else:
                    connection.sendall(self.ANSWERS[self.behaviour])
                    # A clean end (FIN), never a reset for request bytes still unread: the client
                    # must see the answer end where this one ends it.
                    connection.shutdown(socket.SHUT_WR)
                    connection.settimeout(5)
                    while connection.recv(65536):
                        pass
            except OSError:
                return  # the client gave up: what a deadline is for
