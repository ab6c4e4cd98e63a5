"""Signing in (password, then a TOTP code), first sign-in (activation), typing the password
again for a step that needs a recent sign-in, signing out."""

import time

import segno
from django.conf import settings
from django.contrib.auth import login
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from tipline.accounts import access, devices, signin, tokens
from tipline.accounts.forms import (
    ActivationForm,
    CodeForm,
    ConfirmPasswordForm,
    NewTokenForm,
    PreferencesForm,
    SignInForm,
)
from tipline.accounts.models import User
from tipline.audit.services import Action, record
from tipline.core import throttle
from tipline.crypto import recovery_keys
from tipline.web import session_keys
from tipline.web.client_buckets import client_bucket
from tipline.web.middleware import (
    SIGN_OUT_CLEAR_SITE_DATA,
    allows_passkeys,
)

PENDING_USER = signin.PENDING_USER
REFUSED = gettext_lazy("Wrong username, password or code. Check them and try again.")


def _pending_context(user_id) -> bytes:
    return f"staff-pending:{user_id}".encode()


@require_http_methods(["GET", "POST"])
def sign_in(request):
    form = SignInForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            throttle.count_for_client(client_bucket(request), "sign-in")
            checked = signin.check_password(
                form.cleaned_data["username"], form.cleaned_data["password"], devices.origin_of(request)
            )
        except throttle.Throttled as limit:
            form.add_error(None, _wait_message(limit))
            status = 429
        except signin.SignInRefused:
            form.add_error(None, REFUSED)
            status = 400
        else:
            return _continue_to_second_step(request, checked)
    elif request.method == "POST":
        status = 400
    context = {"form": form, "ended": request.GET.get("ended"), "locked": request.GET.get("locked")}
    return render(request, "accounts/sign_in.html", context, status=status)


def _wait_message(limit: throttle.Throttled) -> str:
    minutes = limit.retry_after_minutes
    return ngettext(
        "Too many sign-in attempts. Please wait %(minutes)d minute.",
        "Too many sign-in attempts. Please wait %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def _continue_to_second_step(request, checked):
    request.session.cycle_key()
    request.session[PENDING_USER] = checked.user.pk
    request.session[signin.PENDING_SINCE] = time.time()
    request.session["next"] = _safe_next(request)
    step = "accounts:activate" if checked.user.must_change_password else "accounts:sign_in_code"
    response = redirect(step)
    session_keys.put(
        request, response, settings.STAFF_KEY_COOKIE_NAME, checked.private_key, _pending_context(checked.user.pk)
    )
    return response


def _pending(request):
    """The half-signed-in person and their opened key, for a fixed time after the password step."""
    user_id = request.session.get(PENDING_USER)
    since = request.session.get(signin.PENDING_SINCE, 0)
    if user_id and time.time() - since > settings.SIGN_IN_CODE_WINDOW_SECONDS:
        _forget_pending(request)
        return None, None
    user = User.objects.filter(pk=user_id, is_active=True).first() if user_id else None
    if user is None:
        return None, None
    return user, session_keys.take(request, settings.STAFF_KEY_COOKIE_NAME, _pending_context(user.pk))


def _forget_pending(request) -> None:
    for key in (PENDING_USER, signin.PENDING_SINCE, signin.NEW_AUTHENTICATOR, "next"):
        request.session.pop(key, None)


@require_http_methods(["GET", "POST"])
@allows_passkeys
def sign_in_code(request):
    user, private_key = _pending(request)
    if private_key is None or user.must_change_password:
        return redirect("accounts:sign_in")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            signin.check_code(user, private_key, form.cleaned_data["code"])
        except signin.CodeLocked:
            _forget_pending(request)  # back to the password step
            return redirect(f"{reverse('accounts:sign_in')}?locked=1")
        except signin.SignInRefused:
            form.add_error("code", _("This code is wrong or was used already. Wait for the next one and try again."))
        else:
            return _finish_sign_in(request, user, private_key)
    context = {"form": form, "has_passkeys": user.passkeys.exists()}
    return render(request, "accounts/code.html", context, status=400 if form.errors else 200)


def _finish_sign_in(request, user, private_key, template=None, context=None):
    next_url = request.session.get("next") or reverse("casework:inbox")
    login(request, user)  # a fresh session id; the pending state goes with the old one
    _forget_pending(request)
    response = render(request, template, context) if template else redirect(next_url)
    access.start_session(request, response, user, private_key)
    devices.remember(request, response, user)
    return response


@require_http_methods(["GET", "POST"])
@access.staff_page
def confirm_password(request):
    """The password once more, for a step that needs a recent sign-in (adding a passkey):
    a session left open at an unlocked computer is not enough for it."""
    form = ConfirmPasswordForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            signin.confirm_password(request.user, form.cleaned_data["password"], "recent-sign-in")
        except throttle.Throttled as limit:
            form.add_error(None, _wait_message(limit))
            status = 429
        except signin.SignInRefused:
            form.add_error("password", _("This is not your current password."))
            status = 400
        else:
            access.mark_confirmed(request)
            return redirect(_safe_next(request) or reverse("accounts:passkeys"))
    elif request.method == "POST":
        status = 400
    context = {"form": form, "minutes": access.RECENT_SIGN_IN_SECONDS // 60}
    return render(request, "accounts/confirm_password.html", context, status=status)


ENROL_COOKIE_SUFFIX = "_enrol"


@require_http_methods(["GET", "POST"])
def activate(request):
    """First sign-in: choose a password, enrol the authenticator, get the recovery code."""
    user, private_key = _pending(request)
    if private_key is None or not user.must_change_password:
        return redirect("accounts:sign_in")
    form = ActivationForm(user, request.POST or None)

    def complete(totp_secret: bytes):
        data = form.cleaned_data
        recovery_code = signin.activate(user, private_key, data["new_password"], totp_secret, data["code"])
        return "accounts/recovery_code.html", {"recovery_code": recovery_code}

    return enrolment_page(request, user, private_key, form, "accounts/activate.html", complete)


def enrolment_page(request, user, private_key, form, template: str, complete):
    """A page that connects an authenticator: its new secret is kept sealed in the session
    between showing it and the code that confirms it; `complete(secret)` does the rest (or
    raises SignInRefused) and names the page to show once signed in."""
    enrol_cookie = settings.STAFF_KEY_COOKIE_NAME + ENROL_COOKIE_SUFFIX
    kept_secret = session_keys.take(request, enrol_cookie, _pending_context(user.pk))
    fresh_secret = kept_secret is None
    totp_secret = signin.new_totp_secret() if kept_secret is None else kept_secret
    if request.method == "POST" and fresh_secret:
        form.add_error(None, _("Your session was renewed: scan the new code below, then enter a code from it."))
    elif request.method == "POST" and form.is_valid():
        try:
            done_template, done_context = complete(totp_secret)
        except signin.SignInRefused:
            form.add_error(
                "code", _("This code does not match. Check the time on your phone and enter the current code.")
            )
        else:
            response = _finish_sign_in(request, user, private_key, done_template, done_context)
            session_keys.forget(response, enrol_cookie)
            return response
    context = {
        "form": form,
        "user_name": user.username,
        "secret_text": signin.totp_secret_text(totp_secret),
        "qr_svg": segno.make(signin.provisioning_uri(user, totp_secret), error="m").svg_inline(scale=4),
    }
    response = render(request, template, context, status=400 if form.errors else 200)
    if fresh_secret:
        session_keys.put(request, response, enrol_cookie, totp_secret, _pending_context(user.pk))
    return response


@require_http_methods(["GET", "POST"])
@access.staff_page
def preferences(request):
    """Where notifications go. Emails say only which channel and what kind of event."""
    user = request.user
    initial = {
        "email": user.email,
        "email_notifications": user.email_notifications,
        "quiet_digest": user.quiet_digest,
        "language": user.language,
        "display_name": user.display_name,
    }
    form = PreferencesForm(request.POST or None, initial=initial)
    saved = False
    if request.method == "POST" and form.is_valid():
        for name, value in form.cleaned_data.items():
            setattr(user, name, value)
        user.save(update_fields=list(form.cleaned_data))
        record(user.username, Action.PREFERENCES_CHANGED, user.username)
        saved = True
    fingerprint = recovery_keys.account_fingerprint(bytes(user.public_key)) if user.public_key else ""
    context = {"form": form, "saved": saved, "key_fingerprint": fingerprint}
    return render(request, "accounts/preferences.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@access.staff_page
def api_tokens(request):
    """Personal API tokens: each carries this person's private key, so it is shown once."""
    form = NewTokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        created = tokens.create_token(
            request.user, request.private_key, form.cleaned_data["name"], form.cleaned_data["days"]
        )
        form = NewTokenForm()
    context = {"form": form, "created": created, "tokens": request.user.api_tokens.all(), "now": timezone.now()}
    return render(request, "accounts/api_tokens.html", context, status=400 if form.errors else 200)


@require_POST
@access.staff_page
def revoke_api_token(request, token_id):
    tokens.revoke_token(request.user, token_id)
    return redirect("accounts:api_tokens")


def _safe_next(request) -> str:
    next_url = request.GET.get("next", "")
    return next_url if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}) else ""


@require_POST
def sign_out(request):
    if request.user.is_authenticated:
        record(request.user.username, Action.SIGN_OUT)
    response = redirect("intake:landing")
    access.end_session(request, response)  # flushes the session: its row is deleted, the cookie emptied
    session_keys.forget(response, settings.STAFF_KEY_COOKIE_NAME + ENROL_COOKIE_SUFFIX)
    devices.forget_all_but_device(request, response)
    # Ask the browser to forget what this origin left: cache and storage. Not "cookies": that
    # would take the device cookie too, and strangers could then lock this browser out.
    response.headers["Clear-Site-Data"] = SIGN_OUT_CLEAR_SITE_DATA
    return response
