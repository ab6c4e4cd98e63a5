"""/healthz for load balancers (ok or unavailable, nothing more) and Prometheus metrics from
`tipline metrics` on its own address: request counts and latencies of every server process,
counts from the database, and nothing about a tipster."""

import subprocess
import urllib.parse
import urllib.request

import pytest
from django.test import Client

from tests.system import TIPLINE, clean_environment, free_port, run_tipline, stop, wait_until_serving

TIPSTER_TEXT = "metrics-must-not-see-this-8812"


def test_healthz_says_ok_and_nothing_else(db):
    answer = Client().get("/healthz")
    assert answer.status_code == 200 and answer.content == b"ok\n"
    assert "no-store" in answer["Cache-Control"] or "max-age=0" in answer["Cache-Control"]


def test_healthz_says_unavailable_when_the_shared_cache_is_down(db, settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:9/0"}
    }
    answer = Client().get("/healthz")
    assert answer.status_code == 503 and answer.content == b"unavailable\n"


@pytest.mark.system
@pytest.mark.sqlite_only
def test_metrics_add_up_every_server_process_and_hold_nothing_about_tipsters(tmp_path):
    data_dir = tmp_path / "data"
    assert run_tipline(data_dir, "init").returncode == 0
    assert run_tipline(data_dir, "demo").returncode == 0
    port, metrics_port = free_port(), free_port()
    environment = clean_environment(data_dir, INSECURE_FAST_KDF="on")
    server = subprocess.Popen(
        [str(TIPLINE), "serve", "--port", str(port), "--workers", "2"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    exporter = subprocess.Popen(
        [str(TIPLINE), "metrics", "--bind", f"127.0.0.1:{metrics_port}"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/", server)
        wait_until_serving(f"http://127.0.0.1:{metrics_port}/metrics", exporter)
        for _ in range(20):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/").close()
        assert urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz").read() == b"ok\n"
        urllib.request.urlopen(f"http://127.0.0.1:{port}/check/your-tip/?q={TIPSTER_TEXT}").close()  # a redirect
        form = urllib.request.urlopen(f"http://127.0.0.1:{port}/c/general/")
        page, cookie = form.read().decode(), form.headers["Set-Cookie"].split(";")[0]
        csrf = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
        token = page.split('name="form_token" value="')[1].split('"')[0]
        body = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": csrf, "form_token": token, "answer-tip": TIPSTER_TEXT}
        ).encode()
        urllib.request.urlopen(
            urllib.request.Request(
                f"http://127.0.0.1:{port}/c/general/",
                data=body,
                headers={"Cookie": cookie, "Sec-Fetch-Site": "same-origin"},
            )
        ).close()
        scraped = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics").read().decode()
    finally:
        outputs = stop(server) + stop(exporter)

    landing = [
        line
        for line in scraped.splitlines()
        if line.startswith('tipline_http_request_duration_seconds_count{method="GET",route="/",status="200"}')
    ]
    assert landing and float(landing[0].split()[-1]) >= 20, outputs[-2000:]
    assert 'route="/c/<slug:slug>/",status="200"' in scraped and 'method="POST"' in scraped
    assert 'tipline_tips{status="new"} 1.0' in scraped
    assert 'tipline_up{component="database"} 1.0' in scraped and 'tipline_up{component="blob_store"} 1.0' in scraped
    assert "\ntipline_workers_running 0.0\n" in scraped  # no worker runs here: what an operator's monitoring pages on
    for secret in (TIPSTER_TEXT, "general", "127.0.0.1", "Mozilla", "Python-urllib"):
        assert secret not in scraped.replace(f"127.0.0.1:{metrics_port}", ""), secret
