"""The receipt page shown again when its first answer may have been lost (a dropped connection,
a proxy restarted): for RECEIPT_SHOWN_AGAIN_SECONDS after the tip is stored, a resend of the
same form from the same browser (its CSRF cookie) gets the same receipt, reference and file notes.

It is held in the shared cache only (memory or Redis, never a disk), sealed under a key derived
from the form token, the browser's cookie and a key of the hour that the cache never holds
(throttle.hourly_key); its name in the cache is derived apart from the same three. So a reader
of the cache can neither open an entry nor tell which form or browser it belongs to. It is kept
for the window, whatever is shown meanwhile (a second drop can happen), and never beyond."""

import hashlib
import json
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache

from tipline.base import clock
from tipline.core import throttle
from tipline.core.models import Tip
from tipline.core.submission import FileNote, SubmittedTip
from tipline.crypto import aead, content
from tipline.crypto.errors import DecryptionError, UnsupportedFormatError

KEY_PURPOSE = "receipt-again"
PURPOSE = aead.Purpose.RECEIPT_SHOWN_AGAIN


def keeper(form_token: str, browser: str | None) -> Callable[[SubmittedTip], None] | None:
    """What submit_tip calls before its commit, so that a resend that finds the form spent
    (after the commit) finds its receipt too; None when there is nothing to keep it for."""
    if browser is None or settings.RECEIPT_SHOWN_AGAIN_SECONDS == 0:
        return None
    return lambda submitted: keep(form_token, browser, submitted)


def keep(form_token: str, browser: str, submitted: SubmittedTip) -> None:
    name, key = _name_and_key(throttle.hourly_key(KEY_PURPOSE), form_token, browser)
    page = {
        "tip": str(submitted.tip_id),
        "receipt": submitted.receipt,
        "reference": submitted.reference,
        "files": [[note.name, note.note] for note in submitted.file_notes],
        "stored": clock.time(),
    }
    # Padded to a size bucket, so that the entry's size tells little of the names of files.
    sealed = aead.encrypt(key, content.pad(json.dumps(page).encode()), PURPOSE, aead.context(name))
    cache.set(name, sealed, timeout=settings.RECEIPT_SHOWN_AGAIN_SECONDS)


def find(form_token: str, browser: str | None) -> SubmittedTip | None:
    """The receipt page of the tip this browser stored with this form, within the window;
    None for another browser, after the window, or for an entry that does not open."""
    if browser is None:
        return None
    for hourly_key in throttle.hourly_keys(KEY_PURPOSE):  # kept late last hour: sealed under last hour's key
        name, key = _name_and_key(hourly_key, form_token, browser)
        sealed = cache.get(name)
        if not isinstance(sealed, bytes):
            continue
        try:
            page = json.loads(content.unpad(aead.decrypt(key, sealed, PURPOSE, aead.context(name))))
        except (DecryptionError, UnsupportedFormatError):
            continue  # altered, or written by someone without the keys: as if absent
        if _is_whole(page):
            return SubmittedTip(
                tip_id=uuid.UUID(page["tip"]),
                receipt=page["receipt"],
                reference=page["reference"],
                file_notes=[FileNote(file_name, note) for file_name, note in page["files"]],
            )
    return None


def _is_whole(page: dict) -> bool:
    """Within the window as it is set now (a shortened window holds for entries kept before),
    and of a tip that was committed (the entry is written just before the commit)."""
    age = clock.time() - page["stored"]
    return 0 <= age <= settings.RECEIPT_SHOWN_AGAIN_SECONDS and Tip.objects.filter(pk=page["tip"]).exists()


def _name_and_key(hourly_key: bytes, form_token: str, browser: str) -> tuple[str, bytes]:
    """The entry's cache name and its sealing key: apart, so that the name tells nothing of the key."""
    which = aead.context(form_token, browser)
    name = hashlib.blake2b(which, key=hourly_key, digest_size=16, person=b"again/name").hexdigest()
    key = hashlib.blake2b(which, key=hourly_key, digest_size=aead.KEY_BYTES, person=b"again/key").digest()
    return f"receipt-again:{name}", key
