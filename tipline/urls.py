"""The site's routing table: one include per app, read top to bottom."""

from django.urls import include, path

urlpatterns = [
    path("", include("tipline.intake.urls")),
    path("staff/", include("tipline.accounts.urls")),
    path("staff/", include("tipline.casework.urls")),
]
