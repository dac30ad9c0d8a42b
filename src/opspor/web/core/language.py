"""The language of the current request as the computation names it ("da" or "en")."""

from __future__ import annotations

from django.utils.translation import get_language


def current() -> str:
    return "da" if (get_language() or "da").startswith("da") else "en"
