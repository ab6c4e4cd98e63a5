"""`tipline serve` and `tipline metrics`: the tip line served with granian, one server per data
directory on a port nobody else holds, and Prometheus metrics on a separate, non-public address."""

import os
import sys

from tipline.cli.text import _
from tipline.operations.serving import SERVE_LOCK


def add_parsers(commands) -> None:
    serve = commands.add_parser(
        "serve",
        help=_("serve the tip line with granian"),
        description=_(
            "Serve the tip line over HTTP with granian (WSGI). Put a TLS-terminating reverse "
            "proxy or a Tor onion service in front of it. Access logs record no client address."
        ),
    )
    serve.add_argument("--host", default="127.0.0.1", help=_("address to bind (default: 127.0.0.1)"))
    serve.add_argument("--port", type=int, default=8000, help=_("port to bind (default: 8000)"))
    serve.add_argument("--workers", type=int, default=2, help=_("worker processes (default: 2)"))
    serve.add_argument("--threads", type=int, default=4, help=_("request threads per worker (default: 4)"))
    serve.add_argument(
        "--backpressure",
        type=int,
        default=16,
        help=_("requests handled at once per worker; more wait in the queue (default: 16)"),
    )
    serve.set_defaults(handler=run_serve)

    metrics = commands.add_parser(
        "metrics",
        help=_("serve Prometheus metrics on a separate, non-public address"),
        description=_(
            "Serve /metrics for Prometheus: request counts and latencies by route pattern from every "
            "`tipline serve` process of this data directory, tips by status, tasks by state, and whether the "
            "database, cache and blob store answer. Nothing about any tipster. Bind it to loopback or a "
            "private network only."
        ),
    )
    metrics.add_argument("--bind", default="127.0.0.1:9464", help=_("HOST:PORT (default: 127.0.0.1:9464)"))
    metrics.set_defaults(handler=run_metrics)


def run_serve(arguments) -> int:
    lock = _hold_the_data_directory()
    if lock is None or not _port_is_free(arguments.host, arguments.port):
        return 1
    _say_where_served(lock, arguments.host, arguments.port)
    command = [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "wsgi",
        "--host",
        arguments.host,
        "--port",
        str(arguments.port),
        "--workers",
        str(arguments.workers),
        "--blocking-threads",
        str(arguments.threads),
        "--backpressure",
        str(arguments.backpressure),
        "--no-access-log",
        "--respawn-failed-workers",
        "--no-ws",
        "tipline.wsgi:application",
    ]
    from tipline.web.metrics import clear_for_start

    clear_for_start()
    os.execv(sys.executable, command)
    return 1  # not reached: execv replaces this process


def _hold_the_data_directory() -> int | None:
    """One server per data directory: a lock held for as long as the server runs (its file
    descriptor survives exec into granian); a second one is refused in one line."""
    import fcntl

    from django.conf import settings

    descriptor = os.open(settings.DATA_DIR / SERVE_LOCK, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        print(
            _(
                "tipline serve: a server already runs on the data directory %(directory)s; stop it first, or give this "
                "one its own TIPLINE_DATA_DIR."
            )
            % {"directory": settings.DATA_DIR},
            file=sys.stderr,
        )
        return None
    os.set_inheritable(descriptor, True)
    return descriptor


def _say_where_served(lock: int, host: str, port: int) -> None:
    """The lock file names the address served, for `tipline check` to compare with the base URL."""
    os.ftruncate(lock, 0)
    os.pwrite(lock, f"{host} {port}\n".encode(), 0)


def _port_is_free(host: str, port: int) -> bool:
    """granian shares a port with any process that also asks to (SO_REUSEPORT), so two servers
    would split the requests between them: refuse a port something already listens on."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a restart's old connections do not count
        try:
            probe.bind((host, port))
        except OSError:
            print(
                _(
                    "tipline serve: port %(port)d on %(host)s is in use by another program; stop it, or choose another "
                    "with --port."
                )
                % {"port": port, "host": host},
                file=sys.stderr,
            )
            return False
    return True


def run_metrics(arguments) -> int:
    import signal

    from tipline.operations.metrics import registry

    host, _colon, port = arguments.bind.rpartition(":")
    if not host or not port.isdigit():
        print(
            _("tipline metrics: --bind %(bind)r: use HOST:PORT, e.g. 127.0.0.1:9464.") % {"bind": arguments.bind},
            file=sys.stderr,
        )
        return 2
    from prometheus_client import start_http_server

    server, thread = start_http_server(int(port), addr=host, registry=registry())
    print(_("tipline metrics: serving %(address)s") % {"address": f"http://{arguments.bind}/metrics"}, flush=True)
    signal.signal(signal.SIGTERM, lambda *_: server.shutdown())
    signal.signal(signal.SIGINT, lambda *_: server.shutdown())
    thread.join()
    return 0
