"""Work every server process would otherwise do on its first request, done before it takes
any: the routing table (which imports every view and the API's schemas), the translation
catalogues, and the metrics files. A first request answers as fast as any other."""

from django.conf import settings
from django.urls import get_resolver
from django.utils import translation

from tipline.web import metrics


def warm_up() -> None:
    get_resolver().resolve("/")
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Send a tip")
    if settings.METRICS_ENABLED:
        metrics.prepare()
