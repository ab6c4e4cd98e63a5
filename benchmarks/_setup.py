"""Shared by the benchmarks: a throwaway data directory (and PostgreSQL database), Django
set up against it, migrated. Never touches ./var."""

import atexit
import os
import secrets
import shutil
import tempfile


def django_for(database: str) -> str:
    """Set up Django on a fresh SQLite file or PostgreSQL database; returns a label."""
    data_dir = tempfile.mkdtemp(prefix="tipline-bench-")
    atexit.register(shutil.rmtree, data_dir, True)
    os.environ["TIPLINE_DATA_DIR"] = data_dir
    os.environ["TIPLINE_INSECURE_FAST_KDF"] = "on"  # seeding only; receipt costs are measured separately
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tipline.settings")
    if database == "postgresql":
        import psycopg

        server = os.environ.get("TIPLINE_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
        name = f"tipline_bench_{secrets.token_hex(4)}"
        with psycopg.connect(server, autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")

        def drop():
            from django.db import connections

            connections.close_all()
            with psycopg.connect(server, autocommit=True) as connection:
                connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

        atexit.register(drop)
        os.environ["TIPLINE_DATABASE_URL"] = server.rsplit("/", 1)[0] + "/" + name
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    return database


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]
