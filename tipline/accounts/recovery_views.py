"""Pages for getting back in without an admin (a forgotten password, a lost authenticator)
and for changing a password. The services are in tipline.accounts.recovery."""

import time

from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tipline.accounts import access, devices, recovery, signin
from tipline.accounts.forms import (
    CodeForm,
    NewAuthenticatorForm,
    PasswordChangeForm,
    RecoverPasswordForm,
)
from tipline.accounts.views import (
    PENDING_USER,
    REFUSED,
    _pending,
    _pending_context,
    _wait_message,
    enrolment_page,
)
from tipline.core import throttle
from tipline.web import session_keys
from tipline.web.client_buckets import client_bucket


@require_http_methods(["GET", "POST"])
def recover_password(request):
    form = RecoverPasswordForm(None, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            throttle.count_for_client(client_bucket(request), "sign-in")
            new_code = recovery.recover_password(
                data["username"], data["recovery_code"], data["code"], data["new_password"], devices.origin_of(request)
            )
        except throttle.Throttled as limit:
            form.add_error(None, _wait_message(limit))
        except signin.SignInRefused:
            form.add_error(None, REFUSED)
        else:
            return render(request, "accounts/recovered.html", {"recovery_code": new_code, "what": "password"})
    return render(request, "accounts/recover_password.html", {"form": form}, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def new_authenticator(request):
    """Step one: the password and the recovery code."""
    form = NewAuthenticatorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            throttle.count_for_client(client_bucket(request), "sign-in")
            recovered = recovery.check_for_new_authenticator(
                data["username"], data["password"], data["recovery_code"], devices.origin_of(request)
            )
        except throttle.Throttled as limit:
            form.add_error(None, _wait_message(limit))
        except signin.SignInRefused:
            form.add_error(None, REFUSED)
        else:
            request.session.cycle_key()
            request.session.update(
                {PENDING_USER: recovered.user.pk, signin.PENDING_SINCE: time.time(), signin.NEW_AUTHENTICATOR: True}
            )
            response = redirect("accounts:new_authenticator_enrol")
            session_keys.put(
                request,
                response,
                settings.STAFF_KEY_COOKIE_NAME,
                recovered.private_key,
                _pending_context(recovered.user.pk),
            )
            return response
    return render(request, "accounts/new_authenticator.html", {"form": form}, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def new_authenticator_enrol(request):
    """Step two: scan the new secret, confirm with a code from it; then signed in."""
    user, private_key = _pending(request)
    if private_key is None or not request.session.get(signin.NEW_AUTHENTICATOR):
        return redirect("accounts:new_authenticator")
    form = CodeForm(request.POST or None)

    def complete(totp_secret: bytes):
        new_code = recovery.replace_authenticator(
            recovery.Recovered(user, private_key), totp_secret, form.cleaned_data["code"]
        )
        request.session.pop(signin.NEW_AUTHENTICATOR, None)
        return "accounts/recovered.html", {"recovery_code": new_code, "what": "authenticator"}

    return enrolment_page(request, user, private_key, form, "accounts/new_authenticator_enrol.html", complete)


@require_http_methods(["GET", "POST"])
@access.staff_page
def change_password(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    changed, revoked, status = False, 0, 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            revoked = recovery.change_password(
                request.user,
                request.private_key,
                data["current_password"],
                data["new_password"],
                data["keep_api_tokens"],
            )
        except throttle.Throttled as limit:
            form.add_error(None, _wait_message(limit))
            status = 429
        except signin.SignInRefused:
            form.add_error("current_password", _("This is not your current password."))
        else:
            request.user.refresh_from_db()
            request.session.cycle_key()
            update_session_auth_hash(request, request.user)  # this session goes on; the others ended
            changed, form = True, PasswordChangeForm(request.user)
    if form.errors and status == 200:
        status = 400
    context = {"form": form, "changed": changed, "revoked": revoked}
    return render(request, "accounts/password.html", context, status=status)
