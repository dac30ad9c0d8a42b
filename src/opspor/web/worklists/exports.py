"""CSV and XLSX exports of a department's list, with the screening decisions and the lines added
during the day by a hospital notification (worded as on the worklist, ``queries.added_label``)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from opspor.lists.export_csv import safe_name
from opspor.web.core.tables import table_response
from opspor.web.worklists.queries import added_label


def response(blocks, run, department, fmt: str):
    header = [_("CPR number"), _("Name"), _("Action diagnosis"), _("Course department"), _("Contact department"),
              _("Contact start"), _("Contact end"), _("Counts"), _("New today"),
              _("Added during the day"), _("Decision"), _("Category"), _("Note")]
    rows = (
        [b.person.cpr_display, b.person.name, line.action_diagnosis, line.course_department,
         line.contact_department, line.contact_start, line.contact_end,
         bool(line.counted), bool(line.new_today),
         added_label(line.added_at) if line.added_at else "",
         b.screening.get_decision_display() if b.screening else "",
         b.screening.get_category_display() if b.screening else "",
         b.screening.note if b.screening else ""]
        for b in blocks for line in b.lines
    )
    name = f"{safe_name(department.hospital_unit)}__{safe_name(department.department)}_{run.as_of}"
    return table_response(header, rows, name, fmt, sheet=department.department or "liste")
