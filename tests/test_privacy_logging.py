"""No public request leaves the client's address, user agent or referrer anywhere."""

import logging

import pytest

from tests.pages import PUBLIC_PAGES


@pytest.mark.parametrize("path", [*PUBLIC_PAGES, "/no-such-page/", "/static/tipline/site.css"])
def test_requests_leave_no_client_identity_in_logs_or_at_rest(probe_client, privacy, demo_channels, caplog, path):
    caplog.set_level(logging.INFO, logger="tipline")

    response = probe_client.get(path)

    access_lines = [record.getMessage() for record in caplog.records if record.name == "tipline.access"]
    assert access_lines, "every request must leave an access-log line"
    assert access_lines[-1].startswith("GET ")
    assert f" {response.status_code} " in access_lines[-1]
    # privacy fixture: no marker address / user agent / referrer in logs, database, files


def test_access_log_names_the_route_pattern_not_the_typed_path(probe_client, privacy, caplog):
    caplog.set_level(logging.INFO, logger="tipline")
    typed = "/a-path-a-tipster-typed-4471/"

    probe_client.get(typed)

    privacy.watch("a-path-a-tipster-typed-4471")
    assert any("<no route> 404" in record.getMessage() for record in caplog.records)


def test_the_csrf_cookie_ends_with_the_browser(demo_channels, settings):
    from django.test import Client

    response = Client().get("/c/general/")

    cookie = response.cookies[settings.CSRF_COOKIE_NAME]
    assert cookie.value and cookie["max-age"] == "" and cookie["expires"] == ""  # no trace kept for a year


def test_security_warnings_do_not_write_the_clients_origin_referer_host_or_path(demo_channels, caplog, settings):
    from django.test import Client

    settings.ALLOWED_HOSTS = ["testserver"]
    caplog.set_level(logging.DEBUG)
    client = Client(enforce_csrf_checks=True)

    client.post(
        "/c/general/typed-path-7731/",
        {"answer-what": "x"},
        HTTP_ORIGIN="https://origin-marker-5512.invalid",
        HTTP_REFERER="https://referer-marker-9920.invalid/page",
    )
    client.post(
        "/c/general/", {"answer-what": "x"}, HTTP_REFERER="https://referer-marker-9920.invalid/page", secure=True
    )
    client.get("/c/general/", HTTP_HOST="host-marker-3381.invalid")

    logged = caplog.text
    for marker in ("origin-marker-5512", "referer-marker-9920", "host-marker-3381", "typed-path-7731"):
        assert marker not in logged, marker
    assert "CSRF" in logged or "Forbidden" in logged  # the warning itself is kept, without what the client sent
