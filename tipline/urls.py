"""The site's routing table: one include per app, read top to bottom."""

from django.urls import include, path

from tipline.api.main import api
from tipline.core.health import healthz

urlpatterns = [
    path("", include("tipline.intake.urls")),
    path("staff/", include("tipline.accounts.urls")),
    path("staff/", include("tipline.casework.urls")),
    path("", include("tipline.insider.urls")),
    path("api/v1/", api.urls),
    path("healthz", healthz, name="healthz"),
]
