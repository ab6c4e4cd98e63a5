"""The API's authorisation matrix, like the pages': no token, a recipient of channel A, a
recipient of channel B, an admin of neither. Strangers to a tip get 404."""

import json

import pytest

from tipline.api.tests.conftest import bearer
from tipline.core.models import Tip

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "alpha", "beta", "admin"]
TIP_ONLY_FOR_ALPHA = [401, 200, 404, 404]
MATRIX = [
    ("get", "/api/v1/tips", None, [401, 200, 200, 200]),
    ("get", "/api/v1/tips/{tip}", None, TIP_ONLY_FOR_ALPHA),
    ("post", "/api/v1/tips/{tip}/replies", {"text": "hello"}, [401, 201, 404, 404]),
    ("patch", "/api/v1/tips/{tip}", {"status": "in_review"}, TIP_ONLY_FOR_ALPHA),
    ("get", "/api/v1/tips/{tip}/files/{file}", None, TIP_ONLY_FOR_ALPHA),
    ("get", "/api/v1/channels", None, [200, 200, 200, 200]),
]


@pytest.mark.parametrize(("method", "path", "body", "expected"), MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX])
def test_every_endpoint_allows_and_denies_as_expected(api_client, api_world, method, path, body, expected):
    from django.core.files.uploadedfile import SimpleUploadedFile

    members, tokens = api_world
    api_client.post(
        "/api/v1/channels/alpha/tips",
        {"answers": json.dumps({"tip": "for alpha"}), "files": [SimpleUploadedFile("a.txt", b"a")]},
    )
    tip = Tip.objects.get()
    url = path.format(tip=tip.id, file=tip.attachments.get().id)

    statuses = []
    for role in ROLES:
        headers = bearer(tokens[role]) if role != "anonymous" else {}
        extra = {"data": json.dumps(body), "content_type": "application/json"} if body else {}
        statuses.append(getattr(api_client, method)(url, **extra, **headers).status_code)

    assert dict(zip(ROLES, statuses, strict=True)) == dict(zip(ROLES, expected, strict=True))
    assert not any(status >= 500 for status in statuses)
