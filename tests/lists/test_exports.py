"""The exports on hand-made rows: reading order, long lists, names that look like formulas."""

from __future__ import annotations

import datetime as dt

import openpyxl

from opspor.lists.export_pdf import write_pdf
from opspor.lists.export_xlsx import sheet_names, write_xlsx
from opspor.lists.model import Build, DepartmentList, department_lists
from opspor.rules.results import ListLine
from tests.support import pdf_pages, pdf_text

T0 = dt.datetime(2026, 3, 1, 8, 0)


def line(person: str, cid: str, start: dt.datetime, new: bool, dept: str = "MED1",
         name: str | None = None) -> ListLine:
    return ListLine(
        department=dept, hospital_unit="OUH", cpr=None, name=name or f"Navn {person}",
        contact_id=cid, action_diagnosis="DR069", course_department=dept,
        contact_department=dept, contact_start=start, contact_end=None, counted=True,
        new_today=new, person_key=person,
    )


def build(departments) -> Build:
    return Build(
        as_of=dt.date(2026, 3, 4), cutoff=dt.datetime(2026, 3, 3, 18), previous_run_day=dt.date(2026, 3, 3),
        eligibility_reference_time=dt.datetime(2026, 3, 4), snapshot_id=None,
        departments=tuple(departments), eligibility=(),
    )


def test_reading_order():
    lines = [
        line("p1", "a", T0, False),
        line("p1", "b", T0 + dt.timedelta(days=2), False),
        line("p2", "c", T0 + dt.timedelta(days=1), True),
        line("p3", "d", T0 + dt.timedelta(days=3), False),
        line("p4", "e", T0, False, dept="GER"),
    ]
    depts = department_lists(lines)
    assert [(d.hospital_unit, d.department) for d in depts] == [("OUH", "GER"), ("OUH", "MED1")]
    # new patient first; then the patient with the most recent contact; newest contact first
    assert [ln.contact_id for ln in depts[1].lines] == ["c", "d", "b", "a"]
    assert (depts[1].patients, depts[1].new_today) == (3, 1)


def test_xlsx_keeps_formula_like_text_as_text(tmp_path):
    d = DepartmentList("OUH", "MED1", (line("p1", "=cmd|' /C calc'!A0", T0, True, name="=1+1"),))
    write_xlsx(build([d]), tmp_path / "x.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "x.xlsx")["OUH MED1"]
    cells = {c.value: c.data_type for row in ws.iter_rows() for c in row if c.value}
    assert cells["=1+1"] == "s" and cells["=cmd|' /C calc'!A0"] == "s"


def test_sheet_names_are_valid_and_unique():
    long = "Afdeling for meget lange navne [A]: del/1"
    depts = (DepartmentList("OUH", long, ()), DepartmentList("OUH", long + "x", ()),
             DepartmentList("OUH", "oversigt", ()))
    names = sheet_names(depts)
    assert len(set(n.lower() for n in names)) == 3
    assert all(len(n) <= 31 and not set(n) & set("[]:*?/\\") for n in names)


def test_long_list_continues_on_more_pages(tmp_path):
    lines = tuple(line(f"p{i:03}", f"K{i}", T0 - dt.timedelta(hours=i), False) for i in range(150))
    write_pdf(build([DepartmentList("OUH", "MED1", lines), DepartmentList("OUH", "GER", lines[:3])]),
              tmp_path / "x.pdf")
    data = (tmp_path / "x.pdf").read_bytes()
    assert pdf_pages(data) >= 4  # MED1 needs several pages, GER its own
    text = pdf_text(data)
    assert text.count("Fortroligt – indeholder personoplysninger") >= pdf_pages(data)
    assert "Navn p149" in text and "Kontaktstart" in text
