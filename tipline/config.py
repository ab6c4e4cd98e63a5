"""Reading Tipline's configuration: one file read by every process (`serve`, `worker` and
every command), with `TIPLINE_*` environment variables overriding it.

The file is TOML, its keys the variables' names without the prefix, in lower case
(`cache_url = "redis://…"` for TIPLINE_CACHE_URL). It is found at TIPLINE_CONFIG, else
`tipline.toml` in the data directory TIPLINE_DATA_DIR names, else /etc/tipline/tipline.toml.
Owns parsing and validation of the values (and where each came from, for `tipline config
show`), the data directory's default, the one-time creation of the secret key file, and
the list of languages. `tipline.settings` is the main caller; the command line reads the
languages and the data directory from here before Django is set up.
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

PREFIX = "TIPLINE_"
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


SYSTEM_CONFIG_FILE = Path("/etc/tipline/tipline.toml")


def find_config_file() -> Path | None:
    named = os.environ.get(PREFIX + "CONFIG", "").strip()
    if named:
        if not Path(named).is_file():
            raise ImproperlyConfigured(f"{PREFIX}CONFIG={named}: there is no such file.")
        return Path(named).resolve()
    data_dir = os.environ.get(PREFIX + "DATA_DIR", "").strip()
    if data_dir and (Path(data_dir) / "tipline.toml").is_file():
        return (Path(data_dir) / "tipline.toml").resolve()
    return SYSTEM_CONFIG_FILE if SYSTEM_CONFIG_FILE.is_file() else None


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


def _given(name: str, default):
    """The raw value of a setting and notes where it came from: environment, file, default."""
    path, values = config_file()
    if PREFIX + name in os.environ:
        value, source = os.environ[PREFIX + name], f"environment ({PREFIX}{name})"
    elif name.lower() in values:
        value, source = values[name.lower()], str(path)
    else:
        value, source = default, "default"
    SOURCES[name] = (value, source)
    return value


# Settings whose values are secrets: `tipline config show` masks them and backups leave them
# out unless asked. Passwords inside addresses (TIPLINE_DATABASE_URL, …) are masked by both.
SECRET_SETTINGS = frozenset({"S3_SECRET_ACCESS_KEY"})


def without_password(value: str) -> str:
    """postgres://user:secret@host/db -> postgres://user:***@host/db (and redis:// alike)."""
    parts = urlsplit(value)
    if not parts.scheme or parts.password is None:
        return value
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def reject_unknown_file_keys() -> None:
    """A key in the file that no setting asks for is a typo: say so rather than ignore it."""
    path, values = config_file()
    unknown = sorted(key for key in values if key.upper() not in SOURCES)
    if unknown:
        raise ImproperlyConfigured(f"{path}: unknown setting(s): {', '.join(unknown)} (docs/configuration.md lists them).")


def default_data_dir() -> Path:
    """Where the data lives when nothing says: the same whatever the current directory."""
    if os.geteuid() == 0:
        return Path("/var/lib/tipline")
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "tipline"


def data_dir() -> Path:
    return Path(env_str("DATA_DIR", str(default_data_dir()))).expanduser().resolve()


def env_str(name: str, default: str) -> str:
    return str(_given(name, default)).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = _given(name, default)
    if isinstance(raw, bool):
        return raw
    word = str(raw).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{PREFIX}{name}={raw!r}: use one of true/false, yes/no, on/off, 1/0.")


def env_int(name: str, default: int, minimum: int = 0) -> int:
    raw = _given(name, default)
    try:
        value = raw if isinstance(raw, int) and not isinstance(raw, bool) else int(str(raw).strip())
    except ValueError:
        raise ImproperlyConfigured(f"{PREFIX}{name}={raw!r}: expected a whole number.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{PREFIX}{name}={value}: must be at least {minimum}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = _given(name, default)
    items = raw if isinstance(raw, list) else str(raw).split(",")
    return [str(item).strip() for item in items if str(item).strip()]


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
        return {"default": {"BACKEND": "tipline.core.shared_cache.SharedMemoryCache", "LOCATION": str(runtime_dir)}}
    if not url:
        return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tipline"}}
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(f"{PREFIX}CACHE_URL={url!r}: use redis://host:6379/0 (or rediss://, unix://), or leave it empty.")
    return {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url, "KEY_PREFIX": "tipline",
        "OPTIONS": {"serializer": "tipline.core.shared_cache.SafeRedisSerializer"},  # whoever writes Redis runs no code here
    }}


def blob_storage(kind: str, blob_dir: Path) -> dict:
    """Where encrypted blobs go: a directory, or an S3-compatible bucket (django-storages)."""
    # Read whatever the kind, so that every one of them is a known key of the configuration file.
    s3 = {name: env_str(name, "") for name in ("S3_BUCKET", "S3_ENDPOINT_URL", "S3_REGION", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY")}
    addressing_style = env_str("S3_ADDRESSING_STYLE", "path" if s3["S3_ENDPOINT_URL"] else "auto")
    if kind == "filesystem":
        return {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": blob_dir}}
    if kind != "s3":
        raise ImproperlyConfigured(f"{PREFIX}BLOB_STORAGE={kind!r}: use filesystem or s3.")
    if not s3["S3_BUCKET"]:
        raise ImproperlyConfigured(f"{PREFIX}BLOB_STORAGE=s3 needs {PREFIX}S3_BUCKET.")
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": s3["S3_BUCKET"], "endpoint_url": s3["S3_ENDPOINT_URL"] or None, "region_name": s3["S3_REGION"] or None,
            "access_key": s3["S3_ACCESS_KEY_ID"] or None, "secret_key": s3["S3_SECRET_ACCESS_KEY"] or None,
            # Objects are ciphertext under random names: private, never overwritten, no signed URLs handed out.
            "default_acl": None, "file_overwrite": False, "querystring_auth": False,
            "addressing_style": addressing_style,
        },
    }


def runtime_dir(data_dir: Path, secret_key: str) -> Path | None:
    """Memory-backed storage of this data directory's shared cache: TIPLINE_RUNTIME_DIR (under
    systemd, RuntimeDirectory=), else a directory under /dev/shm whose name comes from the
    secret key file, so no other user can compute it and make it first; None where neither
    exists. (The cache refuses a directory it does not own alone either way.)"""
    configured = env_str("RUNTIME_DIR", "")
    if configured:
        return Path(configured).resolve()
    shared_memory = Path("/dev/shm")
    if not shared_memory.is_dir():
        return None
    name = hashlib.blake2b(f"{data_dir}\0{secret_key}".encode(), digest_size=12, person=b"tipline-runtime").hexdigest()
    return shared_memory / f"tipline-{os.getuid()}-{name}"


def ensure_private_dir(path: Path) -> Path:
    """Create a directory readable by its owner only (existing ones are left as they are)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def load_or_create_secret_key(path: Path) -> str:
    """Return the secret key stored at `path`, creating it once (mode 0600) if it is missing.

    Creation uses O_EXCL so that two processes starting together cannot write two
    different keys; the loser reads the winner's file.
    """
    ensure_private_dir(path.parent)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(descriptor, "w") as key_file:
            key_file.write(secrets.token_urlsafe(64))
    return read_secret_key(path)


def read_secret_key(path: Path) -> str:
    key = path.read_text().strip()
    if len(key) < 50:
        raise ImproperlyConfigured(f"The secret key in {path} is too short; delete the file to generate a new one.")
    return key


def file_is_private(path: Path) -> bool:
    """True when neither group nor others may read or write the file."""
    return not (path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO))
