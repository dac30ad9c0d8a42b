"""The per-installation secret key of local demos and debug runs ($OPSPOR_HOME/django-secret.key)."""

from __future__ import annotations

import secrets

from opspor import paths
from opspor.secret_files import read_or_create


def demo_secret_key() -> str:
    return read_or_create(paths.home() / "django-secret.key", lambda: secrets.token_urlsafe(50))
