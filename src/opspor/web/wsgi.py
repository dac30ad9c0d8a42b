"""WSGI entry point (``opspor.web.wsgi:application``) for a production server such as gunicorn."""

import os

from django.core.wsgi import get_wsgi_application

from opspor import paths

# Whichever way the server is started (opspor web serve, or gunicorn/uwsgi from a unit file without
# UMask=), the files the app writes (SQLite database, -wal/-shm, exports) are the owner's only.
paths.private_umask()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opspor.web.settings")
application = get_wsgi_application()
