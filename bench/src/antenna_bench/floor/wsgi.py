"""`gunicorn antenna_bench.floor.wsgi`: Antenna plus `POST /bench/floor`, for the load
benchmark only."""

import os

from django.core.wsgi import get_wsgi_application

os.environ["DJANGO_SETTINGS_MODULE"] = "antenna_bench.floor.settings"
application = get_wsgi_application()
