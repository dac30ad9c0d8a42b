"""The per-installation secret key of local demos and debug runs ($OPSPOR_HOME/django-secret.key)."""

from __future__ import annotations

import os
import secrets

from opspor import paths


def demo_secret_key() -> str:
    path = paths.home() / "django-secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(50))
    return path.read_text().strip()
