"""The WSGI entry point that `tipline serve` hands to granian."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tipline.settings")
application = get_wsgi_application()

from tipline.web.warmup import warm_up  # noqa: E402 - needs the settings loaded above

warm_up()
