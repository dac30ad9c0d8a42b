"""``repeated-acute.xlsx``: the department lists for people, one sheet per department.

The first sheet, *Oversigt*, lists the departments with their counts (and says so when no
department has anyone); then one sheet per department: a title block (department, hospital
unit, run day, cut-off, the confidentiality note) and the lines under Danish headings, patients
new today first, newest contact first (:mod:`opspor.lists.model`).

Sheet names are limited to 31 characters without ``[]:*?/\\``; a sheet is named
``<unit> <department>``, shortened and numbered where needed, and its title cell always holds
the full names.
"""

from __future__ import annotations

import re
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from opspor.lists import texts
from opspor.lists.model import Build, DepartmentList

FILE_NAME = "repeated-acute.xlsx"

_BAD = re.compile(r"[\[\]:*?/\\]")
_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_NOTE = Font(bold=True, color="9C0006")
_NEW = PatternFill("solid", fgColor="FFF2CC")
_WIDTHS = (14, 28, 16, 16, 22, 22, 18, 18, 11, 9)


def sheet_names(departments: tuple[DepartmentList, ...]) -> list[str]:
    """A unique, valid sheet name per department (see the module doc)."""
    used = {texts.OVERVIEW_SHEET.lower()}
    names = []
    for d in departments:
        base = _BAD.sub("-", f"{d.hospital_unit} {d.department}").strip("'") or "Afdeling"
        name, n = base[:31], 1
        while name.lower() in used:
            n += 1
            suffix = f" ({n})"
            name = base[: 31 - len(suffix)] + suffix
        used.add(name.lower())
        names.append(name)
    return names


def _value(value):
    # Excel shows the local wall-clock time as is (no time zone), like the data contract
    if isinstance(value, bool):
        return texts.yes_no(value)
    return value


def write_xlsx(build: Build, path: Path) -> Path:
    wb = Workbook()
    overview = wb.active
    overview.title = texts.OVERVIEW_SHEET
    overview.append([texts.report_title(build)])
    overview["A1"].font = _TITLE
    overview.append([texts.cutoff_line(build)])
    overview.append([texts.CONFIDENTIAL])
    overview["A3"].font = _NOTE
    overview.append([])
    if build.departments:
        overview.append(list(texts.OVERVIEW_HEADINGS))
        for c in overview[overview.max_row]:
            c.font = _BOLD
        names = sheet_names(build.departments)
        for d, name in zip(build.departments, names, strict=True):
            overview.append([d.hospital_unit, d.department, d.patients, d.new_today, len(d.lines), name])
    else:
        overview.append([texts.NO_PATIENTS])
        names = []
    for col, width in zip("ABCDEF", (16, 28, 12, 12, 12, 34), strict=True):
        overview.column_dimensions[col].width = width

    for d, name in zip(build.departments, names, strict=True):
        ws = wb.create_sheet(name)
        ws.append([texts.department_title(d)])
        ws["A1"].font = _TITLE
        ws.append([texts.run_line(build, d)])
        ws.append([texts.CONFIDENTIAL])
        ws["A3"].font = _NOTE
        ws.append([])
        ws.append(list(texts.LINE_HEADINGS))
        header_row = ws.max_row
        for c in ws[header_row]:
            c.font = _BOLD
            c.alignment = Alignment(wrap_text=True, vertical="top")
        for line in d.lines:
            ws.append([_value(v) for v in texts.line_values(line)])
            for c in ws[ws.max_row]:
                if isinstance(c.value, str) and c.value.startswith("="):
                    c.data_type = "s"  # data, never a formula (a name or code starting with '=')
                if line.new_today:
                    c.fill = _NEW
        for i, width in enumerate(_WIDTHS, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        for row in ws.iter_rows(min_row=header_row + 1, min_col=7, max_col=8):
            for c in row:
                c.number_format = "yyyy-mm-dd hh:mm"
        for row in ws.iter_rows(min_row=header_row + 1, min_col=1, max_col=1):
            for c in row:
                c.number_format = "@"  # CPR numbers are text: keep leading zeros
        ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
        ws.print_title_rows = f"{header_row}:{header_row}"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.oddHeader.center.text = texts.CONFIDENTIAL
        ws.oddFooter.center.text = "&P / &N"
    wb.properties.title = texts.report_title(build)
    wb.properties.subject = texts.CONFIDENTIAL
    wb.properties.creator = "opspor"
    wb.save(path)
    return path
