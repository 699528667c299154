"""WSGI entry point for production servers (gunicorn antenna.config.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "antenna.config.settings")
application = get_wsgi_application()
