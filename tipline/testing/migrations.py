"""Moving a test database between migration states, and the upgrade cases to check.

An UpgradeCase says: at migration state `before`, put these rows in (`seed`, given
the historical models); after migrating to the latest state, `check` must find them
intact. A change that adds a migration touching existing data adds a case here.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.apps.registry import Apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

MigrationTarget = tuple[str, str]  # (app, migration name)


class Migrator:
    def __init__(self):
        self.connection = connection

    def _executor(self) -> MigrationExecutor:
        executor = MigrationExecutor(self.connection)
        executor.loader.build_graph()
        return executor

    def latest_targets(self) -> list[MigrationTarget]:
        return list(self._executor().loader.graph.leaf_nodes())

    def project_apps(self) -> list[str]:
        """Tipline's own apps: these must migrate both ways. (Third-party apps such as
        django-tasks-db ship migrations that cannot be reversed; they only go forward.)"""
        from django.apps import apps

        own = {config.label for config in apps.get_app_configs() if config.name.startswith("tipline.")}
        return sorted({app for app, _ in self.latest_targets()} & own)

    def forward_plan(self) -> list[MigrationTarget]:
        """Every migration of Tipline's apps from an empty database to the latest state, in order."""
        executor = self._executor()
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes(), clean_start=True)
        own = set(self.project_apps())
        return [(migration.app_label, migration.name) for migration, _backwards in plan if migration.app_label in own]

    def migrate(self, targets: list[MigrationTarget]) -> Apps:
        """Move the database to `targets` and return the historical models there."""
        self._executor().migrate(targets)
        return self._executor().loader.project_state(targets).apps

    def migrate_to_zero(self) -> None:
        self._executor().migrate([(app, None) for app in self.project_apps()])

    def migrate_to_latest(self) -> Apps:
        return self.migrate(self.latest_targets())


@dataclass(frozen=True)
class UpgradeCase:
    name: str
    before: list[MigrationTarget]
    seed: Callable[[Apps], None]
    check: Callable[[Apps], None]


def _seed_first_schema(apps: Apps) -> None:
    user_model = apps.get_model("accounts", "User")
    channel_model = apps.get_model("core", "Channel")
    recipient = user_model.objects.create(username="upgrade-recipient", password="!")
    channel = channel_model.objects.create(slug="upgrade", name="Upgrade channel", description="kept")
    channel.recipients.add(recipient)


def _check_first_schema(apps: Apps) -> None:
    channel = apps.get_model("core", "Channel").objects.get(slug="upgrade")
    assert channel.name == "Upgrade channel" and channel.description == "kept"
    assert channel.retention_days == 365 and channel.time_zone == "UTC"
    recipient = channel.recipients.get()
    assert recipient.username == "upgrade-recipient" and recipient.public_key is None


def _seed_channel_keys_without_generations(apps: Apps) -> None:
    """An offline-key channel with a retired and a current key as 0013 vouched for them, and a
    second channel whose current key had been swapped in the database (its MAC fails)."""
    import hashlib
    import hmac
    from datetime import UTC, datetime

    from django.conf import settings

    site = hashlib.blake2b(settings.SECRET_KEY.encode(), digest_size=32, person=b"tipline-pubkey").digest()
    channel_model, key_model = apps.get_model("core", "Channel"), apps.get_model("core", "ChannelKey")
    for slug, tampered in (("kept-keys", False), ("swapped-key", True)):
        channel = channel_model.objects.create(slug=slug, name=slug, offline_key=True)
        for number in range(2):
            public_key = bytes([number + 1]) * 32
            mac = hmac.new(site, f"channel:{channel.pk}:".encode() + public_key, hashlib.sha256).digest()
            key_model.objects.create(
                channel=channel,
                public_key=public_key,
                public_key_mac=bytes(32) if tampered and number else mac,
                retired_at=None if number else datetime(2026, 11, 1, tzinfo=UTC),
            )


def _check_channel_keys_numbered_and_vouched_as_before(apps: Apps) -> None:
    from tipline.core import offline_keys
    from tipline.core.models import Channel

    kept, swapped = Channel.objects.get(slug="kept-keys"), Channel.objects.get(slug="swapped-key")
    assert [key.generation for key in kept.offline_keys.order_by("created_at", "pk")] == [1, 2]
    current = offline_keys.current_key(kept)
    assert current is not None and bytes(current.public_key) == bytes([2]) * 32 and current.generation == 2
    assert offline_keys.current_key(swapped) is None  # failed before, fails after
    assert offline_keys.is_setting_vouched(kept) and offline_keys.is_setting_vouched(swapped)


def _seed_plain_audit_chain(apps: Apps, break_it: bool = False) -> None:
    """Three entries linked as the first schema linked them: plain SHA-256."""
    import hashlib
    import json
    from datetime import UTC, datetime

    entry_model, head_model = apps.get_model("audit", "AuditEntry"), apps.get_model("audit", "ChainHead")
    previous = "0" * 64
    for number in range(3):
        at = datetime(2026, 11, 1, 12, number, tzinfo=UTC)
        canonical = json.dumps(
            [previous, at.isoformat(), "ana", "tip-opened", f"tip-{number}", {}], sort_keys=True, separators=(",", ":")
        )
        digest = hashlib.sha256(canonical.encode()).hexdigest()
        entry_model.objects.create(
            at=at,
            actor="ana",
            action="tip-opened",
            target=f"tip-{number}",
            details={},
            previous_hash=previous,
            entry_hash=digest,
        )
        previous = digest
    head_model.objects.create(pk=1, last_hash=previous)
    if break_it:
        entry_model.objects.filter(target="tip-1").update(actor="mallory")


def _check_audit_chain_keyed(apps: Apps) -> None:
    from tipline.audit.checkpoints import write_checkpoint
    from tipline.audit.services import verify_chain

    write_checkpoint()  # verify fails while no checkpoint covers the entries
    report = verify_chain()
    assert report.intact and report.entries == 3, report


def _check_broken_audit_chain_stays_broken(apps: Apps) -> None:
    from tipline.audit.services import verify_chain

    assert not verify_chain().intact


def _seed_routes_by_times(apps: Apps) -> None:
    from datetime import UTC, datetime

    route_model = apps.get_model("alerts", "Route")
    earlier, later = datetime(2026, 11, 1, 8, tzinfo=UTC), datetime(2026, 11, 1, 9, tzinfo=UTC)
    route_model.objects.create(
        name="failed-last", kind="webhook", target="https://a.example", last_success_at=earlier, last_failure_at=later
    )
    route_model.objects.create(
        name="worked-last", kind="webhook", target="https://b.example", last_success_at=later, last_failure_at=earlier
    )
    route_model.objects.create(name="never-worked", kind="webhook", target="https://c.example", last_failure_at=later)
    route_model.objects.create(name="unused", kind="webhook", target="https://d.example")


def _check_routes_failing_as_before(apps: Apps) -> None:
    failures = dict(apps.get_model("alerts", "Route").objects.values_list("name", "consecutive_failures"))
    assert failures == {"failed-last": 1, "worked-last": 0, "never-worked": 1, "unused": 0}


def _seed_conversations_with_sequential_ids(apps: Apps) -> None:
    """Two tips whose messages interleave, as one shared id sequence numbered them."""
    from datetime import UTC, datetime

    channel = apps.get_model("core", "Channel").objects.create(slug="talks", name="Talks")
    tip_model, message_model = apps.get_model("core", "Tip"), apps.get_model("core", "Message")
    hour = datetime(2026, 11, 1, 12, tzinfo=UTC)
    tips = [
        tip_model.objects.create(
            channel=channel,
            reference=f"TALK-{n}",
            received_hour=hour,
            last_activity_hour=hour,
            receipt_lookup_id=bytes([n]) * 32,
            receipt_kdf=b"k",
            tipster_wrapped_key=b"w",
            answers_ciphertext=b"a",
        )
        for n in range(2)
    ]
    for turn in range(5):
        message_model.objects.create(
            tip=tips[turn % 2], author="tipster", sent_hour=hour, ciphertext=f"turn {turn}".encode()
        )


def _check_conversations_keep_their_order(apps: Apps) -> None:
    from tipline.core.models import Message

    orders: dict[str, list[tuple[int, str]]] = {}
    for message in Message.objects.filter(tip__channel__slug="talks"):
        orders.setdefault(str(message.tip_id), []).append((message.number, bytes(message.ciphertext).decode()))
    assert sorted(orders.values()) == [[(1, "turn 0"), (2, "turn 2"), (3, "turn 4")], [(1, "turn 1"), (2, "turn 3")]]


UPGRADE_CASES = [
    UpgradeCase(
        name="a route failing by its last times stays failing when health counts attempts",
        before=[("alerts", "0001_initial")],
        seed=_seed_routes_by_times,
        check=_check_routes_failing_as_before,
    ),
    UpgradeCase(
        name="an intact plain audit chain is linked again under the site's key",
        before=[("audit", "0001_initial")],
        seed=_seed_plain_audit_chain,
        check=_check_audit_chain_keyed,
    ),
    UpgradeCase(
        name="a broken plain audit chain is not laundered by the upgrade",
        before=[("audit", "0001_initial")],
        seed=lambda apps: _seed_plain_audit_chain(apps, break_it=True),
        check=_check_broken_audit_chain_stays_broken,
    ),
    UpgradeCase(
        name="channel keys get generations in the order they were made, and only intact ones stay vouched",
        before=[("core", "0013_offline_key_channels")],
        seed=_seed_channel_keys_without_generations,
        check=_check_channel_keys_numbered_and_vouched_as_before,
    ),
    UpgradeCase(
        name="conversations keep their order when message ids stop carrying it",
        before=[("core", "0016_bound_authorship_and_reader_signatures")],
        seed=_seed_conversations_with_sequential_ids,
        check=_check_conversations_keep_their_order,
    ),
    UpgradeCase(
        name="channels and recipients from the first schema",
        before=[("accounts", "0001_initial"), ("core", "0001_initial")],
        seed=_seed_first_schema,
        check=_check_first_schema,
    ),
]
