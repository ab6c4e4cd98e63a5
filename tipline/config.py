"""Reading Tipline's configuration: one file read by every process (`serve`, `worker` and
every command), with `TIPLINE_*` environment variables overriding it.

The file is TOML, its keys the variables' names without the prefix, in lower case
(`cache_url = "redis://…"` for TIPLINE_CACHE_URL). It is found at TIPLINE_CONFIG, else
`tipline.toml` in the data directory TIPLINE_DATA_DIR names; without that variable, else
`tipline.toml` in the current directory when it is this user's alone (`make run` writes one
in the checkout), else the default data directory's; else /etc/tipline/tipline.toml.
Owns reading each setting of the table (tipline.base.settings_table: kinds, defaults,
bounds) from where it is given (and where each came from, for `tipline config show`),
the configuration file's unknown-key check, the data directory's default, the one-time
creation of the secret key file, and the list of languages. `tipline.settings` is the main
caller; the command line reads the languages and the data directory from here before Django
is set up.
"""

import functools
import hashlib
import os
import secrets
import stat
import tomllib
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured

# PREFIX and SECRET_SETTINGS are also read from here by `tipline config show` and backups.
from tipline.base.settings_table import DERIVED, FILE_KEYS, PREFIX, SECRET_SETTINGS, SETTINGS, parse  # noqa: F401

SYSTEM_CONFIG_FILE = Path("/etc/tipline/tipline.toml")
# The file `make run` writes in the checkout, so that commands run there find its demo.
CHECKOUT_CONFIG_FILE = "tipline.toml"


def find_config_file() -> Path | None:
    named = os.environ.get(PREFIX + "CONFIG", "").strip()
    if named:
        if not Path(named).is_file():
            raise ImproperlyConfigured(f"{PREFIX}CONFIG={named}: there is no such file.")
        return Path(named).resolve()
    given_data_dir = os.environ.get(PREFIX + "DATA_DIR", "").strip()
    candidates = (
        [Path(given_data_dir).expanduser() / "tipline.toml"]
        if given_data_dir
        else [
            *filter(_yours_alone, [Path.cwd() / CHECKOUT_CONFIG_FILE]),
            default_data_dir() / "tipline.toml",
        ]
    )
    return next((path.resolve() for path in [*candidates, SYSTEM_CONFIG_FILE] if path.is_file()), None)


def _yours_alone(path: Path) -> bool:
    """A file in the current directory is read only when this user owns it and the directory,
    and nobody else may change either (so nobody can swap it between this check and the read):
    running a command in someone else's directory must not take their settings."""
    try:
        status, directory = path.lstat(), path.parent.stat()
    except OSError:
        return False
    return stat.S_ISREG(status.st_mode) and all(
        entry.st_uid == os.geteuid() and not entry.st_mode & 0o022 for entry in (status, directory)
    )


def _read_config_file(path: Path | None) -> dict:
    if path is None:
        return {}
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except tomllib.TOMLDecodeError as error:
        raise ImproperlyConfigured(f"{path}: not valid TOML ({error}).") from None


@functools.cache
def config_file() -> tuple[Path | None, dict]:
    """The file and its values, read once (on first use: a broken file is then reported by
    the caller in one line, not at import)."""
    path = find_config_file()
    return path, _read_config_file(path)


# Every setting asked for: name -> (value as given, where it came from), for `tipline config show`.
SOURCES: dict[str, tuple[object, str]] = {}


def value(name: str, derived: object = None):
    """The setting `name` of tipline.base.settings_table, parsed and within its bounds (one line
    naming the variable otherwise), noting where it came from: environment, file, default.
    `derived` is the default of a setting whose default is worked out when it is read."""
    setting = SETTINGS[name]
    default = setting.default
    if default is DERIVED:
        assert derived is not None, f"{PREFIX}{name}: its default is worked out by the caller"
        default = derived
    path, values = config_file()
    from_environment = PREFIX + name in os.environ
    raw: object
    if from_environment:
        raw, source = os.environ[PREFIX + name], f"environment ({PREFIX}{name})"
    elif setting.in_file and name.lower() in values:
        raw, source = values[name.lower()], str(path)
    else:
        raw, source = default, "default"
    SOURCES[name] = (raw, source)
    return parse(setting, raw, from_environment)


# SECRET_SETTINGS (the table's secrets): `tipline config show` masks them and backups leave them
# out unless asked. Passwords inside addresses (TIPLINE_DATABASE_URL, …) are masked by both.


def without_password(value: str) -> str:
    """postgres://user:secret@host/db -> postgres://user:***@host/db (and redis:// alike)."""
    parts = urlsplit(value)
    if not parts.scheme or parts.password is None:
        return value
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def reject_unknown_file_keys() -> None:
    """A key in the file that no setting of the table knows is a typo: say so rather than ignore it."""
    path, values = config_file()
    unknown = sorted(key for key in values if key not in FILE_KEYS)
    if unknown:
        raise ImproperlyConfigured(
            f"{path}: unknown setting(s): {', '.join(unknown)} (docs/configuration.md lists them)."
        )


def default_data_dir() -> Path:
    """Where the data lives when nothing says: the same whatever the current directory."""
    if os.geteuid() == 0:
        return Path("/var/lib/tipline")
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "tipline"


def default_checkpoint_file(data_dir: Path) -> Path:
    """The audit checkpoints' default: beside the data directory, never in it, so that whoever
    can write the database and its directory cannot cut the checkpoints back with it."""
    return data_dir.with_name(data_dir.name + "-audit") / "checkpoints.jsonl"


def data_dir() -> Path:
    return Path(value("DATA_DIR", str(default_data_dir()))).expanduser().resolve()


# The languages of every page, mail and command-line message; English is the source.
LANGUAGES = [("en", "English"), ("es", "Español"), ("ar", "العربية")]
LANGUAGE_CODES = tuple(code for code, _name in LANGUAGES)


def locale_dir() -> Path:
    """The translations (tipline/locale); another directory lets translators and the tests work on a copy."""
    # From the environment only: the command reads it at import, before any file could be reported.
    return Path(os.environ.get(PREFIX + "LOCALE_DIR") or Path(__file__).resolve().parent / "locale").resolve()


def cache_settings(url: str, runtime_dir: Path | None) -> dict:
    """Rate limits and caches: shared by this machine's processes in memory-backed storage
    (`runtime_dir`) by default; one Redis for several machines; per process when neither."""
    if not url and runtime_dir is not None:
        return {"default": {"BACKEND": "tipline.base.shared_cache.SharedMemoryCache", "LOCATION": str(runtime_dir)}}
    if not url:
        return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tipline"}}
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(
            f"{PREFIX}CACHE_URL={url!r}: use redis://host:6379/0 (or rediss://, unix://), or leave it empty."
        )
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "tipline",
            "OPTIONS": {
                "serializer": "tipline.base.shared_cache.SafeRedisSerializer"
            },  # whoever writes Redis runs no code here
        }
    }


def blob_storage(kind: str, blob_dir: Path) -> dict:
    """Where encrypted blobs go: a directory, or an S3-compatible bucket (django-storages)."""
    # Read whatever the kind, so that every one of them is a known key of the configuration file.
    s3 = {
        name: value(name)
        for name in ("S3_BUCKET", "S3_ENDPOINT_URL", "S3_REGION", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY")
    }
    addressing_style = value("S3_ADDRESSING_STYLE", "path" if s3["S3_ENDPOINT_URL"] else "auto")
    if kind == "filesystem":
        return {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": blob_dir}}
    if kind != "s3":
        raise ImproperlyConfigured(f"{PREFIX}BLOB_STORAGE={kind!r}: use filesystem or s3.")
    if not s3["S3_BUCKET"]:
        raise ImproperlyConfigured(f"{PREFIX}BLOB_STORAGE=s3 needs {PREFIX}S3_BUCKET.")
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": s3["S3_BUCKET"],
            "endpoint_url": s3["S3_ENDPOINT_URL"] or None,
            "region_name": s3["S3_REGION"] or None,
            "access_key": s3["S3_ACCESS_KEY_ID"] or None,
            "secret_key": s3["S3_SECRET_ACCESS_KEY"] or None,
            # Objects are ciphertext under random names: private, never overwritten, no signed URLs handed out.
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": False,
            "addressing_style": addressing_style,
        },
    }


# In the data directory: the name of the shared cache's directory when the derived one was taken.
RUNTIME_NAME_FILE = "runtime_dir_name"


def runtime_dir(data_dir: Path, secret_key: str) -> Path | None:
    """Memory-backed storage of this data directory's shared cache: TIPLINE_RUNTIME_DIR (under
    systemd, RuntimeDirectory=), else a directory under /dev/shm, made here at once, whose
    name comes from the secret key file and this boot, so no other user can compute it and
    make it first; None where neither exists. When another user made that directory anyway,
    a random name recorded in the data directory (RUNTIME_NAME_FILE) is used instead, by
    every process of the site; `tipline check` says so."""
    configured = value("RUNTIME_DIR")
    if configured:
        return Path(configured).resolve()
    shared_memory = Path("/dev/shm")
    if not shared_memory.is_dir():
        return None
    name = hashlib.blake2b(
        f"{data_dir}\0{secret_key}\0{_boot_id()}".encode(), digest_size=12, person=b"tipline-runtime"
    ).hexdigest()
    derived = shared_memory / f"tipline-{os.getuid()}-{name}"
    return derived if _made_ours(derived) else _recorded_runtime_dir(data_dir, shared_memory)


def _boot_id() -> str:
    """Changes at each boot: a name seen in /dev/shm before a reboot is no use after it."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def _made_ours(directory: Path) -> bool:
    """Make `directory` (0700) unless it exists; whether it is now this user's alone."""
    from tipline.base.shared_cache import check_private_directory

    try:
        directory.mkdir(mode=0o700, exist_ok=True)
        check_private_directory(directory)
    except (OSError, ImproperlyConfigured):
        return False
    return True


def _recorded_runtime_dir(data_dir: Path, shared_memory: Path) -> Path:
    """The directory named in the data directory, or a new random one (recorded there) when
    that is missing or taken too; under a lock, so that every process ends up with one."""
    import fcntl

    try:
        descriptor = os.open(data_dir / RUNTIME_NAME_FILE, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    except OSError as error:
        raise ImproperlyConfigured(
            f"The shared cache's directory under {shared_memory} was taken by another user, and {data_dir} cannot "
            f"record another ({error.strerror})."
        ) from None
    with os.fdopen(descriptor, "r+") as record:
        fcntl.flock(record, fcntl.LOCK_EX)
        recorded = record.read().strip()
        if (
            recorded.startswith(f"tipline-{os.getuid()}-")
            and "/" not in recorded
            and _made_ours(shared_memory / recorded)
        ):
            return shared_memory / recorded
        chosen = shared_memory / f"tipline-{os.getuid()}-{secrets.token_hex(12)}"
        if not _made_ours(chosen):
            raise ImproperlyConfigured(
                f"The shared cache's directory cannot be made in {shared_memory}; set {PREFIX}RUNTIME_DIR."
            )
        record.seek(0)
        record.truncate()
        record.write(chosen.name + "\n")
        return chosen


def runtime_dir_is_recorded(data_dir: Path, runtime: Path | None) -> bool:
    """Whether `runtime` is the fallback named in the data directory (the derived one was taken)."""
    try:
        return runtime is not None and (data_dir / RUNTIME_NAME_FILE).read_text().strip() == runtime.name
    except OSError:
        return False


def ensure_private_dir(path: Path) -> Path:
    """Create a directory readable by its owner only (existing ones are left as they are)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


# In the data directory: which secret key was made for it (a keyed digest, never the key), so
# that a missing or another key file is refused instead of silently replaced.
SECRET_KEY_MARKER = "secret_key.made"
# Set by `tipline init` before Django starts: the one command that may make a replacement key.
key_replacement_allowed = False


def load_or_create_secret_key(path: Path, data_dir: Path, replacing: bool = False) -> str:
    """Return the secret key stored at `path`, creating it (mode 0600) where none was ever made
    for `data_dir`. Once one was, a missing key file, or one holding another key, is refused:
    a new key would make everything sealed under the old one fail its check (channels stop
    taking tips, the audit chain breaks). Only `tipline init` (`replacing`) makes a replacement,
    for a rotation (docs/deployment.md); `replaced_key_warning` then says so.

    Creation uses O_EXCL so that two processes starting together cannot write two
    different keys; the loser reads the winner's file.
    """
    made = _made_key_id(data_dir)
    if not path.exists() and made is not None and not replacing:
        raise ImproperlyConfigured(
            f"The secret key file {path} is missing, but a key was made for the data directory {data_dir}: put that "
            f"file back there (or name where it is with {PREFIX}SECRET_KEY_FILE or secret_key_file). A new key would "
            "make every setting sealed under the old one fail its check."
        )
    ensure_private_dir(path.parent)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(descriptor, "w") as key_file:
            key_file.write(secrets.token_urlsafe(64))
    key = read_secret_key(path)
    if made is None or replacing:
        remember_secret_key(data_dir, key)
    elif made != secret_key_id(key):
        raise ImproperlyConfigured(
            f"The secret key file {path} holds another key than the one made for the data directory {data_dir}: put "
            "the right file back. After replacing it on purpose, run tipline init, then tipline rekey OLD_FILE."
        )
    return key


def secret_key_id(key: str) -> str:
    return hashlib.blake2b(key.encode(), digest_size=16, person=b"tipline-keyid").hexdigest()


def remember_secret_key(data_dir: Path, key: str) -> None:
    """Note which key this data directory's data is sealed under (best effort: a read-only
    data directory, as a sandboxed server sees it, keeps what was noted before)."""
    try:
        (data_dir / SECRET_KEY_MARKER).write_text(secret_key_id(key) + "\n")
    except OSError:
        pass


def replaced_key_warning(path: Path, data_dir: Path) -> str | None:
    """Before `tipline init` makes or takes a key: a line when it is not the one made before."""
    made = _made_key_id(data_dir)
    if made is None or (path.exists() and made == secret_key_id(read_secret_key(path))):
        return None
    return (
        f"The secret key at {path} is not the one made for {data_dir} before. If you replaced it on purpose, run "
        "tipline rekey OLD_FILE now; if not, put the old file back there and run tipline init again."
    )


def _made_key_id(data_dir: Path) -> str | None:
    try:
        return (data_dir / SECRET_KEY_MARKER).read_text().strip() or None
    except OSError:
        return None


def read_secret_key(path: Path) -> str:
    key = path.read_text().strip()
    if len(key) < 50:
        raise ImproperlyConfigured(f"The secret key in {path} is too short; delete the file to generate a new one.")
    return key


def file_is_private(path: Path) -> bool:
    """True when neither group nor others may read or write the file."""
    return not (path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO))
