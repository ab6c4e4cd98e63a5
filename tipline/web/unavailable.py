"""When the database is down or locked beyond its timeout, answer with a calm 503 page
instead of a 500, and show a tipster what they typed, so that nothing they wrote is lost.
Nothing of it is stored or logged."""

from django.db import DatabaseError
from django.shortcuts import render

KEPT_FIELDS = ("answer-", "text")


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        return unavailable(request) if isinstance(exception, DatabaseError) else None


def unavailable(request):
    """The 503 page, with what a tipster typed shown back to them (never stored)."""
    kept = []
    if request.method == "POST":
        kept = [value for key, value in request.POST.items() if key.startswith(KEPT_FIELDS) and value.strip()]
    return retry_later(render(request, "503.html", {"kept": kept}, status=503))


def retry_later(response):
    """Every 503 of ours says when to try again: it is never the client's fault."""
    response.headers["Retry-After"] = "60"
    return response
