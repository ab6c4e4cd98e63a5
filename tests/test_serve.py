"""The production server as `make run` starts it: headers, idempotent start, silent about clients."""

import json
import re
import socket
import subprocess
import time
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest

from tests.system import (
    KEEP_SHARED_VENV,
    TIPLINE,
    checkout_copy,
    checkout_environment,
    clean_environment,
    free_port,
    start,
    stop,
    wait_until_serving,
)
from tipline.testing.privacy import CLIENT_MARKERS, PROBE_FORWARDED_IP, PROBE_REFERRER, PROBE_USER_AGENT, PrivacyScanner

pytestmark = [pytest.mark.system, pytest.mark.sqlite_only]


def probe_request(port: int) -> urllib.request.Request:
    return urllib.request.Request(
        f"http://127.0.0.1:{port}/",
        headers={"User-Agent": PROBE_USER_AGENT, "Referer": PROBE_REFERRER, "X-Forwarded-For": PROBE_FORWARDED_IP},
    )


def send_garbage(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(b"NOT-HTTP \x00\x01 garbage\r\n\r\n")
        connection.recv(1024)


def send_demo_tip(port: int, deadline: datetime) -> int:
    answers = json.dumps({"what": "marker-demo-alert-content", "when": deadline.strftime("%Y-%m-%dT%H:%M")})
    body = f'--b\r\nContent-Disposition: form-data; name="answers"\r\n\r\n{answers}\r\n--b--\r\n'.encode()
    sent = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/channels/time-sensitive/tips",
        data=body,
        method="POST",
        headers={"Content-Type": "multipart/form-data; boundary=b"},
    )
    with urllib.request.urlopen(sent, timeout=30) as response:
        return response.status


def demo_mail(data_dir) -> str:
    return "".join(path.read_text() for path in sorted((data_dir / "demo-mail").glob("*.log")))


def make_run(checkout, port: int) -> subprocess.Popen:
    return subprocess.Popen(
        ["make", "--no-print-directory", *KEEP_SHARED_VENV, "run", f"PORT={port}"],
        cwd=checkout,
        env=checkout_environment(checkout),
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def tipline_in(checkout, *arguments: str, **settings: str) -> subprocess.CompletedProcess:
    environment = checkout_environment(checkout) | {f"TIPLINE_{key}": value for key, value in settings.items()}
    return subprocess.run(
        [str(TIPLINE), *arguments], cwd=checkout, env=environment, capture_output=True, text=True, timeout=120
    )


def test_make_run_serves_the_landing_page_and_can_be_run_again(tmp_path):
    checkout = checkout_copy(tmp_path / "checkout")
    outputs = []
    for attempt in range(2):
        port = free_port()
        server = make_run(checkout, port)
        try:
            wait_until_serving(f"http://127.0.0.1:{port}/", server)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as response:
                page = response.read().decode()
            time.sleep(2)  # the next steps follow the server's first answer
            if attempt == 0:  # a second make run while this one serves changes nothing
                first_port = port
                second = subprocess.run(
                    ["make", "--no-print-directory", *KEEP_SHARED_VENV, "run", f"PORT={free_port()}"],
                    cwd=checkout,
                    env=checkout_environment(checkout),
                    capture_output=True,
                    text=True,
                    timeout=120,
                )
                configuration = (checkout / "tipline.toml").read_text()
        finally:
            outputs.append(stop(server))
        assert "General tip" in page
        if attempt == 0:
            with (checkout / "tipline.toml").open("a") as file:
                file.write("max_files_per_tip = 3\n")  # a setting of one's own, kept by the next make run

    assert second.returncode != 0 and "make run: a server already runs on" in second.stderr, second.stderr
    assert f'base_url = "http://127.0.0.1:{first_port}"' in configuration  # not the refused one's port
    assert "max_files_per_tip = 3" in (checkout / "tipline.toml").read_text()
    assert "Demo channels created: 3" in outputs[0] and "One-time password: " in outputs[0]
    assert "Demo channels created: 0" in outputs[1]
    assert f"Sign in as staff at http://127.0.0.1:{port}/staff/sign-in/" in outputs[1], outputs[1]


def test_make_runs_demo_shows_a_newcomer_an_alert_within_a_minute_and_points_where_it_runs(tmp_path):
    """Issue 32 too: `make run PORT=N` sent alert links to 8000, and the `tipline` command in
    the checkout could not find ./var."""
    checkout = checkout_copy(tmp_path / "checkout")
    data_dir = checkout / "var"
    port = free_port()
    server = make_run(checkout, port)
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/", server)
        assert send_demo_tip(port, datetime.now(UTC) + timedelta(hours=1)) == 201
        waited = time.monotonic()
        while "deadline is near" not in demo_mail(data_dir) and time.monotonic() - waited < 60:
            time.sleep(0.5)
        check = tipline_in(checkout, "check")
        elsewhere = tipline_in(checkout, "check", BASE_URL="http://127.0.0.1:8000")
    finally:
        output = stop(server)

    mail = demo_mail(data_dir)
    assert "To: demo-recipient@example.org" in mail, output
    assert "A new tip arrived" in mail and "A tip's deadline is near" in mail
    assert "marker-demo-alert-content" not in mail
    assert "would reach nobody" not in check.stdout
    assert f"http://127.0.0.1:{port}/" in mail and "127.0.0.1:8000" not in mail
    admin_password = re.search(r"Demo admin: demo-admin\nOne-time password: (\S+)", output).group(1)
    assert f"demo-admin, one-time password {admin_password}" in output, output
    assert f"1. Send a tip as a tipster: http://127.0.0.1:{port}/" in output
    assert f"tipline-token fetch --server http://127.0.0.1:{port} " in output
    assert f"Alerts to demo-recipient arrive as mail files in {data_dir}/demo-mail/" in output
    assert (
        "there is no data directory" not in check.stderr and "The demo account demo-admin is active" in check.stdout
    ), check
    assert "TIPLINE_BASE_URL" not in check.stdout
    assert (
        f"TIPLINE_BASE_URL is http://127.0.0.1:8000, but this data directory's server listens on 127.0.0.1:{port}"
        in elsewhere.stdout
    )


def test_served_pages_carry_the_headers_and_the_server_logs_no_client(tmp_path):
    data_dir = tmp_path / "data"
    subprocess.run([str(TIPLINE), "init"], env=clean_environment(data_dir), check=True, capture_output=True)
    port = free_port()
    server = start([str(TIPLINE), "serve", "--port", str(port), "--workers", "1"], data_dir)
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/static/tipline/site.css", server)
        with urllib.request.urlopen(probe_request(port)) as response:
            headers = response.headers
        send_garbage(port)
    finally:
        output = stop(server)

    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"
    assert "GET / 200" in output
    client_lines = [line for line in output.splitlines() if "127.0.0.1" in line and "Listening at" not in line]
    assert client_lines == []
    scanner = PrivacyScanner(directories=[data_dir], markers=set(CLIENT_MARKERS), include_database=False)
    scanner.add_log(output)
    scanner.assert_clean()


def test_with_the_database_down_pages_answer_503_and_show_the_typed_text_back(tmp_path):
    import urllib.error
    import urllib.parse

    data_dir = tmp_path / "data"
    subprocess.run([str(TIPLINE), "init"], env=clean_environment(data_dir), check=True, capture_output=True)
    port = free_port()
    environment = clean_environment(data_dir, DATABASE_URL="postgres://nobody@127.0.0.1:9/nowhere")
    server = subprocess.Popen(
        [str(TIPLINE), "serve", "--port", str(port), "--workers", "1"],
        env=environment,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/static/tipline/site.css", server)
        with pytest.raises(urllib.error.HTTPError) as landing:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/")
        body = urllib.parse.urlencode({"answer-tip": "typed while the database was down"}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/c/general/", data=body, headers={"Sec-Fetch-Site": "same-origin"}
        )
        with pytest.raises(urllib.error.HTTPError) as posted:
            urllib.request.urlopen(request)
        with pytest.raises(urllib.error.HTTPError) as health:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz")
    finally:
        output = stop(server)

    assert landing.value.code == 503 and landing.value.headers["Retry-After"] == "60", output[-3000:]
    assert "briefly unavailable" in landing.value.read().decode()
    assert health.value.code == 503 and health.value.read() == b"unavailable\n"
    page = posted.value.read().decode()
    assert posted.value.code == 503 and "typed while the database was down" in page


def test_a_second_server_on_a_taken_port_or_a_data_directory_in_use_is_refused_in_one_line(tmp_path):
    first_dir, second_dir = tmp_path / "first", tmp_path / "second"
    for directory in (first_dir, second_dir):
        subprocess.run([str(TIPLINE), "init"], env=clean_environment(directory), check=True, capture_output=True)
    port, other_port = free_port(), free_port()
    first = start([str(TIPLINE), "serve", "--port", str(port), "--workers", "1"], first_dir)
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/static/tipline/site.css", first)
        same_port = subprocess.run(
            [str(TIPLINE), "serve", "--port", str(port), "--workers", "1"],
            env=clean_environment(second_dir),
            capture_output=True,
            text=True,
            timeout=60,
        )
        same_directory = subprocess.run(
            [str(TIPLINE), "serve", "--port", str(other_port), "--workers", "1"],
            env=clean_environment(first_dir),
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        stop(first)
    after_it_stopped = start([str(TIPLINE), "serve", "--port", str(port), "--workers", "1"], first_dir)
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/static/tipline/site.css", after_it_stopped)
    finally:
        stop(after_it_stopped)

    assert same_port.returncode == 1
    assert (
        same_port.stderr.strip()
        == f"tipline serve: port {port} on 127.0.0.1 is in use by another program; stop it, or choose another with "
        "--port."
    )
    assert same_directory.returncode == 1
    assert same_directory.stderr.strip().startswith(
        f"tipline serve: a server already runs on the data directory {first_dir}"
    )
