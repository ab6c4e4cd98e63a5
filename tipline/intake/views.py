"""Tipster-facing views."""

from django.shortcuts import render

from tipline.core.models import Channel


def landing(request):
    channels = Channel.objects.filter(is_listed=True)
    return render(request, "intake/landing.html", {"channels": channels})
