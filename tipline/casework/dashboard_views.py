"""The dashboard page (charts as images, figures in tables) and its SVG charts."""

from csp.constants import NONE, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tipline.accounts.access import staff_page
from tipline.casework import dashboard


@require_GET
@staff_page
def dashboard_page(request):
    figures = dashboard.figures_for(request.user)
    week_rows = [
        (week, [figures.tips_per_week[channel][index] for channel in figures.channels])
        for index, week in enumerate(figures.weeks)
    ]
    context = {"figures": figures, "week_rows": week_rows, "unreadable": dashboard.unreadable_for(request.user)}
    return render(request, "casework/dashboard.html", context)


@require_GET
@staff_page
# An SVG shown as an image runs no script; pygal styles it with an inline <style>, which is
# all this response allows besides itself.
@csp_replace({"style-src": [UNSAFE_INLINE], "script-src": [NONE], "img-src": [NONE]})  # type: ignore[arg-type]  # django-csp types views as taking the request alone
def dashboard_chart(request, name):
    if name not in dashboard.CHARTS:
        raise Http404
    svg = dashboard.chart_svg(name, dashboard.figures_for(request.user))
    return HttpResponse(svg, content_type="image/svg+xml")
