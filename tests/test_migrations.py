"""Every migration applies forward and back on SQLite and PostgreSQL, and upgrades keep data."""

import pytest
from django.core.management import call_command

from tipline.testing.migrations import UPGRADE_CASES


@pytest.mark.slow
def test_every_migration_applies_one_by_one_then_unapplies(migrator):
    plan = migrator.forward_plan()
    migrator.migrate_to_zero()

    for target in plan:
        migrator.migrate([target])
    migrator.migrate_to_zero()
    apps = migrator.migrate_to_latest()

    assert len(plan) >= 2
    assert apps.get_model("core", "Channel").objects.count() == 0


@pytest.mark.slow
@pytest.mark.parametrize("case", UPGRADE_CASES, ids=lambda case: case.name)
def test_a_populated_database_upgrades_without_loss(migrator, case):
    migrator.migrate_to_zero()
    case.seed(migrator.migrate(case.before))

    case.check(migrator.migrate_to_latest())


@pytest.mark.django_db
def test_models_and_migrations_agree():
    call_command("makemigrations", check=True, dry_run=True, verbosity=0)
