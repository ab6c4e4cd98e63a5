"""pytest fixtures for every app's tests (registered by the root conftest.py)."""

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from tipline.testing import environment
from tipline.testing.migrations import Migrator
from tipline.testing.privacy import PROBE_HEADERS, PROBE_USER_AGENT, PrivacyScanner

ARTIFACTS_DIR = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-gpu",
]


@pytest.fixture(scope="session")
def django_db_modify_db_settings():
    """Each run gets a database of its own: a file SQLite (so the privacy scan can
    read its bytes) or a freshly named PostgreSQL database, dropped afterwards."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database["TEST"]["NAME"] = str(environment.DATA_DIR / "test.sqlite3")
    else:
        database["TEST"]["NAME"] = f"tipline_test_{secrets.token_hex(4)}"


@pytest.fixture(scope="session", autouse=True)
def test_database_dropped_at_the_end(django_db_setup, django_db_blocker):
    """A connection still open when the run ends (a live server's thread, a server process a
    test started) would stop pytest-django from dropping the run's PostgreSQL database, and
    leave it behind on the CI's server: those sessions are ended first."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [connection.settings_dict["NAME"]],
        )
    connection.close()


@pytest.fixture(scope="session", autouse=True)
def collected_static():
    """Static files collected as `tipline init` does, so whitenoise serves them as in production."""
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture(autouse=True)
def held_log_lines_written_after_each_test():
    """Lines about public requests wait for the hour's end (web.logging); a test's are
    written when it ends, into its own captured output, not at exit into a closed stream."""
    from tipline.web.logging import release_held_lines

    yield
    release_held_lines()


@pytest.fixture
def clock(monkeypatch):
    """The time the rate limits, the shared cache and the receipt shown again read, moved
    forward by the test (clock.advance(61)) instead of slept on (tipline.testing.clock)."""
    from tipline.testing.clock import install

    return install(monkeypatch)


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate-limit counters start at zero in every test."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in English: a request to /es/ or /ar/ leaves its language active in
    the thread, as Django's locale middleware does, and the next test must not inherit it."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def fresh_blob_store():
    """Each test starts with an empty blob store (tests count what they leave behind)."""
    import shutil

    shutil.rmtree(settings.BLOB_DIR, ignore_errors=True)


@pytest.fixture(autouse=True)
def fresh_audit_checkpoints(settings, tmp_path_factory):
    """Each test has a checkpoint file of its own: one left by another test would not match
    this test's audit log."""
    settings.AUDIT_CHECKPOINT_FILE = tmp_path_factory.mktemp("audit") / "checkpoints.jsonl"


@pytest.fixture
def probe_client() -> Client:
    """A test client whose address, forwarded address, user agent and referrer are markers."""
    headers: dict[str, Any] = dict(PROBE_HEADERS)  # the request's META, not Client's own arguments
    return Client(**headers)


@pytest.fixture
def privacy(db, caplog) -> Iterator[PrivacyScanner]:
    """Fails the test if a watched marker or the client's identity was written anywhere."""
    scanner = PrivacyScanner(directories=[environment.DATA_DIR, environment.TEMP_DIR])
    yield scanner
    scanner.add_log(caplog.text)
    scanner.assert_clean()


@pytest.fixture
def migrator(transactional_db) -> Iterator[Migrator]:
    migrator = Migrator()
    yield migrator
    migrator.migrate_to_latest()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A tab with JavaScript disabled (as Tor Browser at Safest) and a marker user agent."""
    context = browser.new_context(java_script_enabled=False, user_agent=PROBE_USER_AGENT)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot():
    """Save what a person sees: screenshot(page, "name") writes test-artifacts/name.png."""
    ARTIFACTS_DIR.mkdir(exist_ok=True)

    def take(page, name: str) -> Path:
        path = ARTIFACTS_DIR / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def demo_channels(db):
    """The two demo channels and their recipient, whose opened private key tests may use."""
    from tipline.operations.demo import load_demo

    load_demo()


@pytest.fixture
def recipient_keys(demo_channels):
    """(user, private key) of a fresh recipient of every demo channel."""
    from tipline.accounts.models import User
    from tipline.accounts.services import create_user
    from tipline.core.models import Channel
    from tipline.crypto import recipient_keys

    login = create_user("test-recipient", ["recipient"], list(Channel.objects.values_list("slug", flat=True)))
    user = User.objects.get(username=login.username)
    private_key = recipient_keys.unwrap_with_password(user.private_key_by_password, login.password, user.key_owner)
    return user, private_key


@pytest.fixture
def desk(transactional_db):
    """A channel with two recipients who want email, one of them in quiet-digest mode."""
    from tipline.accounts.models import User
    from tipline.core.channel_schema import import_channel, parse_document
    from tipline.core.models import Channel
    from tipline.testing.staff import make_staff

    import_channel(
        parse_document(
            "slug: desk\nname: Night desk\nfields:\n  - {key: tip, kind: long_text, label: Your tip}\n"
            "  - {key: files, kind: file, label: Files}\n"
        )
    )
    # Made first, then put on the desk together: a desk being set up, with no alert about its recipients.
    members = [make_staff("ana"), make_staff("ben")]
    Channel.objects.get(slug="desk").recipients.add(*(member.user for member in members))
    User.objects.filter(username="ana").update(email="ana@example.org")
    User.objects.filter(username="ben").update(email="ben@example.org", quiet_digest=True)
    return members


class Mailbox(list):
    """Messages a test SMTP server received (email.message.EmailMessage), and its port."""

    port: int = 0


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on loopback. Yields its Mailbox."""
    import email
    import email.policy

    from aiosmtpd.controller import Controller

    received = Mailbox()

    class Collect:
        async def handle_DATA(self, server, session, envelope):
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            received.append(message)
            return "250 OK"

    from tests.system import free_port

    received.port = free_port()
    controller = Controller(Collect(), hostname="127.0.0.1", port=received.port)
    controller.start()
    yield received
    controller.stop()


@pytest.fixture
def email_route(smtp_server, transactional_db):
    """A site-wide email route to the test SMTP server, as an admin adds it. Yields the Mailbox."""
    from tipline.alerts.routes import RouteSpec, add_route

    add_route(RouteSpec(name="mail", kind="email", target=f"smtp+plain://127.0.0.1:{smtp_server.port}"))
    return smtp_server


@pytest.fixture
def hook_receiver():
    """A loopback HTTP server standing in for a chat, push or webhook service (tipline.testing.receiver)."""
    from tipline.testing.receiver import start_receiver

    receiver, server = start_receiver()
    yield receiver
    server.shutdown()


@pytest.fixture(scope="session")
def s3_server():
    """A real S3-compatible server on loopback: moto's server (pure Python, from PyPI), which
    speaks the S3 REST protocol over HTTP. Yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    from tests.system import free_port

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_blob_store(s3_server, settings):
    """Blobs in a fresh bucket of the S3 server, through django-storages, as an operator
    configures it (TIPLINE_BLOB_STORAGE=s3). Yields a boto3 client to look inside."""
    import secrets

    import boto3

    bucket = f"tipline-{secrets.token_hex(4)}"
    client = boto3.client(
        "s3", endpoint_url=s3_server, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )
    client.create_bucket(Bucket=bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": s3_server,
                "region_name": "us-east-1",
                "access_key": "test",
                "secret_key": "test",
                "default_acl": None,
                "file_overwrite": False,
                "querystring_auth": False,
                "addressing_style": "path",
            },
        },
    }
    client.bucket = bucket
    yield client
