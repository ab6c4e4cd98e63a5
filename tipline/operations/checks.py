"""The checks of `tipline check` that running an instance owns: the secret key and data directory,
the mode, the database and the shared services (the configuration), the demo content, backups,
Tor's defence and the base URL (the running tip line). Ids: tipline.base.system_checks."""

from pathlib import Path

from django.conf import settings
from django.core.checks import CheckMessage
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tipline.base.system_checks import CONFIGURATION, DATABASE_STATE, STATE, error, register, warning
from tipline.config import file_is_private, runtime_dir_is_recorded
from tipline.web.middleware import is_onion_host

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


@register(CONFIGURATION)
def check_secret_key_and_data_dir(**kwargs) -> list[CheckMessage]:
    found: list[CheckMessage] = []
    key_file = Path(settings.SECRET_KEY_FILE)
    if key_file.parent == Path(settings.DATA_DIR):
        found.append(
            error(
                1,
                _(
                    "The secret key file is in the data directory %(directory)s: a copy of the directory (database and "
                    "key) opens the insider issuer keys and route secrets. Move it to a directory of its own and set "
                    "TIPLINE_SECRET_KEY_FILE (or secret_key_file) to it."
                )
                % {"directory": settings.DATA_DIR},
            )
        )
    if key_file.exists() and not file_is_private(key_file):
        found.append(
            error(
                2,
                _("The secret key file %(file)s can be read by other users; run: chmod 600 %(file)s")
                % {"file": key_file},
            )
        )
    if not file_is_private(Path(settings.DATA_DIR)):
        found.append(
            error(
                3,
                _("The data directory %(directory)s is open to other users; run: chmod 700 %(directory)s")
                % {"directory": settings.DATA_DIR},
            )
        )
    return found + check_runtime_dir()


def check_runtime_dir() -> list[CheckMessage]:
    from django.core.exceptions import ImproperlyConfigured

    from tipline.base.shared_cache import check_private_directory

    if (
        settings.RUNTIME_DIR is None
        or settings.CACHES["default"]["BACKEND"] != "tipline.base.shared_cache.SharedMemoryCache"
    ):
        return []
    try:
        check_private_directory(Path(settings.RUNTIME_DIR))
    except ImproperlyConfigured:
        return [
            error(
                4,
                _(
                    "The shared cache's directory %(directory)s is not this service's alone (another owner, a mode "
                    "open to others, or a link), so the tip line refuses it: whoever made it could run code here. "
                    "Remove it; Tipline makes its own."
                )
                % {"directory": settings.RUNTIME_DIR},
            )
        ]
    if runtime_dir_is_recorded(Path(settings.DATA_DIR), Path(settings.RUNTIME_DIR)):
        return [
            warning(
                5,
                _(
                    "Another user made the shared cache's usual directory under /dev/shm, so rate limits are kept in "
                    "%(directory)s, named in the data directory. Find out who made it; set TIPLINE_RUNTIME_DIR "
                    "(systemd: RuntimeDirectory=) to avoid it."
                )
                % {"directory": settings.RUNTIME_DIR},
            )
        ]
    return []


@register(CONFIGURATION)
def check_mode(**kwargs) -> list[CheckMessage]:
    found: list[CheckMessage] = []
    if settings.DEBUG:
        found.append(error(6, _("TIPLINE_DEBUG is on: error pages would show internals. Unset it.")))
    if settings.INSECURE_FAST_KDF:
        found.append(
            error(7, _("TIPLINE_INSECURE_FAST_KDF is on: receipts and passwords would be cheap to guess. Unset it."))
        )
    if "*" in settings.ALLOWED_HOSTS:
        found.append(error(8, _("TIPLINE_ALLOWED_HOSTS contains '*'; list the host names this tip line answers to.")))
    public_hosts = [host for host in settings.ALLOWED_HOSTS if host not in LOCAL_HOSTS and not is_onion_host(host)]
    if public_hosts and not settings.HTTPS:
        found.append(
            error(
                9,
                _(
                    "TIPLINE_HTTPS is off while the tip line answers to %(hosts)s: "
                    "tips would cross the network unencrypted. Put TLS in front and set TIPLINE_HTTPS=on."
                )
                % {"hosts": ", ".join(public_hosts)},
            )
        )
    return found


@register(CONFIGURATION, reads_database=True)
def check_database(**kwargs) -> list[CheckMessage]:
    try:
        connection.ensure_connection()
    except DatabaseError as problem:
        return [
            error(
                10,
                _("The database cannot be reached (%(error)s). Check TIPLINE_DATABASE_URL.")
                % {"error": f"{problem.__class__.__name__}: {problem}"},
            )
        ]
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        return [
            error(
                11,
                ngettext(
                    "%(count)d database migration is not applied; run: tipline init",
                    "%(count)d database migrations are not applied; run: tipline init",
                    len(pending),
                )
                % {"count": len(pending)},
            )
        ]
    return []


@register(CONFIGURATION)
def check_shared_services(**kwargs) -> list[CheckMessage]:
    from tipline.operations.health import component_states

    states = component_states()
    found: list[CheckMessage] = []
    if not states["cache"]:
        found.append(
            error(12, _("The cache cannot be reached; check TIPLINE_CACHE_URL (Redis running, password, address)."))
        )
    if not states["blob_store"]:
        found.append(
            error(13, _("The blob store cannot be reached; check TIPLINE_BLOB_STORAGE and the TIPLINE_S3_* settings."))
        )
    if connection.vendor == "postgresql" and not settings.CACHE_URL:
        found.append(
            warning(
                14,
                _(
                    "The database is PostgreSQL but rate limits are counted per machine: with several app servers, "
                    "set TIPLINE_CACHE_URL to one Redis (docs/deployment.md). One machine alone may ignore this."
                ),
            )
        )
    return found


@register(DATABASE_STATE)
def check_demo_content(**kwargs) -> list[CheckMessage]:
    from tipline.accounts.models import User
    from tipline.core.models import Channel, InsiderTokens
    from tipline.operations.demo import DEMO_ADMIN, DEMO_ORGANISATION, DEMO_RECIPIENT

    found: list[CheckMessage] = [
        warning(
            17,
            _(
                "The demo account %(name)s is active: first create your own admin (and recipients for its channels) on "
                "Admin → Accounts and sign in as that admin, then disable %(name)s there before real tips arrive."
            )
            % {"name": name},
        )
        for name in User.objects.filter(username__in=[DEMO_RECIPIENT, DEMO_ADMIN], is_active=True).values_list(
            "username", flat=True
        )
    ]
    taking = Channel.objects.filter(insider_organisation__slug=DEMO_ORGANISATION).exclude(
        insider_tokens=InsiderTokens.OFF
    )
    return found + [
        warning(
            18,
            _(
                "Channel %(slug)s takes tokens of the demo organisation, whose ten-minute periods are for trying only: "
                "set insider_tokens: off on Admin → Channels → %(slug)s before real tips arrive."
            )
            % {"slug": channel.slug},
        )
        for channel in taking
    ]


@register(STATE)
def check_backups(**kwargs) -> list[CheckMessage]:
    import time

    if not settings.BACKUP_DIR:
        return []
    archives = list(Path(settings.BACKUP_DIR).glob("*.tlbk")) if Path(settings.BACKUP_DIR).is_dir() else []
    newest = max((archive.stat().st_mtime for archive in archives), default=0)
    if time.time() - newest > 26 * 3600:
        return [
            warning(
                32,
                _(
                    "No backup in %(directory)s is newer than a day: check the nightly backup (docs/deployment.md, "
                    "Backups)."
                )
                % {"directory": settings.BACKUP_DIR},
            )
        ]
    return []


@register(STATE)
def check_onion_service(**kwargs) -> list[CheckMessage]:
    """Over Tor every tipster arrives alike, so Tor's proof-of-work defence is what makes a
    flooding client, and not the tipsters, pay (Tor Browser solves it without JavaScript)."""
    from tipline.operations import torrc

    if not settings.ONION_ADDRESS:
        return []
    try:
        services = torrc.onion_services(settings.TORRC)
    except torrc.TorrcUnreadable as problem:
        return [
            warning(
                33,
                _(
                    "The onion service's Tor configuration cannot be read (%(error)s), so whether Tor's proof-of-work "
                    "defence is on is unknown. Set TIPLINE_TORRC to the torrc that defines the onion service."
                )
                % {"error": problem},
            )
        ]
    if not services:
        return [
            warning(
                34,
                _(
                    "%(file)s defines no onion service. Set TIPLINE_TORRC to the torrc that defines this one "
                    "(docs/deployment.md, section 7)."
                )
                % {"file": settings.TORRC},
            )
        ]
    undefended = [directory for directory, defended in services.items() if not defended]
    if undefended:
        return [
            warning(
                35,
                _(
                    "Tor's proof-of-work defence is off for the onion service in %(directories)s (%(file)s): one "
                    "client can then flood it and hold off every tipster on Tor. Add HiddenServicePoWDefensesEnabled 1 "
                    "after its HiddenServiceDir line (docs/deployment.md, section 7) and reload Tor."
                )
                % {"directories": ", ".join(undefended), "file": settings.TORRC},
            )
        ]
    return []


@register(STATE)
def check_base_url(**kwargs) -> list[CheckMessage]:
    from tipline.operations.serving import base_url_mismatch, served_address

    served = served_address(Path(settings.DATA_DIR))
    if served is None or not base_url_mismatch(settings.BASE_URL, served):
        return []
    host, port = served
    return [
        warning(
            36,
            _(
                "TIPLINE_BASE_URL is %(base_url)s, but this data directory's server listens on %(host)s:%(port)d: "
                "alert mails, webhooks and links point elsewhere. Set TIPLINE_BASE_URL=http://127.0.0.1:%(port)d (make "
                "run PORT=%(port)d does)."
            )
            % {"base_url": settings.BASE_URL, "host": host, "port": port},
        )
    ]
