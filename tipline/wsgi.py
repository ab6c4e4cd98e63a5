"""The WSGI entry point that `tipline serve` hands to granian."""

import os

from django.core.wsgi import get_wsgi_application

from tipline.crypto.memory import keep_out_of_core_dumps

keep_out_of_core_dumps()  # before any key is opened in this worker process
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tipline.settings")
application = get_wsgi_application()

from tipline.web.warmup import warm_up  # noqa: E402 - needs the settings loaded above

warm_up()
