"""Django's ``date`` filter, faster for the numeric formats the pages use (a builtin of the
template engine, ``settings.TEMPLATES``; it replaces Django's filter of the same name).

Pages print dates and times as ``d-m-Y`` and ``d-m-Y H:i`` (issue 19: dd-mm-åååå in every
language), some hundred times on a worklist. Django's filter interprets the format letter by
letter in Python for every value (~40 µs each, some 100 per worklist: about a tenth of its CPU);
``strftime`` does the same in C. Formats made only of d, m, Y, H, i, s and punctuation take that
path; any other format (month and weekday names: ``l j. F Y``) and any value that is not a date
go to Django's own filter, so the output is Django's in every case (tests/web/test_date_filter.py).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from django import template
from django.template import defaultfilters

register = template.Library()

_STRFTIME = {"d": "%d", "m": "%m", "Y": "%Y", "H": "%H", "i": "%M", "s": "%S"}
_TIME_LETTERS = frozenset("His")


@lru_cache(maxsize=64)
def _pattern(fmt: str) -> tuple[str, bool] | None:
    """(strftime pattern, needs a time) for a format of numeric letters and punctuation; None
    for a format with anything else (names, escapes, Django's named formats)."""
    if not fmt or any(c.isalpha() and c not in _STRFTIME or c in "\\%" for c in fmt):
        return None
    return "".join(_STRFTIME.get(c, c) for c in fmt), any(c in _TIME_LETTERS for c in fmt)


@register.filter(expects_localtime=True, is_safe=False)
def date(value, arg=None):
    """Django's ``date`` filter (same arguments, same output)."""
    pattern = _pattern(arg) if isinstance(arg, str) else None
    # type() rather than isinstance: subclasses (and years before 1000, which strftime does
    # not pad) take Django's path; a date without a time has no hours to print
    if pattern and type(value) in (dt.datetime, dt.date) and value.year >= 1000 \
            and (type(value) is dt.datetime or not pattern[1]):
        return value.strftime(pattern[0])
    return defaultfilters.date(value, arg)
