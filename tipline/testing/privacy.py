"""The privacy scan: finds marker strings anywhere Tipline could have written them.

A test names markers (plaintext it submitted, the client's address and user agent);
the scan reads every table of the database, every file of the data directory
(including the SQLite file and its WAL), the run's temp directory and the captured
logs, and reports each place a marker appears.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection

# Documentation range addresses (RFC 5737) and a user agent no browser sends.
PROBE_IP = "203.0.113.77"
PROBE_FORWARDED_IP = "198.51.100.23"
PROBE_USER_AGENT = "TiplineProbe/1.0 (privacy-marker-user-agent)"
PROBE_REFERRER = "https://referrer.invalid/privacy-marker-referrer"
CLIENT_MARKERS = (PROBE_IP, PROBE_FORWARDED_IP, PROBE_USER_AGENT, PROBE_REFERRER)
PROBE_HEADERS = {
    "REMOTE_ADDR": PROBE_IP,
    "HTTP_X_FORWARDED_FOR": PROBE_FORWARDED_IP,
    "HTTP_X_REAL_IP": PROBE_FORWARDED_IP,
    "HTTP_USER_AGENT": PROBE_USER_AGENT,
    "HTTP_REFERER": PROBE_REFERRER,
}


@dataclass(frozen=True)
class Finding:
    marker: str
    place: str


@dataclass
class PrivacyScanner:
    directories: list[Path]
    markers: set[str] = field(default_factory=lambda: set(CLIENT_MARKERS))
    logs: list[str] = field(default_factory=list)
    # Off when the data was written by another process with a database of its own.
    include_database: bool = True

    def watch(self, *markers: str) -> None:
        self.markers.update(markers)

    def add_log(self, text: str) -> None:
        self.logs.append(text)

    def scan(self) -> list[Finding]:
        needles = {marker: marker.encode() for marker in self.markers}
        findings = []
        for place, content in self._places():
            findings += [Finding(marker, place) for marker, needle in needles.items() if needle in content]
        return findings

    def assert_clean(self) -> None:
        findings = self.scan()
        assert not findings, "private data found at rest:\n" + "\n".join(
            f"  {finding.marker!r} in {finding.place}" for finding in findings
        )

    def _places(self) -> Iterable[tuple[str, bytes]]:
        if self.include_database:
            yield from database_contents()
        for directory in self.directories:
            for path in sorted(directory.rglob("*")):
                if path.is_file():
                    yield str(path), path.read_bytes()
        for number, text in enumerate(self.logs):
            yield f"log #{number}", text.encode()


def database_contents() -> Iterable[tuple[str, bytes]]:
    """Every row of every table, as bytes, through the test's own connection."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                yield f"table {table}", b"\x00".join(_as_bytes(value) for value in row)


def _as_bytes(value) -> bytes:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    return str(value).encode()
