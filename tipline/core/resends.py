"""Telling a tip sent again by mistake (Back, then Send) from a new one, without keeping
what it says: a keyed hash of the channel, answers and files' names and sizes is kept for
an hour in the shared cache (memory or Redis), under a random key that lives only there
and is replaced every hour (throttle.hourly_keys)."""

import hashlib
import json

from django.core.cache import cache

from tipline.core import throttle

KEPT_SECONDS = 3600


def sent_within_the_hour(channel, answers: list, uploads: list) -> bool:
    return any(cache.get(_name(key, channel, answers, uploads)) for key in throttle.hourly_keys("resend"))


def remember(channel, answers: list, uploads: list) -> None:
    cache.set(_name(throttle.hourly_keys("resend")[0], channel, answers, uploads), True, timeout=KEPT_SECONDS)


def _name(key: bytes, channel, answers: list, uploads: list) -> str:
    content = json.dumps(
        [channel.pk, [(answer.key, answer.value) for answer in answers], sorted((upload.name, upload.size) for upload in uploads)],
        ensure_ascii=False,
    )
    return "resend:" + hashlib.blake2b(content.encode(), key=key, digest_size=16).hexdigest()
