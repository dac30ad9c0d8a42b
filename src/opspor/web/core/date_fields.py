"""Date and date-time inputs written dd-mm-åååå whatever the browser's language.

A browser's own ``<input type="date">`` shows the date in the format of the browser's or the
operating system's locale (mm/dd/yyyy on an English-US machine, which a Danish nurse on a shared
PC reads wrongly), and ``datetime-local`` likewise. These inputs are text fields instead: the date
shown ``dd-mm-åååå`` (``dd-mm-åååå tt:mm``), a ``pattern`` the browser checks before sending,
a placeholder and a hint that say how to write it, and a clear error from the server when it is
written otherwise. The server also takes ISO (``2026-03-04``, ``2026-03-04T09:30``), which links
and tests send. Alternative considered: keep the native widget and set ``lang="da"`` on the page;
Chromium and Firefox ignore that and follow the browser's locale.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from opspor.web.core import params

DATE_FORMAT = "%d-%m-%Y"
DATETIME_FORMAT = "%d-%m-%Y %H:%M"
DATETIME_INPUT_FORMATS = (DATETIME_FORMAT, "%d-%m-%Y %H.%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M")
# what the browser lets through (the server checks the date itself)
DATE_PATTERN = r"\s*([0-9]{1,2}-[0-9]{1,2}-[0-9]{4}|[0-9]{4}-[0-9]{2}-[0-9]{2})\s*"
DATETIME_PATTERN = r"\s*([0-9]{1,2}-[0-9]{1,2}-[0-9]{4} [0-9]{1,2}[:.][0-9]{2}|[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2})\s*"
DATE_HINT = _("dd-mm-yyyy")
DATETIME_HINT = _("dd-mm-yyyy hh:mm")


class DateInput(forms.DateInput):
    input_type = "text"

    def __init__(self, attrs=None):
        base = {"pattern": DATE_PATTERN, "placeholder": DATE_HINT, "title": DATE_HINT, "size": 10,
                "maxlength": 12, "autocomplete": "off", "class": "date-input"}
        super().__init__({**base, **(attrs or {})}, format=DATE_FORMAT)


class DateTimeInput(forms.DateTimeInput):
    input_type = "text"

    def __init__(self, attrs=None):
        base = {"pattern": DATETIME_PATTERN, "placeholder": DATETIME_HINT, "title": DATETIME_HINT, "size": 16,
                "maxlength": 18, "autocomplete": "off", "class": "date-input"}
        super().__init__({**base, **(attrs or {})}, format=DATETIME_FORMAT)


class DateField(forms.DateField):
    """A date written dd-mm-åååå (or ISO), in the years the app knows."""

    widget = DateInput
    default_error_messages = {"invalid": _("Write the date as dd-mm-yyyy, e.g. 24-12-2026.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", params.DATE_INPUT_FORMATS)
        kwargs["validators"] = [params.date_in_range, *kwargs.get("validators", ())]
        super().__init__(**kwargs)


class DateTimeField(forms.DateTimeField):
    """A date and time written dd-mm-åååå tt:mm (or ISO), in the years the app knows."""

    widget = DateTimeInput
    default_error_messages = {"invalid": _("Write the date and time as dd-mm-yyyy hh:mm, e.g. 24-12-2026 09:30.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", DATETIME_INPUT_FORMATS)
        kwargs["validators"] = [params.date_in_range, *kwargs.get("validators", ())]
        super().__init__(**kwargs)
