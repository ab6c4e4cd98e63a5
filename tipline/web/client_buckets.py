"""A request's client as the limits know it: a keyed hash of its address, taken from the
proxy header TIPLINE_CLIENT_ADDRESS_HEADER names, under this hour's key (never the address, and
nothing that links one hour's client to the next). None when the address is not known (no
header configured, or Tor): such clients are counted only in the shared budgets."""

import hashlib

from django.conf import settings

from tipline.core.throttle import hourly_key


def client_bucket(request) -> str | None:
    header = settings.CLIENT_ADDRESS_HEADER
    if not header:
        return None
    address = request.META.get("HTTP_" + header.upper().replace("-", "_"), "").split(",")[0].strip()
    if not address:
        return None
    return hashlib.blake2b(address.encode(), key=hourly_key("client"), digest_size=12).hexdigest()
