"""Where this data directory's server listens, as `tipline serve` wrote it into its lock
file, and whether the base URL (what alerts, webhooks and the demo's hints link to) points
there: on a loopback address, a base URL of another port is someone else's server."""

import fcntl
import ipaddress
import os
from pathlib import Path
from urllib.parse import urlsplit

SERVE_LOCK = "serve.lock"


def served_address(data_dir: Path) -> tuple[str, int] | None:
    """(host, port) of the server running on `data_dir` now, or None when none runs."""
    try:
        descriptor = os.open(data_dir / SERVE_LOCK, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:  # held: a server runs
            host, _, port = os.pread(descriptor, 300, 0).decode(errors="replace").strip().partition(" ")
            return (host, int(port)) if port.isdigit() else None
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        return None
    finally:
        os.close(descriptor)


def base_url_mismatch(base_url: str, served: tuple[str, int]) -> bool:
    """True when a loopback base URL names another port (or host) than the one served;
    a public base URL (behind a proxy) is not compared."""
    parts = urlsplit(base_url)
    if not _is_loopback(parts.hostname or ""):
        return False
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host, served_port = served
    return port != served_port or not (_is_loopback(host) or host in ("0.0.0.0", "::"))


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
