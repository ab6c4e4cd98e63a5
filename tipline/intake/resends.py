"""Telling a tip sent again by mistake (Back, then Send) from a new one, without keeping
what it says: a keyed hash of the browser's CSRF cookie, the channel, the answers and the
files' names and sizes is kept for an hour in the shared cache (memory or Redis), under a
key of the hour derived from the secret key that the cache never holds (throttle.hourly_key). The
cookie makes it one browser's: another tipster sending the same words is a new tip."""

import hashlib
import json

from django.conf import settings
from django.core.cache import cache

from tipline.core import throttle

KEPT_SECONDS = 3600


def sent_within_the_hour(request, channel, answers: list, uploads: list) -> bool:
    browser = request.COOKIES.get(settings.CSRF_COOKIE_NAME)
    return browser is not None and any(
        cache.get(_name(key, browser, channel, answers, uploads)) for key in throttle.hourly_keys("resend")
    )


def remember(request, channel, answers: list, uploads: list) -> None:
    browser = request.COOKIES.get(settings.CSRF_COOKIE_NAME)
    if browser is not None:
        cache.set(_name(throttle.hourly_key("resend"), browser, channel, answers, uploads), True, timeout=KEPT_SECONDS)


def _name(key: bytes, browser: str, channel, answers: list, uploads: list) -> str:
    content = json.dumps(
        [
            browser,
            channel.pk,
            [(answer.key, answer.value) for answer in answers],
            sorted((upload.name, upload.size) for upload in uploads),
        ],
        ensure_ascii=False,
    )
    return "resend:" + hashlib.blake2b(content.encode(), key=key, digest_size=16).hexdigest()
