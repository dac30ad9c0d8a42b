"""WSGI entry point (``opspor.web.wsgi:application``) for a production server such as gunicorn."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opspor.web.settings")
application = get_wsgi_application()
