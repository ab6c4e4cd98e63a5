"""Signing out. (Signing in, with two factors, arrives with the casework pages.)"""

from django.contrib.auth import logout
from django.shortcuts import redirect
from django.views.decorators.http import require_POST


@require_POST
def sign_out(request):
    logout(request)  # flushes the session: its row is deleted, the cookie emptied
    response = redirect("intake:landing")
    # Ask the browser to forget everything this origin left: cache, cookies, storage.
    response.headers["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response
