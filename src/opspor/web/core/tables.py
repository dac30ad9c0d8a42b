"""CSV and XLSX downloads of a table, for every page that offers an export.

A download is written for the reader's language, so that it opens as it should in that
language's spreadsheet (docs/web.md, "Exports"):

* **CSV**: UTF-8 with a byte order mark (Excel then reads æ, ø, å right); in Danish the list
  separator of a Danish Excel, ``;``, and the decimal comma (``30566,4``); in English ``,`` and
  ``.``. No thousands separator in a CSV cell: a spreadsheet reads ``30566,4`` as a number, while
  ``30.566,4`` depends on its settings. Dates ``dd-mm-yyyy``, yes/no as words (*ja*/*nej*).
* **XLSX**: numbers as numbers and dates as dates (shown ``dd-mm-yyyy``), so that a sum works;
  yes/no as words.

The callers give a header of readable column names (translated, never the code's keys) and rows
of values, with codes already turned into their labels (sex, routes, states). Every text cell goes
through :mod:`opspor.csv_safe`, in both formats; a number is written by this module and is never
mistaken for a formula (``-0,5``).
"""

from __future__ import annotations

import datetime as dt
import decimal
import io
import math
from collections.abc import Iterable, Sequence

import openpyxl
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from opspor import csv_safe, i18n
from opspor.web.core.date_fields import DATE_FORMAT, DATETIME_FORMAT
from opspor.web.core import language

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
XLSX_DATE, XLSX_DATETIME = "DD-MM-YYYY", "DD-MM-YYYY HH:MM"


def delimiter(lang: str) -> str:
    """The list separator a spreadsheet of ``lang`` expects: ``;`` where the decimal separator is
    a comma (Danish Excel's own rule), else ``,``."""
    return ";" if i18n.decimal_separator(lang) == "," else ","


def yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def _local(value: dt.datetime) -> dt.datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


def _number_text(value: float | decimal.Decimal, lang: str) -> str:
    """A number as a spreadsheet of ``lang`` reads it: all its digits, the language's decimal
    separator, no thousands separator, never an exponent."""
    text = str(value)
    if "e" in text.lower():
        text = f"{value:.15f}".rstrip("0").rstrip(".")
    return i18n.number(text, lang)


def csv_cell(value, lang: str):
    """One value as the text of a CSV cell in ``lang``."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (float, decimal.Decimal)):
        return _number_text(value, lang)
    if isinstance(value, dt.datetime):
        return _local(value).strftime(DATETIME_FORMAT)
    if isinstance(value, dt.date):
        return value.strftime(DATE_FORMAT)
    return csv_safe.cell(str(value) if isinstance(value, Promise) else value)


def xlsx_cell(value):
    """One value as an XLSX cell's value: numbers and dates kept as such."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, (int, float, decimal.Decimal)):
        return value
    if isinstance(value, dt.datetime):
        return _local(value).replace(tzinfo=None)
    if isinstance(value, dt.date):
        return value
    return csv_safe.cell(str(value))


def csv_bytes(header: Sequence, rows: Iterable[Sequence], lang: str) -> bytes:
    buffer = io.StringIO()
    writer = csv_safe.writer(buffer, delimiter=delimiter(lang), lineterminator="\r\n")
    writer.writerow([str(h) for h in header])
    for row in rows:
        # the cells are safe already; a number's text ("-0,5") is not a formula for csv_safe either
        writer.writerow([csv_cell(v, lang) for v in row])
    return buffer.getvalue().encode("utf-8-sig")  # Excel opens UTF-8 with a BOM correctly


def xlsx_bytes(header: Sequence, rows: Iterable[Sequence], sheet: str) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = str(sheet)[:31]
    ws.append([csv_safe.cell(str(h)) for h in header])
    for row in rows:
        ws.append([xlsx_cell(v) for v in row])
        for c in ws[ws.max_row]:
            if isinstance(c.value, dt.datetime):
                c.number_format = XLSX_DATETIME
            elif isinstance(c.value, dt.date):
                c.number_format = XLSX_DATE
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def table_response(header: Sequence, rows: Iterable[Sequence], name: str, fmt: str, sheet: str) -> HttpResponse:
    if fmt not in CONTENT_TYPES:
        raise Http404
    if fmt == "csv":
        body = csv_bytes(header, rows, language.current())
    else:
        body = xlsx_bytes(header, rows, sheet)
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response
