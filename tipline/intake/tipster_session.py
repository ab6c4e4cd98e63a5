"""A tipster's signed-in state after entering a receipt: the tip id and tip key, sealed
together (tipline.web.session_keys). Leaving flushes the row and the cookie."""

import uuid

from django.conf import settings

from tipline.core.models import Tip
from tipline.web import session_keys

SEAL_CONTEXT = b"tipster-session"


def start(request, response, tip: Tip, tip_key: bytes) -> None:
    request.session.cycle_key()  # a fresh session id at sign-in
    session_keys.put(request, response, settings.TIPSTER_KEY_COOKIE_NAME, tip.id.bytes + bytes(tip_key), SEAL_CONTEXT)


def open_tip(request) -> tuple[Tip, bytes] | None:
    """The tip and its key for this request, or None when the tipster is not signed in."""
    material = session_keys.take(request, settings.TIPSTER_KEY_COOKIE_NAME, SEAL_CONTEXT)
    if material is None:
        return None
    tip = Tip.objects.filter(pk=uuid.UUID(bytes=material[:16])).select_related("channel").first()
    return (tip, material[16:]) if tip is not None else None


def end(request, response) -> None:
    request.session.flush()
    session_keys.forget(response, settings.TIPSTER_KEY_COOKIE_NAME)
