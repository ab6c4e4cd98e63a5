"""Keys derived from the site's secret key file, one per purpose: what the database alone
cannot recompute (sealed issuer keys and route secrets, public-key vouchers, the audit
chain). An older secret is passed in when moving everything to a new file (`tipline rekey`)."""

import hashlib

from django.conf import settings


def site_key(purpose: bytes, secret_key: str | None = None) -> bytes:
    secret_key = settings.SECRET_KEY if secret_key is None else secret_key
    return hashlib.blake2b(secret_key.encode(), digest_size=32, person=purpose).digest()
