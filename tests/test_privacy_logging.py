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
