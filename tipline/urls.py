"""The site's routing table: one include per app, read top to bottom. Pages exist in every
language under its prefix (/es/…, /ar/…; English has none), so the language a tipster
chose travels in the address and no cookie has to remember it."""

from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path

from tipline.api.main import api
from tipline.api.privacy_pass import issuer_directory
from tipline.operations.health import healthz

urlpatterns = [
    path("api/v1/", api.urls),
    path("healthz", healthz, name="healthz"),
    path(".well-known/private-token-issuer-directory", issuer_directory, name="issuer_directory"),
    path(".well-known/private-token-issuer-directory/<slug:organisation>", issuer_directory, name="issuer_directory"),
    *i18n_patterns(
        path("", include("tipline.intake.urls")),
        path("staff/", include("tipline.accounts.urls")),
        path("staff/", include("tipline.casework.urls")),
        path("staff/admin/routes/", include("tipline.alerts.urls")),
        path("", include("tipline.insider.urls")),
        prefix_default_language=False,
    ),
]
