"""The request's language as :mod:`opspor.i18n` names it, for code that formats for the reader
(exports, numbers on pages) outside Django's own template localisation."""

from __future__ import annotations

from django.utils.translation import get_language

from opspor import i18n


def language() -> str:
    """``"da"`` or ``"en"`` (:data:`opspor.i18n.LANGUAGES`): the active language, Danish by default."""
    return "en" if (get_language() or i18n.DEFAULT).startswith("en") else "da"
