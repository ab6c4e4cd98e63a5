"""Reading Tipline's configuration from `TIPLINE_*` environment variables.

Owns parsing and validation of those variables, the one-time creation of the
secret key file, and the list of languages. `tipline.settings` is the main caller; the
command line reads the languages and translations from here before Django is set up.
"""

import hashlib
import os
import secrets
import stat
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

PREFIX = "TIPLINE_"
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    return os.environ.get(PREFIX + name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(PREFIX + name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{PREFIX}{name}={raw!r}: use one of true/false, yes/no, on/off, 1/0.")


def env_int(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(PREFIX + name)
    if raw is None:
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{PREFIX}{name}={raw!r}: expected a whole number.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{PREFIX}{name}={value}: must be at least {minimum}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(PREFIX + name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


# The languages of every page, mail and command-line message; English is the source.
LANGUAGES = [("en", "English"), ("es", "Español"), ("ar", "العربية")]
LANGUAGE_CODES = tuple(code for code, _name in LANGUAGES)


def locale_dir() -> Path:
    """The translations (tipline/locale); another directory lets translators and the tests work on a copy."""
    return Path(env_str("LOCALE_DIR", str(Path(__file__).resolve().parent / "locale"))).resolve()


def cache_settings(url: str, runtime_dir: Path | None) -> dict:
    """Rate limits and caches: shared by this machine's processes in memory-backed storage
    (`runtime_dir`) by default; one Redis for several machines; per process when neither."""
    if not url and runtime_dir is not None:
        return {"default": {"BACKEND": "tipline.core.shared_cache.SharedMemoryCache", "LOCATION": str(runtime_dir)}}
    if not url:
        return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tipline"}}
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(f"{PREFIX}CACHE_URL={url!r}: use redis://host:6379/0 (or rediss://, unix://), or leave it empty.")
    return {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url, "KEY_PREFIX": "tipline"}}


def blob_storage(kind: str, blob_dir: Path) -> dict:
    """Where encrypted blobs go: a directory, or an S3-compatible bucket (django-storages)."""
    if kind == "filesystem":
        return {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": blob_dir}}
    if kind != "s3":
        raise ImproperlyConfigured(f"{PREFIX}BLOB_STORAGE={kind!r}: use filesystem or s3.")
    bucket = env_str("S3_BUCKET", "")
    if not bucket:
        raise ImproperlyConfigured(f"{PREFIX}BLOB_STORAGE=s3 needs {PREFIX}S3_BUCKET.")
    endpoint = env_str("S3_ENDPOINT_URL", "") or None
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket, "endpoint_url": endpoint, "region_name": env_str("S3_REGION", "") or None,
            "access_key": env_str("S3_ACCESS_KEY_ID", "") or None, "secret_key": env_str("S3_SECRET_ACCESS_KEY", "") or None,
            # Objects are ciphertext under random names: private, never overwritten, no signed URLs handed out.
            "default_acl": None, "file_overwrite": False, "querystring_auth": False,
            "addressing_style": env_str("S3_ADDRESSING_STYLE", "path" if endpoint else "auto"),
        },
    }


def runtime_dir(data_dir: Path) -> Path | None:
    """Memory-backed storage of this data directory's shared cache: TIPLINE_RUNTIME_DIR, else
    a directory under /dev/shm named after the data directory; None where neither exists."""
    configured = env_str("RUNTIME_DIR", "")
    if configured:
        return Path(configured).resolve()
    shared_memory = Path("/dev/shm")
    if not shared_memory.is_dir():
        return None
    name = hashlib.blake2b(str(data_dir).encode(), digest_size=8, person=b"tipline-runtime").hexdigest()
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
