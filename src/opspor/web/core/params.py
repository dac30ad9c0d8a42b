"""Reading query and form parameters that are not a Django form's fields.

A value that is not what the page expects (a date outside the years the app knows, a person id
that is not a public id) is a client error: :class:`BadParameter`, answered with the 400 page
(``core.views.bad_request``) naming the parameter and what it must be, and logged as one line
without a traceback. Never a 500, never a silent default that hides the error.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.core.exceptions import BadRequest, ValidationError
from django.utils.translation import gettext as _

from opspor import cpr as cprlib

# Dates a page may be asked about: wide enough for every real date of the programmes, narrow
# enough that a day's arithmetic (yesterday, tomorrow, six months on) stays in range.
EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(2199, 12, 31)


class BadParameter(BadRequest):
    """A parameter of the request is not what the page expects; the message is shown to the user."""


def _shown(value: str) -> str:
    return cprlib.mask(value[:40])


def check_date(name: str, value: dt.date) -> dt.date:
    if not EARLIEST <= value <= LATEST:
        raise BadParameter(_("The parameter “%(name)s” must be a date from %(first)s to %(last)s, not %(value)s.")
                           % {"name": name, "first": EARLIEST.isoformat(), "last": LATEST.isoformat(),
                              "value": value.isoformat()})
    return value


# How a date is written: dd-mm-yyyy as Danes write it, and ISO (yyyy-mm-dd) as links and
# browsers' own date fields send it. Dates are shown dd-mm-yyyy (core/date_fields.py).
DATE_INPUT_FORMATS = ("%d-%m-%Y", "%Y-%m-%d")


def parse_date(raw: str) -> dt.date | None:
    """The date written ``dd-mm-yyyy`` or ``yyyy-mm-dd`` in ``raw``; None if it is neither."""
    for fmt in DATE_INPUT_FORMATS:
        try:
            return dt.datetime.strptime(raw.strip(), fmt).date()
        except ValueError:
            continue
    return None


def date_param(params, name: str, default: dt.date) -> dt.date:
    """The date ``dd-mm-yyyy`` (or ``yyyy-mm-dd``) in ``params[name]``, ``default`` when absent or empty."""
    raw = params.get(name, "")
    if not raw:
        return default
    value = parse_date(raw)
    if value is None:
        raise BadParameter(_("The parameter “%(name)s” must be a date written dd-mm-yyyy, not “%(value)s”.")
                           % {"name": name, "value": _shown(raw)})
    return check_date(name, value)


def int_param(params, name: str, default: int, *, low: int, high: int) -> int:
    """The whole number in ``params[name]`` from ``low`` to ``high``; ``default`` when absent or empty."""
    raw = params.get(name, "")
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 19 and low <= int(raw) <= high):
        raise BadParameter(_("The parameter “%(name)s” must be a whole number from %(low)s to %(high)s, not “%(value)s”.")
                           % {"name": name, "low": low, "high": high, "value": _shown(raw)})
    return int(raw)


def public_id_list(params, name: str) -> list[uuid.UUID]:
    """The persons' public ids (UUIDs, people.Person.public_id) given (possibly repeatedly) as
    ``name``, sorted and without repeats."""
    ids = set()
    for raw in params.getlist(name):
        try:
            ids.add(uuid.UUID(raw))
        except ValueError:
            raise BadParameter(_("The parameter “%(name)s” must be a person's id from the page, not “%(value)s”.")
                               % {"name": name, "value": _shown(raw)}) from None
    return sorted(ids)


def date_in_range(value: dt.date | dt.datetime) -> None:
    """Validator for a form's date or date-time field: the same years as :func:`date_param`."""
    day = value.date() if isinstance(value, dt.datetime) else value
    if not EARLIEST <= day <= LATEST:
        raise ValidationError(_("Give a date from %(first)s to %(last)s.")
                              % {"first": EARLIEST.isoformat(), "last": LATEST.isoformat()})


def choice_param(params, name: str, choices) -> str:
    """One of ``choices`` in ``params[name]``; "" when absent or empty (the unfiltered page)."""
    raw = params.get(name, "")
    if raw and raw not in choices:
        raise BadParameter(_("The parameter “%(name)s” must be one of %(choices)s, not “%(value)s”.")
                           % {"name": name, "choices": ", ".join(choices), "value": _shown(raw)})
    return raw
