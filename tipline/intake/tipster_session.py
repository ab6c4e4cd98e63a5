"""A tipster's signed-in state after entering a receipt.

The tip id and tip key are sealed together under a random secret: the ciphertext
lives in the session row, the secret only in a separate HttpOnly cookie. Neither
alone opens the tip (tipline.crypto.sessions). Leaving flushes both.
"""

import base64
import uuid

from django.conf import settings

from tipline.core.models import Tip
from tipline.crypto import sessions
from tipline.crypto.errors import DecryptionError

SESSION_KEY = "tipster_seal"
SEAL_CONTEXT = b"tipster-session"


def start(request, response, tip: Tip, tip_key: bytes) -> None:
    request.session.cycle_key()  # a fresh session id at sign-in
    seal = sessions.seal_for_session(tip.id.bytes + bytes(tip_key), SEAL_CONTEXT)
    request.session[SESSION_KEY] = base64.b64encode(seal.ciphertext).decode()
    response.set_cookie(
        settings.TIPSTER_KEY_COOKIE_NAME, seal.cookie_secret,
        secure=settings.HTTPS, httponly=True, samesite="Strict", path="/",
    )


def open_tip(request) -> tuple[Tip, bytes] | None:
    """The tip and its key for this request, or None when the tipster is not signed in."""
    sealed = request.session.get(SESSION_KEY)
    secret = request.COOKIES.get(settings.TIPSTER_KEY_COOKIE_NAME)
    if not sealed or not secret:
        return None
    try:
        material = sessions.open_from_session(secret, base64.b64decode(sealed), SEAL_CONTEXT)
    except (DecryptionError, ValueError):
        return None
    tip = Tip.objects.filter(pk=uuid.UUID(bytes=material[:16])).select_related("channel").first()
    return (tip, material[16:]) if tip is not None else None


def end(request, response) -> None:
    request.session.flush()
    response.delete_cookie(settings.TIPSTER_KEY_COOKIE_NAME, path="/", samesite="Strict")
