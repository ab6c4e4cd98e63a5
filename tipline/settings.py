"""Django settings for Tipline: the only settings module, read from `TIPLINE_*` variables.

Every variable is a row of tipline.base.settings_table (its kind, default and bounds) and of
docs/configuration.md; defaults are the safe choice.
"""

from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

from tipline import config
from tipline.config import (
    LANGUAGES as TIPLINE_LANGUAGES,
)
from tipline.config import (
    blob_storage,
    cache_settings,
    data_dir,
    default_checkpoint_file,
    ensure_private_dir,
    load_or_create_secret_key,
    locale_dir,
    reject_unknown_file_keys,
    runtime_dir,
    value,
)

PACKAGE_DIR = Path(__file__).resolve().parent

# --- Where things live -------------------------------------------------------
DATA_DIR = ensure_private_dir(data_dir())
SECRET_KEY_FILE = Path(value("SECRET_KEY_FILE", str(DATA_DIR / "secret_key"))).resolve()
# `tipline init` alone may make a replacement for a key made before (a rotation).
SECRET_KEY = load_or_create_secret_key(SECRET_KEY_FILE, DATA_DIR, replacing=config.key_replacement_allowed)
# Signed checkpoints of the audit log, outside the database and the data directory its
# writers write (beside it: /var/lib/tipline-audit for /var/lib/tipline); best on another host.
AUDIT_CHECKPOINT_FILE = Path(value("AUDIT_CHECKPOINT_FILE", str(default_checkpoint_file(DATA_DIR)))).resolve()
BLOB_DIR = DATA_DIR / "blobs"
STATIC_ROOT = DATA_DIR / "static"
STATIC_URL = "/static/"

# --- Mode --------------------------------------------------------------------
DEBUG = value("DEBUG")
HTTPS = value("HTTPS")
ONION_ADDRESS = value("ONION_ADDRESS").lower().removeprefix("http://").rstrip("/")
# The torrc that defines the onion service: `tipline check` reads whether proof-of-work is on.
TORRC = Path(value("TORRC"))
ALLOWED_HOSTS = value("ALLOWED_HOSTS")
if ONION_ADDRESS and ONION_ADDRESS not in ALLOWED_HOSTS:
    ALLOWED_HOSTS.append(ONION_ADDRESS)
# Lowers the Argon2id cost so the test suite stays fast. Never for a real deployment:
# `tipline check` fails while it is on, and a test asserts the default is off.
INSECURE_FAST_KDF = value("INSECURE_FAST_KDF")

# --- Database ----------------------------------------------------------------
DATABASE_URL = value("DATABASE_URL", f"sqlite:///{DATA_DIR / 'tipline.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so concurrent writers wait
        # (busy_timeout) instead of failing halfway through a transaction.
        "transaction_mode": "IMMEDIATE",
        # secure_delete overwrites freed pages, so deleted ciphertext does not linger.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=5000; PRAGMA secure_delete=ON;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Limits ------------------------------------------------------------------
MAX_FILE_BYTES = value("MAX_FILE_BYTES")
MAX_FILES_PER_TIP = value("MAX_FILES_PER_TIP")
# Files up to this size are cleaned of metadata, in memory; larger ones are kept as sent.
MAX_CLEANABLE_BYTES = value("MAX_CLEANABLE_BYTES")
MAX_CLEANABLE_PIXELS = value("MAX_CLEANABLE_PIXELS")
CLEANING_SECONDS = value("CLEANING_SECONDS")
CLEANING_MEMORY_MIB = value("CLEANING_MEMORY_MIB")
CLEANING_PARALLEL = value("CLEANING_PARALLEL")  # per server process, in each lane
SMALL_CLEANING_PIXELS = value("SMALL_CLEANING_PIXELS")  # a 12-megapixel photo's lane
MAX_ANSWER_CHARS = value("MAX_ANSWER_CHARS")
# 0: a share of what this machine can do, measured (tipline.core.capacity); a number caps it there.
SUBMISSIONS_PER_MINUTE_PER_CHANNEL = value("SUBMISSIONS_PER_MINUTE_PER_CHANNEL")
SUBMISSIONS_PER_MINUTE = value("SUBMISSIONS_PER_MINUTE")
KNOWN_RECEIPT_LOOKUPS_PER_MINUTE = value("KNOWN_RECEIPT_LOOKUPS_PER_MINUTE")
# Receipts no lookup tag vouches for, while tips from before tags exist (each costs Argon2id).
RECEIPT_ATTEMPTS_PER_MINUTE = value("RECEIPT_ATTEMPTS_PER_MINUTE")
RECEIPT_ATTEMPTS_PER_RECEIPT = value("RECEIPT_ATTEMPTS_PER_RECEIPT")  # per 10 minutes
# The header a trusted proxy sets to the client's address (e.g. X-Real-IP); empty: none.
CLIENT_ADDRESS_HEADER = value("CLIENT_ADDRESS_HEADER")
PER_CLIENT_PER_MINUTE = value("PER_CLIENT_PER_MINUTE")  # per action: tips, receipts, messages, sign-ins
FOLLOW_UPS_PER_TIP = value("FOLLOW_UPS_PER_TIP")  # per hour
FOLLOW_UPS_PER_MINUTE = value("FOLLOW_UPS_PER_MINUTE")
# A receipt whose answer may have been lost is shown again to the browser that sent the form,
# for this long after the tip was stored (tipline.core.receipt_again); 0: never. At most an
# hour, as the hourly key its cache entry is sealed under is kept no longer.
RECEIPT_SHOWN_AGAIN_SECONDS = value("RECEIPT_SHOWN_AGAIN_SECONDS")
# Uploads are refused (507, the text kept) once the blob store's disk has less free.
MIN_FREE_DISK_BYTES = value("MIN_FREE_DISK_MIB") * 1024 * 1024
# Each channel stores at most this much of tipsters' files per hour (507 beyond, the text kept;
# the admins are alerted), so one client's valid tips cannot use up the floor above for everyone.
CHANNEL_FILE_BYTES_PER_HOUR = value("CHANNEL_FILE_MIB_PER_HOUR") * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Every upload is encrypted as it streams in; Django's memory and temp-file handlers are never used.
FILE_UPLOAD_HANDLERS = ["tipline.web.uploads.EncryptingUploadHandler"]
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200

# --- Applications ------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "tipline.core",
    "tipline.accounts",
    "tipline.intake",
    "tipline.audit",
    "tipline.casework",
    "tipline.alerts",
    "tipline.jobs",
    "tipline.insider",
    "tipline.operations",  # no models: its part of `tipline check` (tipline.operations.checks)
    "django_tasks_db",
]
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
LOGIN_URL = "accounts:sign_in"
AUTH_USER_MODEL = "accounts.User"

MIDDLEWARE = [
    "tipline.web.middleware.AccessLogMiddleware",
    "tipline.web.uploads.UnclaimedUploadsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "tipline.web.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language comes from the address (/es/…, /ar/…) on tipster pages: no language cookie.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "tipline.web.csrf.NoReferrerCsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "tipline.web.unavailable.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "tipline.urls"
WSGI_APPLICATION = "tipline.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "tipline.web.languages.language_links",
                "tipline.alerts.context.unreached_channels",
            ],
        },
    }
]
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
WHITENOISE_ALLOW_ALL_ORIGINS = False
STORAGES = {
    "default": blob_storage(value("BLOB_STORAGE"), BLOB_DIR),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

LANGUAGE_CODE = "en"
LANGUAGES = TIPLINE_LANGUAGES  # pages, mails and the command line (tipline.config)
LOCALE_PATHS = [locale_dir()]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Where the nightly backups go; `tipline check` then says when none is newer than a day.
BACKUP_DIR = value("BACKUP_DIR")

# --- Caches (rate limits): shared by this machine's processes in memory; Redis for several machines
CACHE_URL = value("CACHE_URL")
RUNTIME_DIR = runtime_dir(DATA_DIR, SECRET_KEY)
CACHES = cache_settings(CACHE_URL, RUNTIME_DIR)

# --- Security headers and cookies --------------------------------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "style-src": [SELF],
        "script-src": [SELF],
        "img-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "no-referrer"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# HSTS is sent by SecurityHeadersMiddleware, which knows to leave .onion hosts out.
SECURE_HSTS_SECONDS = 0
HSTS_SECONDS = 63_072_000

SESSION_ENGINE = "tipline.web.session_store"  # database sessions whose expired rows are deleted
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Strict"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_AGE = None  # ends with the browser: no year-long trace of a visit in a tipster's browser
CSRF_COOKIE_SAMESITE = "Strict"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
# The __Host- prefix pins a cookie to this exact host, path "/" and HTTPS.
SESSION_COOKIE_NAME = "__Host-tipline_session" if HTTPS else "tipline_session"
CSRF_COOKIE_NAME = "__Host-tipline_csrf" if HTTPS else "tipline_csrf"
# Holds the secret that opens a tipster's session key material (see intake.tipster_session).
TIPSTER_KEY_COOKIE_NAME = "__Host-tipline_tip_key" if HTTPS else "tipline_tip_key"
# Holds the secret that opens a signed-in recipient's private key (see accounts.access).
STAFF_KEY_COOKIE_NAME = "__Host-tipline_staff_key" if HTTPS else "tipline_staff_key"
# Names the recipient who signed in from this browser: their own allowance of sign-in attempts (see accounts.devices).
STAFF_DEVICE_COOKIE_NAME = "__Host-tipline_staff_device" if HTTPS else "tipline_staff_device"
# A recipient signs in again after this long, however active (the idle limit is below).
# Passkeys' relying party: the host pages are served from, unless pinned here (e.g. tips.example.org).
PASSKEY_RP_ID = value("PASSKEY_RP_ID")
# How long the half-signed-in state (password checked, code not yet) lasts.
SIGN_IN_CODE_WINDOW_SECONDS = value("SIGN_IN_CODE_WINDOW_SECONDS")
STAFF_SESSION_MAX_SECONDS = value("STAFF_SESSION_MAX_HOURS") * 3600
# Sessions end after 30 idle minutes and when the browser closes.
SESSION_COOKIE_AGE = value("SESSION_IDLE_MINUTES") * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_FAILURE_VIEW = "tipline.intake.views.csrf_failure"
CSRF_TRUSTED_ORIGINS = [f"https://{host}" for host in ALLOWED_HOSTS if HTTPS and not host.startswith(".")]
if HTTPS:
    # TLS ends at the reverse proxy in front of Tipline; it must set this header.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Django's deployment checks (`tipline check --deploy`) that do not apply to how Tipline is deployed:
SILENCED_SYSTEM_CHECKS = [
    # CSRF protection is on: tipline.web.csrf.NoReferrerCsrfViewMiddleware is Django's own middleware,
    # subclassed, which the check, looking for Django's name alone, does not see.
    "security.W003",
    # HSTS is sent by SecurityHeadersMiddleware (HSTS_SECONDS), which leaves .onion hosts out.
    "security.W004",
    # TLS ends at the proxy in front, which redirects plain HTTP; the onion service is HTTP inside Tor.
    "security.W008",
    # Cookies are Secure whenever TIPLINE_HTTPS is on; it is off only on loopback or onion hosts, or
    # else tipline check reports TIPLINE_HTTPS off (tipline.E009).
    "security.W012",
    # Every mail goes through an email route's own connection (tipline.alerts); the default mailer
    # is a dummy on purpose, so that nothing sends mail around the routes.
    "mail.E001",
]

# --- Logging: never an IP address, user agent or referrer --------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "drop_request": {"()": "tipline.web.logging.DropRequestFilter"},
        "withhold_client_details": {"()": "tipline.web.logging.WithholdClientDetailsFilter"},
        "route_pattern": {"()": "tipline.web.logging.RoutePatternFilter"},
        "hold_public_lines": {"()": "tipline.web.logging.HoldPublicLinesFilter"},
    },
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["hold_public_lines", "drop_request", "withhold_client_details"],
        },
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "tipline": {"level": "INFO"},
        # Django's development server logs client addresses; Tipline never uses it.
        "django.server": {"handlers": [], "level": "CRITICAL", "propagate": False},
        # "Not Found: <path>" lines would echo whatever a client typed into a URL.
        "django.request": {"level": "ERROR", "filters": ["route_pattern"]},
        # Their messages quote the client's Origin, Referer, Host and path: rewritten before any
        # handler sees them (the console handler's filter catches the other django.security.* too).
        "django.security.csrf": {"filters": ["withhold_client_details"]},
        "django.security.DisallowedHost": {"filters": ["withhold_client_details"]},
        # One "no more tasks" line per idle second would drown everything else.
        "django_tasks_db": {"level": "WARNING"},
        "django.tasks": {"level": "WARNING"},
    },
}

# --- Notifications (content-free) and background jobs ---------------------------
BASE_URL = value("BASE_URL")
# Request counts and latencies per route, added up across server processes by `tipline metrics`.
METRICS_ENABLED = value("METRICS")
METRICS_DIR = Path(value("METRICS_DIR", str(DATA_DIR / "metrics"))).resolve()
# Names this tip line in insider tokens' public challenge; fixed into each key when it is made.
INSIDER_ISSUER_NAME = value("INSIDER_ISSUER_NAME")
# Alerts go through the routes admins configure (staff page or `tipline routes`), stored in
# the database so that the server, the worker and the command line cannot disagree.
DEFAULT_FROM_EMAIL = value("MAIL_FROM")
# Every mail goes through an email route's own connection; nothing uses Django's default mailer.
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.dummy.EmailBackend"}}
ALERT_RETRY_BASE_SECONDS = value("ALERT_RETRY_BASE_SECONDS")
ALERT_RETRY_MAX_SECONDS = value("ALERT_RETRY_MAX_SECONDS")
# A worker holds a delivery this long and renews it while the attempt is in flight; the
# deliveries of a worker that dies are taken up by another once it runs out.
ALERT_LEASE_SECONDS = value("ALERT_LEASE_SECONDS")
# Attempts in flight at once per worker, and at most per route: each route with work gets
# an equal part of the pool up to this, so a route that hangs holds only its own part.
ALERT_DELIVERY_THREADS = value("ALERT_DELIVERY_THREADS")
ALERT_ROUTE_CONCURRENCY = value("ALERT_ROUTE_CONCURRENCY")
# The whole exchange with a route (connect, send, the answer read to its end), not each read.
ALERT_SEND_TIMEOUT_SECONDS = value("ALERT_SEND_TIMEOUT_SECONDS")
# Internal networks (loopback, private, link-local, …) that routes may reach, e.g. 127.0.0.1/32
# for a mail relay on this machine; none by default (tipline.alerts.addresses). Only whoever
# writes the configuration decides this, never a form on a page.
ALERT_INTERNAL_NETWORKS = value("ALERT_INTERNAL_NETWORKS")
# Read only to tell an operator that these moved to routes (tipline check).
LEGACY_ALERT_SETTINGS = [name for name in ("SMTP_HOST", "WEBHOOK_URL") if value(name)]
DUTY_REMINDER_HOURS = value("DUTY_REMINDER_HOURS")
DEADLINE_ALERT_HOURS = value("DEADLINE_ALERT_HOURS")

# --- Passwords ---------------------------------------------------------------
PASSWORD_HASHERS = [
    "tipline.accounts.hashers.InsecureFastArgon2PasswordHasher"
    if INSECURE_FAST_KDF
    else "django.contrib.auth.hashers.Argon2PasswordHasher"
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Last: every setting has been asked for, so a key of the file none asked for is a typo.
reject_unknown_file_keys()
