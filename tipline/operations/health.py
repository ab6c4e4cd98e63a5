"""Health: whether the database, the cache and the blob store answer. `/healthz` tells an
anonymous caller only ok or unavailable; the details are for `tipline metrics`."""

import logging
import secrets

from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from tipline.core import blobs

log = logging.getLogger("tipline.health")


def component_states() -> dict[str, bool]:
    return {"database": _database(), "cache": _cache(), "blob_store": _blob_store()}


def _database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except DatabaseError:
        return False


def _cache() -> bool:
    key = f"health:{secrets.token_hex(4)}"
    try:
        cache.set(key, 1, timeout=5)
        return cache.get(key) == 1
    except Exception as failure:  # noqa: BLE001 - any backend's connection error: the point is "does it answer"
        log.warning("cache check failed: %s", failure.__class__.__name__)
        return False


def _blob_store() -> bool:
    try:
        blobs.exists(f"health-{secrets.token_hex(4)}")
        return True
    except Exception as failure:  # noqa: BLE001 - OSError, botocore's errors: the store does not answer
        log.warning("blob store check failed: %s", failure.__class__.__name__)
        return False


@never_cache
@require_GET
def healthz(request):
    fine = all(component_states().values())
    return HttpResponse("ok\n" if fine else "unavailable\n", status=200 if fine else 503, content_type="text/plain")
