"""A reader's profile on disk: where the server is, the vault (token and channel keys, sealed
under the passphrase), and the store of what was fetched, kept as the ciphertext it came as.

Nothing here is ever written in clear: the vault is one Argon2id-keyed envelope, tips and
files stay encrypted under their tip keys, and replies waiting to be sent are sealed already.
"""

import io
import json
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tipline.crypto import channel_keys, kdf
from tipline.crypto.encoding import b64, from_b64
from tipline.crypto.errors import WrongPasswordError
from tipline.reader.language import _

PROFILE_VARIABLE = "TIPLINE_READER_PROFILE"
MEMO_SECONDS = 0.5


class ReaderError(Exception):
    """Something the person must know or do; the message says what."""


def default_profile_dir() -> Path:
    if os.environ.get(PROFILE_VARIABLE):
        return Path(os.environ[PROFILE_VARIABLE])
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return data_home / "tipline-reader"


def vault_params() -> kdf.KdfParams:
    """Test suites set TIPLINE_INSECURE_FAST_KDF, as for the server; outside a test run it is
    refused: a vault sealed with it is quick to guess."""
    if not os.environ.get("TIPLINE_INSECURE_FAST_KDF"):
        return channel_keys.VAULT_PARAMS
    if "PYTEST_CURRENT_TEST" not in os.environ:
        raise ReaderError(
            _(
                "TIPLINE_INSECURE_FAST_KDF is set: it is for test suites, and would make this vault's passphrase quick "
                "to guess. Unset it and run the command again; nothing was written."
            )
        )
    return kdf.INSECURE_FAST_PARAMS


@dataclass
class Vault:
    """What the passphrase guards: the personal API token (none on an air-gapped machine), the
    channel's key pairs (newest last; older ones open older tips), a one-off transfer key
    while waiting for a colleague's hand-over, this reader's signing key, and the colleagues'
    signing keys it trusts first hand (its own, and those handed over with the channel key)."""

    token: str | None = None
    keys: list[dict[str, Any]] = field(default_factory=list)  # {"public": b64, "private": b64}
    transfer: dict[str, Any] | None = None
    signing: dict[str, Any] | None = None  # this reader's Ed25519 key: {"name", "public", "private"}
    roster: list[dict[str, Any]] = field(default_factory=list)  # signing keys trusted first hand: {"name", "public"}

    def trust(self, name: str, public_key: str) -> None:
        if not any(entry["public"] == public_key for entry in self.roster):
            self.roster.append({"name": name, "public": public_key})

    def add_key(self, public_key: bytes, private_key: bytes) -> None:
        if not self.holds(public_key):
            self.keys.append({"public": b64(public_key), "private": b64(private_key)})

    def holds(self, public_key: bytes) -> bool:
        return any(from_b64(key["public"]) == bytes(public_key) for key in self.keys)

    def private_key_for(self, public_key: bytes) -> bytes:
        for key in self.keys:
            if from_b64(key["public"]) == bytes(public_key):
                return from_b64(key["private"])
        if not self.keys:  # the online side of an air-gapped pair: the key must stay on the other machine
            raise ReaderError(
                _(
                    "This reader holds no channel key: read the tip on the air-gapped machine (tipline-reader "
                    "export-bundle carries it there)."
                )
            )
        raise ReaderError(
            _(
                "This reader does not hold the key this tip is sealed to: ask a colleague to share it (tipline-reader "
                "share-key)."
            )
        )

    @property
    def signer(self) -> dict[str, Any]:
        """This reader's signing key: {"name", "public", "private"}."""
        if self.signing is None:
            raise ValueError("This reader has no signing key yet.")
        return self.signing

    @property
    def newest_public_key(self) -> bytes | None:
        return from_b64(self.keys[-1]["public"]) if self.keys else None


class Profile:
    """One channel on one server, or its air-gapped twin, in one directory."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self._memo: dict[Path, tuple[object, Any, float]] = {}  # path → (its stamp, what was loaded, when checked)

    def _unchanged_since[T](self, path: Path, load: Callable[[], T]) -> T:
        """`load()` again only when `path` (a file, or a folder whose entries change) changed:
        showing each of many tips reads the settings, vouches, outbox and sent items once. What
        this process writes clears the memo at once; a change by another process (the command
        line beside the pages) is seen within MEMO_SECONDS."""
        cached = self._memo.get(path)
        if cached is not None and time.monotonic() - cached[2] < MEMO_SECONDS:
            known: T = cached[1]
            return known
        try:
            # Files are always replaced whole (a new inode); a folder's items each have their own name.
            stamp = tuple(sorted(os.listdir(path))) if path.is_dir() else (path.stat().st_ino, path.stat().st_mtime_ns)
        except FileNotFoundError:
            stamp = None
        value: T = load() if cached is None or cached[0] != stamp else cached[1]
        self._memo[path] = (stamp, value, time.monotonic())
        return value

    def _store(self, path: Path, data: bytes) -> None:
        _write(path, data)
        self._memo.clear()

    # ---- settings (not secret) and the vault -------------------------------------------

    @property
    def exists(self) -> bool:
        return (self.directory / "vault").exists()

    def settings(self) -> dict[str, Any]:
        path = self.directory / "profile.json"
        if not path.exists():
            raise ReaderError(
                _("No tipline-reader profile in %(directory)s: run tipline-reader init first.")
                % {"directory": self.directory}
            )
        return dict(self._unchanged_since(path, lambda: json.loads(path.read_text())))

    def update_settings(self, **changes: object) -> None:
        self._store(self.directory / "profile.json", json.dumps(self.settings() | changes, indent=2).encode())

    def create(self, settings: dict[str, Any], vault: Vault, passphrase: str) -> None:
        if self.exists:
            raise ReaderError(
                _(
                    "%(directory)s holds a profile already: choose another with --profile, or remove that directory to "
                    "start again."
                )
                % {"directory": self.directory}
            )
        for part in ("tips", "blobs", "outbox", "sent"):
            (self.directory / part).mkdir(parents=True, exist_ok=True, mode=0o700)
        self.directory.chmod(0o700)
        self._store(self.directory / "profile.json", json.dumps(settings, indent=2).encode())
        self.save_vault(vault, passphrase)

    def open_vault(self, passphrase: str) -> Vault:
        sealed = (self.directory / "vault").read_bytes()
        try:
            return Vault(**channel_keys.open_vault(sealed, passphrase))
        except WrongPasswordError:
            raise ReaderError(_("That passphrase does not open this reader's vault.")) from None

    def save_vault(self, vault: Vault, passphrase: str) -> None:
        self._store(self.directory / "vault", channel_keys.seal_vault(vault.__dict__, passphrase, vault_params()))

    # ---- the store: ciphertext as fetched --------------------------------------------------

    def save_tip(self, record: dict[str, Any]) -> None:
        self._store(self.directory / "tips" / f"{_checked_id(record['id'])}.json", json.dumps(record).encode())

    def pin_retention(self, records: list[dict[str, Any]]) -> None:
        """The latest retention end seen for each tip, kept apart from what the server sends:
        a server cannot bring a tip's end forward to have readers forget it."""
        pins = self.retention_pins()
        for record in records:
            if isinstance(record.get("destroyed_after"), str):
                before = pins.get(record["id"])
                if before is None or datetime.fromisoformat(record["destroyed_after"]) > datetime.fromisoformat(before):
                    pins[record["id"]] = record["destroyed_after"]
        self._store(self.directory / "retention.json", json.dumps(pins).encode())

    def key_pins(self) -> dict[str, Any]:
        """Per tip, digests of the tip key and team key this reader first opened it with (shared:
        copy it before changing it)."""
        path = self.directory / "tip-keys.json"
        return self._unchanged_since(path, lambda: _json_file(path, {}))

    def save_key_pins(self, pins: dict[str, Any]) -> None:
        self._store(self.directory / "tip-keys.json", json.dumps(pins).encode())

    def retention_pins(self) -> dict[str, Any]:
        path = self.directory / "retention.json"
        return _json_file(path, {})

    def tip_records(self) -> list[dict[str, Any]]:
        return [json.loads(path.read_text()) for path in sorted((self.directory / "tips").glob("*.json"))]

    def tip_record(self, wanted: str) -> dict[str, Any]:
        """A tip by its reference (T-7KQ4-M2XP, any case, dashes optional) or its id."""
        plain = wanted.upper().replace("-", "").replace(" ", "")
        for record in self.tip_records():
            if record["id"] == wanted or record["reference"].replace("-", "") == plain:
                return record
        raise ReaderError(
            _("No tip %(tip)s in this reader: tipline-reader sync (or import-bundle) fetches them.") % {"tip": wanted}
        )

    def blob_path(self, file_id: str) -> Path:
        return self.directory / "blobs" / _checked_id(file_id)

    def save_channel_keys(self, listed: dict[str, Any]) -> None:
        self._store(self.directory / "channel-keys.json", json.dumps(listed).encode())

    def channel_keys(self) -> dict[str, Any]:
        path = self.directory / "channel-keys.json"
        return self._unchanged_since(path, lambda: _json_file(path, {"current": None, "retired": []}))

    def public_key_of(self, key_id: int) -> bytes:
        listed = self.channel_keys()
        for key in filter(None, [listed["current"], *listed["retired"]]):
            if key["id"] == key_id:
                return from_b64(key["public_key"])
        raise ReaderError(_("This tip is sealed to a channel key the server did not list: sync again."))

    def save_vouches(self, vouches: list[dict[str, Any]]) -> None:
        self._store(self.directory / "vouches.json", json.dumps(vouches).encode())

    def vouches(self) -> list[dict[str, Any]]:
        path = self.directory / "vouches.json"
        return self._unchanged_since(path, lambda: _json_file(path, []))

    def sent(self) -> list[tuple[Path, dict[str, Any]]]:
        """Replies and notes sent (or carried out), with the time each was sealed (its file's)."""
        folder = self.directory / "sent"
        return self._unchanged_since(
            folder, lambda: [(path, json.loads(path.read_text())) for path in sorted(folder.glob("*.json"))]
        )

    def tip_fetched_at(self, tip_id: str) -> float:
        return (self.directory / "tips" / f"{_checked_id(tip_id)}.json").stat().st_mtime

    def queue(self, item: dict[str, Any]) -> None:
        """A sealed reply or note waiting to be sent (or carried out on a replies file)."""
        self._store(self.directory / "outbox" / f"{_checked_id(item['key'])}.json", json.dumps(item).encode())

    def queued(self) -> list[tuple[Path, dict[str, Any]]]:
        folder = self.directory / "outbox"
        return self._unchanged_since(
            folder, lambda: [(path, json.loads(path.read_text())) for path in sorted(folder.glob("*.json"))]
        )

    def mark_sent(self, path: Path) -> None:
        path.replace(self.directory / "sent" / path.name)
        self._memo.clear()

    def forget_all_but(self, listed: set[str]) -> tuple[int, int]:
        """Remove the tips the server no longer lists and whose retention has ended (destroyed),
        with their files and any sealed reply or note of theirs: a reader keeps nothing the tip
        line destroyed. One not listed before its retention ended (or whose end the reader never
        learnt) is kept: a server that drops tips from its list does not get readers to wipe
        them. Returns (forgotten, kept)."""
        forgotten = kept = 0
        now, pins = _now(), self.retention_pins()
        for record in self.tip_records():
            if record["id"] in listed:
                continue
            ends = pins.get(record["id"]) or record.get("destroyed_after")
            if not ends or datetime.fromisoformat(ends) > now:  # no end known: never forgotten on the server's word
                kept += 1
                continue
            for item in record["files"]:
                self.blob_path(item["id"]).unlink(missing_ok=True)
            self.forget_items_of(record["id"])
            (self.directory / "tips" / f"{_checked_id(record['id'])}.json").unlink()
            forgotten += 1
        return forgotten, kept

    def forget_items_of(self, tip_id: str) -> None:
        for folder in ("outbox", "sent"):
            for path in (self.directory / folder).glob("*.json"):
                if json.loads(path.read_text()).get("tip") == tip_id:
                    path.unlink()
        self._memo.clear()


def _now() -> datetime:
    return datetime.now(UTC)


def _checked_id(value: str) -> str:
    """Ids become file names: only a UUID is taken, so nothing from a server or a bundle can
    name a path outside the store."""
    return str(uuid.UUID(str(value)))


def _json_file[T](path: Path, missing: T) -> T:
    """What this reader wrote at `path` as JSON, or `missing` where it wrote nothing yet."""
    if not path.exists():
        return missing
    loaded: T = json.loads(path.read_text())
    return loaded


def private_file(path: Path) -> io.BufferedWriter:
    """A file opened for writing that only this user may read (mode 0600 from its creation)."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb")


def _write(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".part")
    with private_file(temporary) as handle:
        handle.write(data)
    temporary.replace(path)
