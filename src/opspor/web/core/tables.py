"""CSV and XLSX downloads of a table, for every page that offers an export."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

import openpyxl
from django.http import Http404, HttpResponse
from django.utils import timezone

from opspor import csv_safe

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

def _cell(value):
    """Dates as dd-mm-yyyy; text that a spreadsheet would run as a formula is quoted."""
    if value is None:
        return ""
    if hasattr(value, "tzinfo") and hasattr(value, "hour"):
        return timezone.localtime(value).strftime("%d-%m-%Y %H:%M")
    if hasattr(value, "strftime"):
        return value.strftime("%d-%m-%Y")
    return csv_safe.cell(value)


def table_response(header: Sequence[str], rows: Iterable[Sequence], name: str, fmt: str, sheet: str) -> HttpResponse:
    if fmt not in CONTENT_TYPES:
        raise Http404
    table = [list(header), *([_cell(v) for v in row] for row in rows)]
    if fmt == "csv":
        buffer = io.StringIO()
        csv_safe.writer(buffer, lineterminator="\n").writerows(table)
        body = buffer.getvalue().encode("utf-8-sig")  # Excel opens UTF-8 with a BOM correctly
    else:
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = sheet[:31]
        for row in table:
            ws.append(row)
        out = io.BytesIO()
        wb.save(out)
        body = out.getvalue()
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response
