"""The admins' routes page: the routes with their health, a form to add one, and on each a
button that sends a test alert now and shows whether it went out. Never why a delivery
failed: that would make the page a port and TLS scanner of any address (the command line,
`tipline routes list` and `test`, says why)."""

from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tipline.accounts.access import admin_page
from tipline.alerts.delivery import send_test
from tipline.alerts.forms import RouteForm
from tipline.alerts.health import route_rows
from tipline.alerts.models import RouteKind
from tipline.alerts.routes import RouteError, add_route, find_route, remove_route
from tipline.alerts.transports import Addressee, DeliveryFailed
from tipline.audit.services import Action, record


@require_http_methods(["GET", "POST"])
@admin_page
def routes(request):
    form = RouteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            route = add_route(form.spec())
        except RouteError as refusal:
            form.add_error(None, str(refusal))
        else:
            record(
                request.user.username,
                Action.ROUTE_ADDED,
                route.name,
                kind=route.kind,
                channels=sorted(form.cleaned_data["channels"]),
            )
            return redirect("alerts:routes")
    return _page(request, form, status=400 if form.errors else 200)


@require_POST
@admin_page
def test(request, name):
    try:
        route = find_route(name)
        email_to = None
        if route.kind == RouteKind.EMAIL:
            if not request.user.email:
                raise RouteError(_("your account has no email address; add one on the Notifications page"))
            email_to = Addressee.of(request.user)
        send_test(route, email_to)
    except RouteError as refusal:
        result = {"name": name, "ok": False, "reason": str(refusal)}
    except DeliveryFailed:
        result = {"name": name, "ok": False, "reason": ""}
    else:
        result = {"name": name, "ok": True}
    record(request.user.username, Action.ROUTE_TESTED, name, delivered=result["ok"])
    return _page(request, RouteForm(), result=result)


@require_POST
@admin_page
def remove(request, name):
    try:
        remove_route(name)
    except RouteError:
        pass  # removed already, by someone else or a second click
    else:
        record(request.user.username, Action.ROUTE_REMOVED, name)
    return redirect("alerts:routes")


def _page(request, form, result=None, status=200):
    return render(
        request,
        "alerts/routes.html",
        {"form": form, "rows": route_rows(with_reasons=False), "result": result},
        status=status,
    )
