"""Numbers on pages as readers of the page's language expect them (``{% load numbers %}``):
``{{ n|num }}`` 16.252, ``{{ x|num:1 }}`` 30.566,4 (English 16,252 and 30,566.4),
``{{ p|pvalue }}`` 0,012 and ``< 0,001``, ``{{ "2024-03"|month }}`` marts 2024. The separators are Django's locale formats, through
:mod:`opspor.i18n`, the same as the CLI's and the reports'. Years and ids are not numbers to
group: leave them as they are (``{{ year }}``)."""

from __future__ import annotations

import math

from django import template

from opspor import i18n
from opspor.web.core import language

register = template.Library()


def _finite(value) -> float | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


@register.filter
def num(value, digits: int = 0) -> str:
    """``value`` with ``digits`` decimals and thousands separators; "" for none (so that
    ``|default:"–"`` shows a dash); a text that is no number as it is (``<5``, suppressed)."""
    if value is None or value == "":
        return ""
    x = _finite(value)
    return str(value) if x is None else i18n.decimal(x, int(digits), language.current())


@register.filter
def pvalue(value) -> str:
    """A p-value: three decimals, ``< 0,001`` below that; "" for none."""
    x = _finite(value)
    return "" if x is None else i18n.p_value(x, language.current())


@register.filter
def month(value) -> str:
    """A calendar month ``YYYY-MM`` (or a date) as its readers say it: ``marts 2024`` /
    ``March 2024``; anything else as it is."""
    import datetime as dt

    from django.utils.formats import date_format

    if isinstance(value, dt.date):
        day = value.replace(day=1)
    else:
        try:
            year, number = str(value).split("-")
            day = dt.date(int(year), int(number), 1)
        except ValueError:
            return str(value)
    return date_format(day, "F Y")
