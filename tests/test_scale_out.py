"""Several hosts' worth of Tipline on loopback: two app servers and two workers, each with its
own data directory, sharing one PostgreSQL database, one Redis and one S3-compatible bucket
(and the secret key file, as hosts share it). Tips go in through both servers and are read
through both; the site-wide submission limit is counted once across them; every notice is
sent once. Runs in the PostgreSQL pass of `make test`."""

import json
import os
import secrets
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
import redis

from tests.system import TIPLINE, clean_environment, free_port, run_tipline, stop, wait_until_serving

pytestmark = [
    pytest.mark.system,
    pytest.mark.skipif(
        not os.environ.get("TIPLINE_DATABASE_URL", "").startswith("postgres"), reason="the PostgreSQL pass runs it"
    ),
]
REDIS_URL = "redis://127.0.0.1:6379/5"
SITE_LIMIT = 4

SETUP = """
import django, json, sys
django.setup()
from tipline.accounts.models import User
from tipline.accounts.tokens import create_token
from tipline.core.channel_schema import import_channel, parse_document
from tipline.testing.staff import make_staff
import_channel(parse_document('''slug: desk
name: Night desk
fields:
  - {key: tip, kind: long_text, label: Tip}
  - {key: when, kind: datetime, label: When, deadline: true}
  - {key: files, kind: file, label: Files}
'''))
ana = make_staff("ana", ["desk"])
User.objects.filter(username="ana").update(email="ana@example.org")
print(create_token(ana.user, ana.private_key, "scale-out test", 1).secret_string)
"""


@pytest.fixture
def shared_database():
    server = os.environ["TIPLINE_DATABASE_URL"].rsplit("/", 1)[0]
    name = f"tipline_scale_{secrets.token_hex(4)}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    yield f"{server}/{name}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def request(url: str, data: bytes | None = None, headers: dict | None = None) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, data=data, headers=headers or {}), timeout=30
        ) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


FILE = b"scale-out file content " * 1000


def send_tip(base: str, text: str, deadline: datetime) -> int:
    boundary = secrets.token_hex(8)
    answers = json.dumps({"tip": text, "when": deadline.strftime("%Y-%m-%dT%H:%M")})
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="answers"\r\n\r\n{answers}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="n.txt"\r\n'
            "Content-Type: text/plain\r\n\r\n"
        ).encode()
        + FILE
        + f"\r\n--{boundary}--\r\n".encode()
    )
    status, _ = request(
        f"{base}/api/v1/channels/desk/tips", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    return status


def wait_for(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.2)


def test_two_servers_and_two_workers_share_database_cache_and_blobs(tmp_path, shared_database, s3_server, smtp_server):
    import boto3

    bucket = f"tipline-{secrets.token_hex(4)}"
    boto3.client(
        "s3", endpoint_url=s3_server, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    ).create_bucket(Bucket=bucket)
    redis.Redis.from_url(REDIS_URL).flushdb()
    secret_key = tmp_path / "secret_key"
    shared = {
        "DATABASE_URL": shared_database,
        "CACHE_URL": REDIS_URL,
        "SECRET_KEY_FILE": str(secret_key),
        "BLOB_STORAGE": "s3",
        "S3_BUCKET": bucket,
        "S3_ENDPOINT_URL": s3_server,
        "S3_REGION": "us-east-1",
        "S3_ACCESS_KEY_ID": "t",
        "S3_SECRET_ACCESS_KEY": "t",
        "INSECURE_FAST_KDF": "on",
        "SUBMISSIONS_PER_MINUTE": str(SITE_LIMIT),
    }
    hosts = [tmp_path / name for name in ("host-a", "host-b", "host-c", "host-d")]
    for host in hosts:  # each host its own data directory (static files); the first init migrates the shared database
        assert run_tipline(host, "init", **shared).returncode == 0
    environment = clean_environment(hosts[0], **shared) | {"DJANGO_SETTINGS_MODULE": "tipline.settings"}
    token = (
        subprocess.run(
            [str(TIPLINE.parent / "python"), "-c", SETUP], env=environment, check=True, capture_output=True, text=True
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    # Added on one host, read by every process: the route lives in the shared database.
    added = run_tipline(
        hosts[1],
        "routes",
        "add",
        "mail",
        "--kind",
        "email",
        "--target",
        f"smtp+plain://127.0.0.1:{smtp_server.port}",
        **shared,
    )
    assert added.returncode == 0, added.stderr

    ports = [free_port(), free_port()]
    servers = [
        subprocess.Popen(
            [str(TIPLINE), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
            env=clean_environment(host, **shared),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        for host, port in zip(hosts[:2], ports, strict=True)
    ]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    workers = []
    try:
        for base, server in zip(bases, servers, strict=True):
            wait_until_serving(f"{base}/", server)
        if datetime.now(UTC).second > 40:  # keep every submission inside one one-minute window
            time.sleep(61 - datetime.now(UTC).second)
        deadline = datetime.now(UTC) + timedelta(hours=1)
        statuses = [
            send_tip(bases[number % 2], f"tip {number} through server {number % 2}", deadline)
            for number in range(SITE_LIMIT)
        ]
        over_the_limit = send_tip(bases[0], "one too many", deadline)
        assert statuses == [201] * SITE_LIMIT
        assert over_the_limit == 429  # each server alone has seen only 2 or 3: the count is shared

        authorised = {"Authorization": f"Bearer {token}"}
        for base in bases:
            status, page = request(f"{base}/api/v1/tips", headers=authorised)
            assert status == 200 and len(page["items"]) == SITE_LIMIT
        for number, item in enumerate(page["items"]):
            base = bases[number % 2]
            status, tip = request(f"{base}/api/v1/tips/{item['id']}", headers=authorised)
            assert status == 200 and tip["answers"][0]["value"].startswith("tip ")
            download = urllib.request.Request(
                f"{base}/api/v1/tips/{item['id']}/files/{tip['files'][0]['id']}", headers=authorised
            )
            with urllib.request.urlopen(download, timeout=30) as answer:
                assert answer.read() == FILE

        workers = [
            subprocess.Popen(
                [str(TIPLINE), "worker", "--interval", "0.2"],
                env=clean_environment(host, **shared),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,
            )
            for host in hosts[2:]
        ]
        wait_for(lambda: len(smtp_server) >= 2 * SITE_LIMIT)
        time.sleep(3)  # give a duplicate every chance to appear
    finally:
        outputs = [stop(process) for process in servers + workers]
    subjects = sorted(str(message["Subject"]).strip() for message in smtp_server)
    assert subjects == sorted(
        ["[Tipline] A new tip arrived in Night desk"] * SITE_LIMIT
        + ["[Tipline] A tip's deadline is near in Night desk"] * SITE_LIMIT
    ), outputs
    assert not any((host / "blobs").exists() and any((host / "blobs").iterdir()) for host in hosts)
    shutil.rmtree(tmp_path, ignore_errors=True)
