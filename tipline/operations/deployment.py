"""`tipline check`: what an operator must fix before this instance is safe to run."""

from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tipline.config import file_is_private, runtime_dir_is_recorded
from tipline.web.middleware import is_onion_host

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


def find_problems(configuration_only: bool = False) -> list[str]:
    """Return one readable sentence per problem; an empty list means ready.
    `configuration_only` keeps to what the settings and files decide (secret key, mode,
    database and migrations, shared services) and leaves out the state of the running tip
    line (routes, accounts, channels, worker, backups): the server's ExecStartPre, so that
    a stopped worker, a chat service that is down or a colleague not yet signed in does
    not also keep tipsters out."""
    problems: list[str] = []
    problems += _secret_problems()
    problems += _mode_problems()
    database_problems = _database_problems()
    problems += database_problems
    problems += _shared_service_problems()
    if configuration_only:
        return problems
    if not database_problems:  # these read the database, which must be there and migrated
        problems += _alert_problems() + _account_problems() + _channel_problems() + _worker_problems()
        problems += _recovery_key_problems()
    problems += _backup_problems() + _onion_problems() + _base_url_problems() + _checkpoint_problems()
    return problems


def _base_url_problems() -> list[str]:
    from tipline.operations.serving import base_url_mismatch, served_address

    served = served_address(Path(settings.DATA_DIR))
    if served is None or not base_url_mismatch(settings.BASE_URL, served):
        return []
    host, port = served
    return [_(
        "TIPLINE_BASE_URL is %(base_url)s, but this data directory's server listens on %(host)s:%(port)d: alert mails, "
        "webhooks and links point elsewhere. Set TIPLINE_BASE_URL=http://127.0.0.1:%(port)d (make run PORT=%(port)d does)."
    ) % {"base_url": settings.BASE_URL, "host": host, "port": port}]


def _checkpoint_problems() -> list[str]:
    """Not a configuration problem (the server still starts): the log's witness is weak there."""
    checkpoint_file, data_dir = Path(settings.AUDIT_CHECKPOINT_FILE), Path(settings.DATA_DIR)
    if data_dir not in checkpoint_file.parents:
        return []
    return [_(
        "The audit checkpoints %(file)s are in the data directory: whoever can write the database there can cut them back "
        "with it. Unset TIPLINE_AUDIT_CHECKPOINT_FILE (the default is beside the data directory) or point it elsewhere."
    ) % {"file": checkpoint_file}]


def _account_problems() -> list[str]:
    from tipline.accounts.models import User
    from tipline.operations.demo import DEMO_ADMIN, DEMO_RECIPIENT

    problems = []
    for name in User.objects.filter(username__in=[DEMO_RECIPIENT, DEMO_ADMIN], is_active=True).values_list("username", flat=True):
        problems.append(_(
            "The demo account %(name)s is active: first create your own admin (and recipients for its channels) on "
            "Admin → Accounts and sign in as that admin, then disable %(name)s there before real tips arrive."
        ) % {"name": name})
    problems += _demo_organisation_problems()
    waiting = sorted(User.objects.filter(is_active=True, must_change_password=True).values_list("username", flat=True))
    if waiting:
        problems.append(_(
            "Accounts with an unused one-time password: %(names)s. Sign in with it and set a password, or disable the account on Admin → Accounts."
        ) % {"names": ", ".join(waiting)})
    return problems


def _demo_organisation_problems() -> list[str]:
    from tipline.core.models import Channel, InsiderTokens
    from tipline.operations.demo import DEMO_ORGANISATION

    taking = Channel.objects.filter(insider_organisation__slug=DEMO_ORGANISATION).exclude(insider_tokens=InsiderTokens.OFF)
    return [
        _(
            "Channel %(slug)s takes tokens of the demo organisation, whose ten-minute periods are for trying only: "
            "set insider_tokens: off on Admin → Channels → %(slug)s before real tips arrive."
        ) % {"slug": channel.slug}
        for channel in taking
    ]


def _channel_problems() -> list[str]:
    from tipline.alerts.models import Route
    from tipline.core.models import Channel
    from tipline.core.offline_keys import is_setting_vouched
    from tipline.core.submission import channel_is_receiving

    channels = list(Channel.objects.all())
    problems = [
        _("Channel %(slug)s: its offline setting was changed behind the site's back (it fails its check under the secret key file), so it takes no tips. Find out who wrote to the database; restore it from a backup (tipline restore).")
        % {"slug": channel.slug} if not is_setting_vouched(channel) else
        _("Channel %(slug)s has an offline key, but no key is set yet (or its key failed its check), so it takes no tips: a recipient runs tipline-reader init --server URL --channel %(slug)s.")
        % {"slug": channel.slug} if channel.offline_key else
        _("Channel %(slug)s has no recipient who could read its tips, so it takes none: tipline createuser NAME --role recipient --channel %(slug)s.")
        % {"slug": channel.slug}
        for channel in channels if not channel_is_receiving(channel)
    ]
    for channel in channels:
        unnamed = sorted(channel.recipients.filter(is_active=True, display_name="").values_list("username", flat=True))
        if channel.tipsters_may_leave_out and unnamed:
            problems.append(_(
                "Channel %(slug)s lets tipsters leave recipients out, but some have no name for tipsters (%(names)s): each sets one under "
                "Notifications, or tipsters cannot tell them apart."
            ) % {"slug": channel.slug, "names": ", ".join(unnamed)})
    if channels and not Route.objects.exists():
        problems.append(_("There is no alert route: nobody would hear of a new tip or a deadline. Add one: tipline routes add --help."))
    for route in Route.objects.filter(target__startswith="smtp+plain:"):
        problems.append(_(
            "Route %(name)s hands mail over without TLS (smtp+plain): use smtps:// or smtp:// (STARTTLS), or make sure the relay on this machine sends it on with TLS."
        ) % {"name": route.name})
    return problems


def _recovery_key_problems() -> list[str]:
    """No recovery key (a tip whose readers all lose their keys is lost), one that fails its
    check, tips of ordinary channels sealed to none, and tips waiting on a retired generation."""
    from tipline.core import recovery

    summary = recovery.summary()
    problems = []
    if not summary.generations:
        problems.append(_(
            "There is no organisation recovery key: a tip whose readers all lose their keys (a reset, a recipient "
            "who leaves) cannot be opened again. On your own computer: tipline recovery-key new recovery.key; keep it "
            "offline, and on this server: tipline recovery-key install recovery.key.pub (docs/operations.md)."
        ))
    elif summary.current is None:
        refused = ", ".join(str(gen.key.generation) for gen in summary.generations if not gen.vouched)
        problems.append(_(
            "The recovery key in the database is not the one an admin installed (generations failing their check: "
            "%(refused)s): new tips are sealed to no recovery key. Find out who wrote to the database, and install the "
            "key again from your own file: tipline recovery-key install recovery.key.pub."
        ) % {"refused": refused or "-"})
    if summary.generations and summary.ordinary_tips_without:
        problems.append(ngettext(
            "%(count)d tip of an ordinary channel is sealed to no recovery key (it came before the key was installed): "
            "only its recipients' keys open it. A recipient who can read it can grant it to a colleague while they "
            "still can.",
            "%(count)d tips of ordinary channels are sealed to no recovery key (they came before the key was "
            "installed): only their recipients' keys open them. A recipient who can read them can grant them to a "
            "colleague while they still can.",
            summary.ordinary_tips_without,
        ) % {"count": summary.ordinary_tips_without})
    waiting = sum(generation.tips for generation in summary.generations if generation.key.retired_at)
    if waiting:
        problems.append(ngettext(
            "%(count)d tip is still sealed to a retired recovery key: on your own computer, run tipline-reader recover "
            "--server URL --key OLD_KEY_FILE --reseal-to NEW_KEY_FILE.pub, then the old key can be destroyed.",
            "%(count)d tips are still sealed to a retired recovery key: on your own computer, run tipline-reader "
            "recover --server URL --key OLD_KEY_FILE --reseal-to NEW_KEY_FILE.pub, then the old key can be destroyed.",
            waiting,
        ) % {"count": waiting})
    return problems


def _worker_problems() -> list[str]:
    from datetime import timedelta

    from django.utils import timezone

    from tipline.alerts.heartbeat import silence
    from tipline.insider.models import Organisation
    from tipline.jobs.models import PeriodicSlot

    nobody = silence()
    if nobody is not None:
        return [_worker_silence_problem(nobody)]
    if not Organisation.objects.exists():
        return []
    rotation = PeriodicSlot.objects.filter(name="insider-keys").first()
    if rotation is None or rotation.next_run < timezone.now() - timedelta(hours=2):
        return [_("Insider organisations exist, but no worker has rotated their keys in the last two hours: run tipline worker (docs/operations.md).")]
    return []


def _worker_silence_problem(nobody) -> str:
    if nobody.last_seen is None:
        return _("No worker has run on this tip line: alerts, deadline scans and retention wait. Start tipline worker (docs/operations.md, The worker).")
    return _(
        "No worker has been seen since %(when)s UTC (last on %(host)s): alerts, deadline scans and retention wait. "
        "Start tipline worker (docs/operations.md, The worker)."
    ) % {"when": f"{nobody.last_seen.last_seen_at:%Y-%m-%d %H:%M:%S}", "host": nobody.last_seen.host or "?"}


def _backup_problems() -> list[str]:
    import time

    if not settings.BACKUP_DIR:
        return []
    archives = list(Path(settings.BACKUP_DIR).glob("*.tlbk")) if Path(settings.BACKUP_DIR).is_dir() else []
    newest = max((archive.stat().st_mtime for archive in archives), default=0)
    if time.time() - newest > 26 * 3600:
        return [_("No backup in %(directory)s is newer than a day: check the nightly backup (docs/deployment.md, Backups).") % {"directory": settings.BACKUP_DIR}]
    return []


def _alert_problems() -> list[str]:
    from tipline.alerts.health import channels_without_working_route

    problems = [
        _("TIPLINE_%(name)s is set, but alerts now go through routes; add one (tipline routes add --help) and unset it.")
        % {"name": name}
        for name in settings.LEGACY_ALERT_SETTINGS
    ]
    unreached = channels_without_working_route()
    if unreached:
        problems.append(_(
            "Deadline alerts of %(channels)s would reach nobody: no working route serves them. "
            "Add one (tipline routes add) or fix it (tipline routes list)."
        ) % {"channels": ", ".join(channel.slug for channel in unreached)})
    return problems


def _secret_problems() -> list[str]:
    problems = []
    key_file = Path(settings.SECRET_KEY_FILE)
    if key_file.parent == Path(settings.DATA_DIR):
        problems.append(_(
            "The secret key file is in the data directory %(directory)s: a copy of the directory (database and key) opens the insider "
            "issuer keys and route secrets. Move it to a directory of its own and set TIPLINE_SECRET_KEY_FILE (or secret_key_file) to it."
        ) % {"directory": settings.DATA_DIR})
    if key_file.exists() and not file_is_private(key_file):
        problems.append(_("The secret key file %(file)s can be read by other users; run: chmod 600 %(file)s") % {"file": key_file})
    if not file_is_private(Path(settings.DATA_DIR)):
        problems.append(_("The data directory %(directory)s is open to other users; run: chmod 700 %(directory)s") % {"directory": settings.DATA_DIR})
    return problems + _runtime_problems()


def _runtime_problems() -> list[str]:
    from django.core.exceptions import ImproperlyConfigured

    from tipline.base.shared_cache import check_private_directory

    if settings.RUNTIME_DIR is None or settings.CACHES["default"]["BACKEND"] != "tipline.base.shared_cache.SharedMemoryCache":
        return []
    try:
        check_private_directory(Path(settings.RUNTIME_DIR))
    except ImproperlyConfigured:
        return [_(
            "The shared cache's directory %(directory)s is not this service's alone (another owner, a mode open to others, or a "
            "link), so the tip line refuses it: whoever made it could run code here. Remove it; Tipline makes its own."
        ) % {"directory": settings.RUNTIME_DIR}]
    if runtime_dir_is_recorded(Path(settings.DATA_DIR), Path(settings.RUNTIME_DIR)):
        return [_(
            "Another user made the shared cache's usual directory under /dev/shm, so rate limits are kept in %(directory)s, "
            "named in the data directory. Find out who made it; set TIPLINE_RUNTIME_DIR (systemd: RuntimeDirectory=) to avoid it."
        ) % {"directory": settings.RUNTIME_DIR}]
    return []


def _mode_problems() -> list[str]:
    problems = []
    if settings.DEBUG:
        problems.append(_("TIPLINE_DEBUG is on: error pages would show internals. Unset it."))
    if settings.INSECURE_FAST_KDF:
        problems.append(_("TIPLINE_INSECURE_FAST_KDF is on: receipts and passwords would be cheap to guess. Unset it."))
    if "*" in settings.ALLOWED_HOSTS:
        problems.append(_("TIPLINE_ALLOWED_HOSTS contains '*'; list the host names this tip line answers to."))
    public_hosts = [
        host for host in settings.ALLOWED_HOSTS if host not in LOCAL_HOSTS and not is_onion_host(host)
    ]
    if public_hosts and not settings.HTTPS:
        problems.append(_(
            "TIPLINE_HTTPS is off while the tip line answers to %(hosts)s: "
            "tips would cross the network unencrypted. Put TLS in front and set TIPLINE_HTTPS=on."
        ) % {"hosts": ", ".join(public_hosts)})
    return problems


def _shared_service_problems() -> list[str]:
    from tipline.operations.health import component_states

    states = component_states()
    problems = []
    if not states["cache"]:
        problems.append(_("The cache cannot be reached; check TIPLINE_CACHE_URL (Redis running, password, address)."))
    if not states["blob_store"]:
        problems.append(_("The blob store cannot be reached; check TIPLINE_BLOB_STORAGE and the TIPLINE_S3_* settings."))
    if connection.vendor == "postgresql" and not settings.CACHE_URL:
        problems.append(_(
            "The database is PostgreSQL but rate limits are counted per machine: with several app servers, "
            "set TIPLINE_CACHE_URL to one Redis (docs/deployment.md). One machine alone may ignore this."
        ))
    return problems


def _onion_problems() -> list[str]:
    """Over Tor every tipster arrives alike, so Tor's proof-of-work defence is what makes a
    flooding client, and not the tipsters, pay (Tor Browser solves it without JavaScript)."""
    from tipline.operations import torrc

    if not settings.ONION_ADDRESS:
        return []
    try:
        services = torrc.onion_services(settings.TORRC)
    except torrc.TorrcUnreadable as error:
        return [_(
            "The onion service's Tor configuration cannot be read (%(error)s), so whether Tor's proof-of-work defence is on is "
            "unknown. Set TIPLINE_TORRC to the torrc that defines the onion service."
        ) % {"error": error}]
    if not services:
        return [_("%(file)s defines no onion service. Set TIPLINE_TORRC to the torrc that defines this one (docs/deployment.md, section 7).") % {
            "file": settings.TORRC}]
    undefended = [directory for directory, defended in services.items() if not defended]
    if undefended:
        return [_(
            "Tor's proof-of-work defence is off for the onion service in %(directories)s (%(file)s): one client can then flood it "
            "and hold off every tipster on Tor. Add HiddenServicePoWDefensesEnabled 1 after its HiddenServiceDir line "
            "(docs/deployment.md, section 7) and reload Tor."
        ) % {"directories": ", ".join(undefended), "file": settings.TORRC}]
    return []


def _database_problems() -> list[str]:
    try:
        connection.ensure_connection()
    except DatabaseError as error:
        return [_("The database cannot be reached (%(error)s). Check TIPLINE_DATABASE_URL.") % {"error": f"{error.__class__.__name__}: {error}"}]
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        return [ngettext(
            "%(count)d database migration is not applied; run: tipline init",
            "%(count)d database migrations are not applied; run: tipline init", len(pending),
        ) % {"count": len(pending)}]
    return []
