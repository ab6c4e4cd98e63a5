"""Shared by the benchmarks: a throwaway data directory (and PostgreSQL database), Django
set up against it, migrated. Never touches ./var."""

import atexit
import os
import secrets
import shutil
import tempfile


def django_for(database: str, fast_kdf: bool = True) -> str:
    """Set up Django on a fresh SQLite file or PostgreSQL database; returns the data dir.
    The environment it leaves (TIPLINE_*) is what a server started from here should get."""
    data_dir = tempfile.mkdtemp(prefix="tipline-bench-")
    atexit.register(shutil.rmtree, data_dir, True)
    os.environ["TIPLINE_DATA_DIR"] = data_dir
    if os.path.isdir("/dev/shm"):  # the shared rate-limit cache, gone with the run
        runtime_dir = tempfile.mkdtemp(prefix="tipline-bench-", dir="/dev/shm")
        atexit.register(shutil.rmtree, runtime_dir, True)
        os.environ["TIPLINE_RUNTIME_DIR"] = runtime_dir
    if fast_kdf:
        os.environ["TIPLINE_INSECURE_FAST_KDF"] = "on"  # seeding only; receipt costs are measured separately
    else:
        os.environ.pop("TIPLINE_INSECURE_FAST_KDF", None)
    os.environ.setdefault("TIPLINE_ALERT_INTERNAL_NETWORKS", "127.0.0.1/32")  # the benchmarks' receivers
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
    call_command("collectstatic", interactive=False, verbosity=0)
    return data_dir


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def start_server(port: int, workers: int = 2, threads: int = 4, backpressure: int = 16, **overrides: str):
    """`tipline serve` in its own process group, with this process's TIPLINE_* settings."""
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    environment = os.environ | {f"TIPLINE_{key}": value for key, value in overrides.items()}
    tipline = Path(sys.executable).parent / "tipline"
    server = subprocess.Popen(
        [
            str(tipline),
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--backpressure",
            str(backpressure),
        ],
        env=environment,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/static/tipline/site.css", timeout=1).close()
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("the server did not start")


def stop_server(server) -> None:
    import signal

    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
