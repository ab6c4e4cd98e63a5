"""Every `TIPLINE_*` setting in one table: its kind, default, bounds, whether it is a secret, and
one line saying what it is; and the parsing of a value given for it, refused in one line.

tipline.config reads the values (environment, file, default) through this table; `tipline config
show`, backups and the configuration file's unknown-key check take their lists from it, and a test
holds docs/configuration.md to it. Django and the standard library only.
"""

import ipaddress
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

PREFIX = "TIPLINE_"
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}
# A default worked out when the setting is read (from the data directory, another setting).
DERIVED = object()


@dataclass(frozen=True)
class Setting:
    name: str  # the variable without its prefix; in lower case, the configuration file's key
    kind: str  # text, bool, int, list, hours (whole hours, largest first) or networks (CIDR)
    default: object
    doc: str
    minimum: int | None = None
    maximum: int | None = None
    secret: bool = False  # masked by `tipline config show`, left out of backups unless asked
    in_file: bool = True  # False: read from the environment alone, before any file could be reported


def _text(name, default, doc, **options):
    return Setting(name, "text", default, doc, **options)


def _int(name, default, minimum, doc, maximum=None):
    return Setting(name, "int", default, doc, minimum=minimum, maximum=maximum)


def _bool(name, default, doc):
    return Setting(name, "bool", default, doc)


TABLE: tuple[Setting, ...] = (
    # Where things live
    _text("CONFIG", "", "The configuration file (TOML).", in_file=False),
    _text("DATA_DIR", DERIVED, "The data directory (mode 0700): database, encrypted blobs, static files."),
    _text("SECRET_KEY_FILE", DERIVED, "The site secret's file; best outside the data directory."),
    _text("AUDIT_CHECKPOINT_FILE", DERIVED, "Where the worker appends signed audit checkpoints."),
    _text("LOCALE_DIR", "", "Where translations are read from.", in_file=False),
    _text("BACKUP_DIR", "", "Where the nightly backups go; `tipline check` warns when none is newer than a day."),
    _text("DATABASE_URL", DERIVED, "The database: SQLite in the data directory, or PostgreSQL."),
    _text("CACHE_URL", "", "Redis for rate limits shared by several machines; empty: this machine's memory."),
    _text("RUNTIME_DIR", "", "Memory-backed directory of the shared rate-limit counters."),
    _text("BLOB_STORAGE", "filesystem", "Where encrypted files go: filesystem or s3."),
    _text("S3_BUCKET", "", "The bucket of TIPLINE_BLOB_STORAGE=s3."),
    _text("S3_ENDPOINT_URL", "", "The S3 endpoint; empty for AWS."),
    _text("S3_REGION", "", "The bucket's region."),
    _text("S3_ACCESS_KEY_ID", "", "The S3 access key's id."),
    _text("S3_SECRET_ACCESS_KEY", "", "The S3 secret access key.", secret=True),
    _text("S3_ADDRESSING_STYLE", DERIVED, "path or virtual; path when an endpoint is named, else auto."),
    _text("METRICS_DIR", DERIVED, "Where server processes write their request counts."),
    # Mode
    _bool("DEBUG", False, "Django's debug mode; never on a real instance."),
    _bool("HTTPS", False, "On behind a TLS-terminating proxy: HSTS, Secure cookies with the __Host- prefix."),
    _text("ONION_ADDRESS", "", "The onion service's host name; clearnet pages then send Onion-Location."),
    _text("TORRC", "/etc/tor/torrc", "The torrc that defines the onion service, read by `tipline check`."),
    Setting("ALLOWED_HOSTS", "list", ["127.0.0.1", "localhost"], "The host names the tip line answers to."),
    _bool("INSECURE_FAST_KDF", False, "Test suites only: cheap Argon2id."),
    _bool("METRICS", True, "Record request counts and latencies per route for `tipline metrics`."),
    # Limits
    _int("MAX_FILE_BYTES", 1024**3, 1, "Largest file a tipster may attach."),
    _int("MAX_FILES_PER_TIP", 10, 0, "Files per tip or follow-up message."),
    _int("MAX_CLEANABLE_BYTES", 64 * 1024 * 1024, 0, "Files up to this size are cleaned of hidden details."),
    _int("MAX_CLEANABLE_PIXELS", 50_000_000, 1, "Images with more pixels are stored as sent."),
    _int("CLEANING_SECONDS", 20, 1, "Time one file's cleaning may take."),
    _int("CLEANING_MEMORY_MIB", 1024, 256, "Memory of the process that cleans one file."),
    _int("CLEANING_PARALLEL", 1, 1, "Tips or messages cleaned at once per server process, in each lane."),
    _int("SMALL_CLEANING_PIXELS", 16_000_000, 0, "Pixels of the small pictures' cleaning lane."),
    _int("MAX_ANSWER_CHARS", 20_000, 1, "Longest text answer."),
    _int("SUBMISSIONS_PER_MINUTE_PER_CHANNEL", 0, 0, "Submissions a channel takes per minute; 0: a share."),
    _int("SUBMISSIONS_PER_MINUTE", 0, 0, "Submissions the instance takes per minute; 0: a share of this machine."),
    _int("KNOWN_RECEIPT_LOOKUPS_PER_MINUTE", 0, 0, "Known receipts' look-ups per minute; 0: a share."),
    _int("RECEIPT_ATTEMPTS_PER_MINUTE", 60, 1, "Look-ups of every other receipt per minute, site-wide."),
    _int("RECEIPT_ATTEMPTS_PER_RECEIPT", 10, 1, "Look-ups of one receipt per 10 minutes."),
    _text("CLIENT_ADDRESS_HEADER", "", "The header a trusted proxy sets to the client's address."),
    _int("PER_CLIENT_PER_MINUTE", 10, 1, "Actions of each kind one client may make a minute."),
    _int("FOLLOW_UPS_PER_TIP", 20, 1, "Messages a tipster may send about one tip per hour."),
    _int("FOLLOW_UPS_PER_MINUTE", 60, 1, "Tipsters' messages per minute, site-wide."),
    _int("RECEIPT_SHOWN_AGAIN_SECONDS", 600, 0, "How long a receipt may be shown again to its browser.", maximum=3600),
    _int("MIN_FREE_DISK_MIB", 1024, 0, "Files are refused while the blob store's disk has less free."),
    _int("CHANNEL_FILE_MIB_PER_HOUR", 4096, 1, "Tipsters' files one channel stores per clock hour."),
    # Sessions and sign-in
    _text("PASSKEY_RP_ID", "", "The passkeys' relying party; empty: the page's host."),
    _int("SIGN_IN_CODE_WINDOW_SECONDS", 300, 30, "Time from the password step to the code step."),
    _int("STAFF_SESSION_MAX_HOURS", 12, 1, "A recipient signs in again after this long."),
    _int("SESSION_IDLE_MINUTES", 30, 1, "A session ends after this long without a request."),
    # Alerts and background jobs
    _text("BASE_URL", "http://127.0.0.1:8000", "Where alert mails and webhooks' links point."),
    _text("INSIDER_ISSUER_NAME", "tipline", "The issuer name inside insider tokens' public challenge."),
    _text("MAIL_FROM", "tipline@localhost", "Sender address of alert emails."),
    _int("ALERT_RETRY_BASE_SECONDS", 30, 0, "First wait before a failed delivery is tried again."),
    _int("ALERT_RETRY_MAX_SECONDS", 600, 1, "The longest wait between two tries."),
    _int("ALERT_LEASE_SECONDS", 15, 2, "How long a worker holds a delivery it is attempting."),
    _int("ALERT_DELIVERY_THREADS", 64, 1, "Attempts one worker has in flight at once."),
    _int("ALERT_ROUTE_CONCURRENCY", 32, 1, "The most attempts in flight at once at one route."),
    _int("ALERT_SEND_TIMEOUT_SECONDS", 10, 1, "One deadline for the whole exchange with a route."),
    Setting("ALERT_INTERNAL_NETWORKS", "networks", [], "Networks that are not public which alert routes may reach."),
    Setting("DUTY_REMINDER_HOURS", "hours", ["72", "24"], "Lead times of answering-duty reminders.", minimum=1),
    Setting("DEADLINE_ALERT_HOURS", "hours", ["24", "2"], "Lead times of deadline alerts.", minimum=1),
    # Read only to tell an operator that alerts moved to routes (`tipline check`).
    _text("SMTP_HOST", "", "No longer used: alerts go through routes."),
    _text("WEBHOOK_URL", "", "No longer used: alerts go through routes."),
)
SETTINGS: dict[str, Setting] = {setting.name: setting for setting in TABLE}
SECRET_SETTINGS = frozenset(setting.name for setting in TABLE if setting.secret)
FILE_KEYS = frozenset(setting.name.lower() for setting in TABLE if setting.in_file)


def parse(setting: Setting, raw: object, from_environment: bool):
    """The value `raw` (a string from the environment, any TOML value from the file) as its kind,
    within its bounds; ImproperlyConfigured with one line naming the variable otherwise."""
    return _PARSERS[setting.kind](setting, raw, from_environment)


def _parse_text(setting: Setting, raw, from_environment: bool) -> str:
    return str(raw).strip()


def _parse_bool(setting: Setting, raw, from_environment: bool) -> bool:
    if isinstance(raw, bool):
        return raw
    word = str(raw).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{PREFIX}{setting.name}={raw!r}: use one of true/false, yes/no, on/off, 1/0.")


def _parse_int(setting: Setting, raw, from_environment: bool) -> int:
    try:
        value = raw if isinstance(raw, int) and not isinstance(raw, bool) else int(str(raw).strip())
    except ValueError:
        raise ImproperlyConfigured(f"{PREFIX}{setting.name}={raw!r}: expected a whole number.") from None
    if setting.minimum is not None and value < setting.minimum:
        raise ImproperlyConfigured(f"{PREFIX}{setting.name}={value}: must be at least {setting.minimum}.")
    if setting.maximum is not None and value > setting.maximum:
        raise ImproperlyConfigured(f"{PREFIX}{setting.name}={value}: must be at most {setting.maximum}.")
    return value


def _parse_list(setting: Setting, raw, from_environment: bool) -> list[str]:
    items = raw if isinstance(raw, list) else str(raw).split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def _parse_hours(setting: Setting, raw, from_environment: bool) -> list[int]:
    """Whole numbers of hours, each at least the minimum: largest first, each once."""
    hours = set()
    for item in _parse_list(setting, raw, from_environment):
        try:
            hours.add(int(item))
        except ValueError:
            raise ImproperlyConfigured(
                f"{PREFIX}{setting.name}: {item!r} is not a whole number of hours (e.g. 24,2)."
            ) from None
    minimum = setting.minimum if setting.minimum is not None else 1
    if any(value < minimum for value in hours):
        raise ImproperlyConfigured(
            f"{PREFIX}{setting.name}: {min(hours)} hours is too few; each must be at least {minimum}."
        )
    return sorted(hours, reverse=True)


def _parse_networks(setting: Setting, raw, from_environment: bool) -> tuple:
    """CIDR networks, each checked as it is read: comma-separated in the environment
    (`127.0.0.1/32,10.8.0.0/16`), a list in the file (`["127.0.0.1/32", "10.8.0.0/16"]`)."""
    name = PREFIX + setting.name
    if from_environment and str(raw).strip().startswith("["):
        raise ImproperlyConfigured(
            f"{name}={str(raw).strip()}: in the environment, separate networks with commas "
            f"({name}=127.0.0.1/32,10.8.0.0/16); a list in brackets is the configuration file's form."
        )
    networks = []
    for value in _parse_list(setting, raw, from_environment):
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name}: {value!r} is not a network such as 127.0.0.1/32 or 10.8.0.0/16."
            ) from None
    return tuple(networks)


_PARSERS = {
    "text": _parse_text,
    "bool": _parse_bool,
    "int": _parse_int,
    "list": _parse_list,
    "hours": _parse_hours,
    "networks": _parse_networks,
}
