"""schemathesis against Tipline's own OpenAPI document, in-process: generated and
malformed requests to every operation, with and without a valid token, a bounded number
of examples each. No response may be a 5xx, and every response must match the document.

Two built-in checks are left out, and why: `positive_data_acceptance` expects every request
that fits the document to succeed, but a receipt's check digits and each channel's own
form rules cannot be written in OpenAPI, so those requests rightly get a documented 400;
`negative_data_rejection` expects a request with an undeclared query parameter (such as
`?=0`) to be refused, where the API, like most, ignores parameters it does not know."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tipline.api.tests.conftest import bearer
from tipline.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
EXCLUDED_CHECKS = [
    schemathesis.checks.positive_data_acceptance,
    schemathesis.specs.openapi.checks.negative_data_rejection,
]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@schema.exclude(path_regex="/files/").parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_conforms_to_its_document_and_never_fails_with_5xx(case, api_world):
    members, tokens = api_world
    headers = {"Host": "127.0.0.1"}
    if "/tips" in case.path and "/channels/" not in case.path:
        headers["Authorization"] = bearer(tokens["alpha"])["HTTP_AUTHORIZATION"]
    case.call_and_validate(headers=headers, excluded_checks=EXCLUDED_CHECKS)
