"""Loaded by pytest before Django (`-p tipline.testing.environment`): isolates each run.

Every run gets its own data directory and temp directory, so that the privacy scan
can read everything the code under test wrote, and nothing else. pytest's own
tmp_path lives outside the scanned temp directory: tests put markers there on purpose.
"""

import os
import tempfile
from pathlib import Path

RUN_DIR = Path(tempfile.mkdtemp(prefix="tipline-test-"))
DATA_DIR = RUN_DIR / "data"
TEMP_DIR = RUN_DIR / "tmp"
PYTEST_TEMP_ROOT = RUN_DIR / "pytest"
for directory in (DATA_DIR, DATA_DIR / "static", TEMP_DIR, PYTEST_TEMP_ROOT):
    directory.mkdir(mode=0o700)

os.environ["TIPLINE_DATA_DIR"] = str(DATA_DIR)
# The shared cache (rate limits) in memory-backed storage, one per run, gone when it ends.
SHARED_MEMORY_DIR = Path("/dev/shm" if Path("/dev/shm").is_dir() else TEMP_DIR) / RUN_DIR.name
os.environ["TIPLINE_RUNTIME_DIR"] = str(SHARED_MEMORY_DIR)
os.environ["TIPLINE_INSECURE_FAST_KDF"] = "on"
# Uploads must not depend on how full the test machine's disk is; the reserve has its own test.
os.environ["TIPLINE_MIN_FREE_DISK_MIB"] = "0"
# The tests' receivers (SMTP, webhooks, chat) listen on 127.0.0.1: the one internal address
# routes may reach here; the rest of loopback (127.0.0.2, ::1) stands for what they may not.
os.environ["TIPLINE_ALERT_INTERNAL_NETWORKS"] = "127.0.0.1/32"
os.environ["TMPDIR"] = str(TEMP_DIR)
os.environ["PYTEST_DEBUG_TEMPROOT"] = str(PYTEST_TEMP_ROOT)
# Sync Playwright runs an event loop in the test thread; the ORM would refuse to run there.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
tempfile.tempdir = str(TEMP_DIR)


def pytest_unconfigure(config):
    import shutil

    shutil.rmtree(RUN_DIR, ignore_errors=True)
    shutil.rmtree(SHARED_MEMORY_DIR, ignore_errors=True)


def pytest_report_header(config):
    from django.conf import settings

    database = settings.DATABASES["default"]
    return (
        f"tipline: database {database['ENGINE'].rsplit('.', 1)[-1]} ({database.get('HOST') or 'file'}), data dir "
        f"{DATA_DIR}"
    )
