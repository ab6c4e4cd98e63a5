"""Passkey pages and their JSON endpoints: adding (after a recent sign-in) and removing passkeys,
and the second sign-in step by passkey. Only these pages allow WebAuthn and fetch() to this origin."""

import json
from functools import wraps

from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tipline.accounts import access, passkeys, signin
from tipline.accounts.views import REFUSED, _finish_sign_in, _forget_pending, _pending
from tipline.web.middleware import allows_passkeys

MAX_BODY_BYTES = 64 * 1024


@require_http_methods(["GET", "POST"])
@access.staff_page
@allows_passkeys
def passkey_list(request):
    if request.method == "POST":
        chosen = request.POST.get("remove", "")
        if not chosen.isascii() or not chosen.isdigit():  # a passkey's number, or the form was tampered with
            return render(
                request,
                "accounts/passkeys.html",
                {"passkeys": request.user.passkeys.all(), "refused": True},
                status=400,
            )
        passkeys.remove(request.user, int(chosen))
        return redirect("accounts:passkeys")
    context = {
        "passkeys": request.user.passkeys.all(),
        "added": request.GET.get("added"),
        "signed_in_recently": access.signed_in_recently(request),
    }
    return render(request, "accounts/passkeys.html", context)


def _needs_recent_sign_in(view):
    """A passkey is a way in: adding one needs a sign-in, or the password typed again, a few minutes ago."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        if not access.signed_in_recently(request):
            confirm = f"{reverse('accounts:confirm_password')}?next={reverse('accounts:passkeys')}"
            return JsonResponse(
                {"error": _("Enter your password again before adding a passkey."), "next": confirm}, status=403
            )
        return view(request, *args, **kwargs)

    return guarded


@require_POST
@access.staff_page
@_needs_recent_sign_in
def registration_options(request):
    return JsonResponse(passkeys.registration_options(request, request.user))


@require_POST
@access.staff_page
@_needs_recent_sign_in
def register(request):
    body = _json_body(request)
    try:
        passkeys.register(request, request.user, _credential(body), str(body.get("name", "")))
    except passkeys.PasskeyRefused as refusal:
        return JsonResponse(
            {"error": _("The passkey could not be added: %(reason)s") % {"reason": refusal}}, status=400
        )
    return JsonResponse({"next": "?added=1"})


@require_POST
def sign_in_options(request):
    user, private_key = _pending(request)
    if private_key is None or not user.passkeys.exists():
        raise Http404("No sign-in in progress.")
    return JsonResponse(passkeys.authentication_options(request, user))


@require_POST
def sign_in_with_passkey(request):
    user, private_key = _pending(request)
    if private_key is None:
        return JsonResponse(
            {"error": _("Your session ended. Please sign in again."), "next": "/staff/sign-in/"}, status=400
        )
    try:
        passkeys.authenticate(request, user, _credential(_json_body(request)))
    except signin.CodeLocked:
        _forget_pending(request)
        return JsonResponse({"error": REFUSED, "next": "/staff/sign-in/?locked=1"}, status=400)
    except (signin.SignInRefused, passkeys.PasskeyRefused):
        return JsonResponse({"error": str(REFUSED)}, status=400)
    finished = _finish_sign_in(request, user, private_key)
    response = JsonResponse({"next": finished.url})
    response.cookies = finished.cookies  # the session and key cookies of the finished sign-in
    return response


def _credential(body: dict) -> dict:
    """The browser's answer as it sent it (PublicKeyCredential.toJSON()); {} when missing."""
    credential = body.get("credential")
    return credential if isinstance(credential, dict) else {}


def _json_body(request) -> dict:
    if len(request.body) > MAX_BODY_BYTES:
        return {}
    try:
        body = json.loads(request.body)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
