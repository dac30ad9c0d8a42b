"""Calendar arithmetic and date parsing: the one place for "next month", "plus six months" and
the command line's dates.

Months are calendar months: :func:`add_months` keeps the day of the month where it exists and
otherwise takes the month's last day (31 January plus one month is 28 or 29 February).
"""

from __future__ import annotations

import calendar
import datetime as dt
from functools import cache

import holidays

EXAMPLE = "2026-03-02"


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months (may be negative); the 31st becomes the month's
    last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def month_start(day: dt.date) -> dt.date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    """The first day of the month after ``day``'s."""
    return add_months(month_start(day), 1)


def month_end(day: dt.date) -> dt.date:
    """The last day of ``day``'s month."""
    return next_month(day) - dt.timedelta(days=1)


def quarter_start(day: dt.date) -> dt.date:
    """The first day of ``day``'s quarter (1 January, April, July or October)."""
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


class DateError(ValueError):
    """A text is not a date; the message shows the value and how to write it."""


def parse_date(value: str) -> dt.date:
    """An ISO date (``YYYY-MM-DD``); anything else raises :class:`DateError`."""
    try:
        return dt.date.fromisoformat(value)
    except (ValueError, TypeError):
        raise DateError(f"{value!r} is not a date like {EXAMPLE} (write YYYY-MM-DD)") from None


def cli_date(value: str | None, option: str) -> dt.date | None:
    """A command-line option's date (None stays None); a bad one is a usage error naming
    ``option``."""
    if value is None:
        return None
    try:
        return parse_date(value)
    except DateError as error:
        import typer  # only the command line needs it

        raise typer.BadParameter(str(error), param_hint=option) from None


@cache
def _danish_holidays() -> holidays.HolidayBase:
    return holidays.country_holidays("DK", language="da")


def public_holiday(day: dt.date) -> str | None:
    """The Danish name of the public holiday on ``day``, or None (the ``holidays`` package's
    Danish calendar: Easter-based days computed, Store Bededag until 2023 only)."""
    return _danish_holidays().get(day)
