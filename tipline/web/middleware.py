"""Response headers and the access log that every Tipline response goes through.

Django's SecurityMiddleware and django-csp cover nosniff, referrer policy, COOP and
CSP; this module adds what they cannot: HSTS that leaves .onion hosts alone,
Onion-Location, Permissions-Policy, CORP, no-store caching, and an access log that
records method, route, status and duration only (never address or user agent).
"""

import logging
import time
from functools import wraps

from csp.decorators import csp_update
from django.conf import settings

from tipline.web import logging as logging_rules
from tipline.web import metrics

access_log = logging.getLogger("tipline.access")

# Every powerful feature a tip line never needs, denied to this origin and any frame.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "ambient-light-sensor",
        "autoplay",
        "battery",
        "bluetooth",
        "browsing-topics",
        "camera",
        "clipboard-read",
        "clipboard-write",
        "display-capture",
        "document-domain",
        "encrypted-media",
        "fullscreen",
        "gamepad",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "interest-cohort",
        "local-fonts",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "sync-xhr",
        "usb",
        "web-share",
        "xr-spatial-tracking",
    )
)
# The two staff pages that use passkeys allow WebAuthn, and fetch() to this origin.
PASSKEY_PERMISSIONS_POLICY = PERMISSIONS_POLICY.replace(
    "publickey-credentials-get=()", "publickey-credentials-get=(self), publickey-credentials-create=(self)"
)


def allows_passkeys(view):
    @csp_update({"connect-src": ["'self'"]})
    @wraps(view)
    def with_passkeys(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.headers["Permissions-Policy"] = PASSKEY_PERMISSIONS_POLICY
        return response

    return with_passkeys


# Sent when someone signs out or leaves: the browser forgets everything this origin left.
CLEAR_SITE_DATA = '"cache", "cookies", "storage"'
# A recipient signing out: cookies are deleted one by one instead, all but the device cookie.
SIGN_OUT_CLEAR_SITE_DATA = '"cache", "storage"'


def is_onion_host(host: str) -> bool:
    return host.split(":", 1)[0].lower().endswith(".onion")


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # The raw header, not get_host(): a disallowed host has already been
        # answered with 400, and that answer needs these headers too.
        host = request.META.get("HTTP_HOST", "")
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        # Pages may show tip content or a receipt: nothing may keep a copy. Static
        # files arrive with their own Cache-Control from whitenoise and keep it.
        response.headers.setdefault("Cache-Control", "no-store")
        if settings.HTTPS and not is_onion_host(host):
            response.headers["Strict-Transport-Security"] = f"max-age={settings.HSTS_SECONDS}; includeSubDomains"
        if settings.ONION_ADDRESS and not is_onion_host(host):
            response.headers["Onion-Location"] = f"http://{settings.ONION_ADDRESS}{request.get_full_path()}"
        return response


class AccessLogMiddleware:
    """One line per request: method, the route pattern (not the path), status, duration.
    A tipster's requests' lines are written at the end of the hour (web.logging)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with logging_rules.serving(request):
            started = time.perf_counter()
            response = self.get_response(request)
            elapsed_ms = (time.perf_counter() - started) * 1000
            match = getattr(request, "resolver_match", None)
            route = "/" + match.route if match is not None else _unrouted(request)
            access_log.info("%s %s %d %.1fms", request.method, route, response.status_code, elapsed_ms)
        metrics.observe_request(request.method, route, response.status_code, elapsed_ms / 1000)
        return response


def _unrouted(request) -> str:
    # Paths that match no route can carry anything a client typed; log only their kind.
    if request.path.startswith(settings.STATIC_URL):
        return settings.STATIC_URL + "…"
    return "<no route>"
