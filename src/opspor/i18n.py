"""Translation outside Django: the CLI's reports, the risk report and the monitoring reports and
PDFs read the web app's catalogue (``web/locale/da/LC_MESSAGES/django.mo``) with the standard
library's :mod:`gettext`, so the computation needs no Django settings (docs/architecture.md,
"Translations").

Message ids are English; the Danish is in ``django.po``. ``_ = translator(lang)`` gives the
function that translates a message into ``lang``. Tables at module level mark their texts with
:func:`gettext_lazy` / :func:`pgettext_lazy` (the names ``makemessages`` extracts), which only
mark them: they are translated when a language is known.

Numbers are written with the language's separators (:func:`number`, :func:`decimal`), and the
figures of reports and cards as a number or ``–`` where missing (:func:`figure`, :func:`percent`,
:func:`estimate`).
"""

from __future__ import annotations

import gettext
import importlib
import math
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path

LANGUAGES = ("da", "en")
DEFAULT = "da"
LOCALE_DIR = Path(__file__).parent / "web" / "locale"
DOMAIN = "django"


class Message(str):
    """An English message id marked for translation, with its context (``msgctxt``) if any."""

    context: str | None = None


def gettext_lazy(message: str) -> Message:
    """Mark ``message`` for extraction; translate it later with :func:`translator`."""
    return Message(message)


def pgettext_lazy(context: str, message: str) -> Message:
    """As :func:`gettext_lazy`, for an id whose Danish differs by ``context`` (e.g. "Due":
    *Forfald* as a column, *Forfalder* as a count)."""
    out = Message(message)
    out.context = context
    return out


def _check(lang: str) -> None:
    if lang not in LANGUAGES:
        raise ValueError(f"language {lang!r}: use one of {', '.join(LANGUAGES)}")


@cache
def _catalogue(lang: str) -> gettext.NullTranslations:
    _check(lang)
    # English is the message ids themselves: no catalogue, so the fallback returns them
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def translator(lang: str) -> Callable[[str], str]:
    """The function translating a message id (or a :class:`Message`) into ``lang``."""
    catalogue = _catalogue(lang)

    def translate(message: str) -> str:
        context = getattr(message, "context", None)
        return catalogue.pgettext(context, message) if context else catalogue.gettext(message)

    return translate


def translate_all(table: Mapping, lang: str) -> dict:
    """A table of messages (values: a message or a list/tuple of them) in ``lang``."""
    _ = translator(lang)
    return {k: type(v)(_(m) for m in v) if isinstance(v, (list, tuple)) else _(v) for k, v in table.items()}


def localized(obj, field: str, lang: str) -> str:
    """A configuration text kept in both languages as ``<field>_da`` / ``<field>_en`` (an
    attribute or a key): configuration carries its own texts, the catalogue holds the code's."""
    _check(lang)
    name = f"{field}_{lang}"
    return obj[name] if isinstance(obj, Mapping) else getattr(obj, name)


@cache
def _separators(lang: str) -> dict[int, str]:
    _check(lang)
    formats = importlib.import_module(f"django.conf.locale.{lang}.formats")  # constants only: no settings
    return str.maketrans({".": formats.DECIMAL_SEPARATOR, ",": formats.THOUSAND_SEPARATOR})


def decimal_separator(lang: str) -> str:
    """``,`` in Danish, ``.`` in English (Django's locale formats)."""
    return _separators(lang)[ord(".")]


def number(text: str, lang: str) -> str:
    """A number formatted by Python (``.`` decimal point, ``,`` between thousands) with the
    separators of ``lang`` (Danish: ``1.234,5``), the same that Django's locale formats use."""
    return text.translate(_separators(lang))


def decimal(value: float | int, digits: int, lang: str, *, grouping: bool = True) -> str:
    """``value`` with ``digits`` decimals in ``lang``'s separators: ``30.566,4`` / ``30,566.4``
    (``grouping=False``: no thousands separator, as a CSV cell a spreadsheet reads as a number)."""
    text = f"{value:,.{digits}f}" if grouping else f"{value:.{digits}f}"
    if text.startswith("-") and text.strip("-0.,") == "":
        text = text[1:]  # -0.0 rounds to 0.0
    return number(text, lang)


DASH = "–"  # a figure that is missing


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def figure(value: float | None, digits: int, lang: str) -> str:
    """:func:`decimal`, or ``–`` where the figure is missing (None, or a float that is not finite)."""
    return DASH if _missing(value) else decimal(value, digits, lang)


def percent(share: float | None, lang: str, digits: int = 1) -> str:
    """A share (``0.123``) as a percentage in ``lang`` (``12,3 %``), or ``–``."""
    return DASH if _missing(share) else decimal(100 * share, digits, lang) + " %"


def estimate(value: float | None, low: float | None, high: float | None, digits: int, lang: str) -> str:
    """An estimate with its interval, ``0,712 [0,701; 0,723]`` (a missing end ``–``), or ``–``
    without the estimate."""
    if _missing(value):
        return DASH
    return f"{figure(value, digits, lang)} [{figure(low, digits, lang)}; {figure(high, digits, lang)}]"


P_FLOOR = 0.001


def p_value(p: float, lang: str) -> str:
    """A p-value as readers of papers expect: three decimals, and ``< 0,001`` (``< 0.001``) below."""
    return "< " + decimal(P_FLOOR, 3, lang) if p < P_FLOOR else decimal(p, 3, lang)
