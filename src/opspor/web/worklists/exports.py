"""CSV and XLSX exports of a department's list, with the screening decisions."""

from __future__ import annotations

import csv
import io

import openpyxl
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _

from opspor.lists.export_csv import safe_name

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _rows(blocks):
    header = [_("CPR number"), _("Name"), _("Action diagnosis"), _("Course department"), _("Contact department"),
              _("Contact start"), _("Contact end"), _("Counts"), _("New today"), _("Decision"), _("Category")]
    yield header
    for b in blocks:
        decision = b.screening.get_decision_display() if b.screening else ""
        category = b.screening.get_category_display() if b.screening else ""
        for line in b.lines:
            yield [b.person.cpr_display, b.person.name, line.action_diagnosis, line.course_department,
                   line.contact_department, _local(line.contact_start), _local(line.contact_end),
                   _("yes") if line.counted else _("no"), _("yes") if line.new_today else _("no"),
                   decision, category]


def _local(value):
    from django.utils import timezone

    return timezone.localtime(value).strftime("%d-%m-%Y %H:%M") if value else ""


def response(blocks, run, department, fmt: str) -> HttpResponse:
    if fmt not in CONTENT_TYPES:
        raise Http404
    name = f"{safe_name(department.hospital_unit)}__{safe_name(department.department)}_{run.as_of}.{fmt}"
    if fmt == "csv":
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(_rows(blocks))
        body = buffer.getvalue().encode("utf-8-sig")  # Excel opens UTF-8 with a BOM correctly
    else:
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = (department.department or "liste")[:31]
        for row in _rows(blocks):
            ws.append(row)
        buffer = io.BytesIO()
        wb.save(buffer)
        body = buffer.getvalue()
    resp = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    resp["Content-Disposition"] = f'attachment; filename="{name}"'
    resp["Cache-Control"] = "no-store"
    return resp
