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
    seen; `delay`: seconds to wait before answering (a slow service)."""

    port: int = 0
    down: bool = False
    refuse_first: bool = False
    delay: float = 0.0
    requests: list[Received] = field(default_factory=list)
    refused: list[Received] = field(default_factory=list)
    _seen: set = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def accepted(self) -> list[Received]:
        return list(self.requests)

    def answer(self, request: Received) -> int:
        with self._lock:
            first_time = request.body not in self._seen
            self._seen.add(request.body)
            if self.down or (self.refuse_first and first_time):
                self.refused.append(request)
                return 503
            self.requests.append(request)
            return 200


def start_receiver() -> tuple[Receiver, ThreadingHTTPServer]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def _handle(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            time.sleep(receiver.delay)
            status = receiver.answer(Received(self.command, self.path, dict(self.headers), body, time.time()))
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        do_POST = do_PUT = _handle

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.port = server.server_port
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver, server
