"""Who may open a staff page: signed in with two factors, with the private key opened in
this session, within the idle and absolute time limits; admin pages also need the role.
A few steps (adding a passkey) also need a recent sign-in: signed_in_recently."""

import time
from functools import wraps

from django.conf import settings
from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse

from tipline.accounts.tokens import holds_current_key
from tipline.web import session_keys

SIGNED_IN_AT = "signed_in_at"
PASSWORD_CONFIRMED_AT = "password_confirmed_at"
RECENT_SIGN_IN_SECONDS = 600  # adding a passkey needs a sign-in or the password typed again within this


def key_context(user) -> bytes:
    return f"staff:{user.pk}".encode()


def start_session(request, response, user, private_key: bytes) -> None:
    request.session[SIGNED_IN_AT] = int(time.time())
    session_keys.put(request, response, settings.STAFF_KEY_COOKIE_NAME, private_key, key_context(user))


def end_session(request, response) -> None:
    logout(request)
    session_keys.forget(response, settings.STAFF_KEY_COOKIE_NAME)


def signed_in_recently(request) -> bool:
    """Whether this session signed in, or had the password typed again, within RECENT_SIGN_IN_SECONDS."""
    last = max(request.session.get(SIGNED_IN_AT, 0), request.session.get(PASSWORD_CONFIRMED_AT, 0))
    return time.time() - last <= RECENT_SIGN_IN_SECONDS


def mark_confirmed(request) -> None:
    request.session[PASSWORD_CONFIRMED_AT] = int(time.time())


def staff_page(view):
    """Sets request.private_key, or sends the person to sign in again."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect(f"{reverse('accounts:sign_in')}?next={request.path}")
        started = request.session.get(SIGNED_IN_AT, 0)
        private_key = session_keys.take(request, settings.STAFF_KEY_COOKIE_NAME, key_context(request.user))
        expired = time.time() - started > settings.STAFF_SESSION_MAX_SECONDS
        if private_key is None or expired or not holds_current_key(request.user, private_key):
            response = redirect(f"{reverse('accounts:sign_in')}?ended=1")
            end_session(request, response)
            return response
        request.private_key = private_key
        return view(request, *args, **kwargs)

    return guarded


def admin_page(view):
    @staff_page
    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not request.user.is_admin:
            raise PermissionDenied("This page is for admins.")
        return view(request, *args, **kwargs)

    return guarded
