"""The device cookie: a browser that signed in as someone before keeps its own allowance of
sign-in attempts, whatever strangers try against that username (issue 31, finding 3).

Set at every full sign-in and signed with Django's signing (under the secret key), it names the
user's id and a random id of this browser; it is HttpOnly, SameSite=Strict, Secure over HTTPS and
lasts DEVICE_COOKIE_DAYS. It opens nothing: it only chooses which bucket an attempt counts in.
Signing out keeps it and deletes every other cookie (forget_all_but_device): a browser that
signed out is still not a stranger, whom others' guesses could lock out."""

import secrets

from django.conf import settings

from tipline.accounts import signin
from tipline.web.client_buckets import client_bucket

DEVICE_COOKIE_DAYS = 90
SALT = "tipline.accounts.devices"


def origin_of(request) -> signin.Origin:
    """Where a sign-in attempt comes from, as far as the throttle may know it."""
    user_id, device_id = _read(request)
    return signin.Origin(client=client_bucket(request), device_user_id=user_id, device_id=device_id)


def remember(request, response, user) -> None:
    """After a full sign-in: this browser is one that signed in as `user` (its id is kept)."""
    user_id, device_id = _read(request)
    if user_id != user.pk:
        device_id = secrets.token_urlsafe(16)
    response.set_signed_cookie(
        settings.STAFF_DEVICE_COOKIE_NAME,
        f"{user.pk}:{device_id}",
        salt=SALT,
        max_age=DEVICE_COOKIE_DAYS * 86400,
        secure=settings.HTTPS,
        httponly=True,
        samesite="Strict",
        path="/",
    )


def forget_all_but_device(request, response) -> None:
    """At sign-out: every cookie the browser sent is deleted, the device cookie excepted."""
    for name in request.COOKIES.keys() - {settings.STAFF_DEVICE_COOKIE_NAME}:
        if name not in response.cookies:  # one the sign-out has already emptied keeps that answer
            response.delete_cookie(name, path="/")


def _read(request) -> tuple[int | None, str]:
    value = request.get_signed_cookie(
        settings.STAFF_DEVICE_COOKIE_NAME, default="", salt=SALT, max_age=DEVICE_COOKIE_DAYS * 86400
    )
    user_id, _, device_id = value.partition(":")
    if not user_id.isascii() or not user_id.isdigit() or not device_id:
        return None, ""
    return int(user_id), device_id
