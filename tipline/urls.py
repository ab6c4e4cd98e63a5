"""The site's routing table: one include per app, read top to bottom."""

from django.urls import include, path

urlpatterns = [
    path("", include("tipline.intake.urls")),
    path("accounts/", include("tipline.accounts.urls")),
]
