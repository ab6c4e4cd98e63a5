"""Key material carried by a session: ciphertext in the session row, the secret that opens
it in an HttpOnly cookie of its own (tipline.crypto.sessions). Used for a tipster's tip
key and a recipient's private key alike; the row alone or the cookie alone opens nothing."""

import base64

from django.conf import settings

from tipline.crypto import sessions
from tipline.crypto.errors import DecryptionError


def put(request, response, cookie_name: str, material: bytes, context: bytes) -> None:
    seal = sessions.seal_for_session(material, context)
    request.session[f"sealed:{cookie_name}"] = base64.b64encode(seal.ciphertext).decode()
    # No max-age: the cookie ends with the browser; the row ends with the idle timeout.
    response.set_cookie(
        cookie_name, seal.cookie_secret, secure=settings.HTTPS, httponly=True, samesite="Strict", path="/"
    )


def take(request, cookie_name: str, context: bytes) -> bytes | None:
    """The material, or None when the row or the cookie is missing or does not match."""
    sealed = request.session.get(f"sealed:{cookie_name}")
    secret = request.COOKIES.get(cookie_name)
    if not sealed or not secret:
        return None
    try:
        return sessions.open_from_session(secret, base64.b64decode(sealed), context)
    except (DecryptionError, ValueError):
        return None


def forget(response, cookie_name: str) -> None:
    response.delete_cookie(cookie_name, path="/", samesite="Strict")
