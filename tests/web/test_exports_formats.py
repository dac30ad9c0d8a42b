"""Downloads that open right in the reader's spreadsheet (web/core/tables.py): a Danish Excel
gets ";", the decimal comma, a BOM, Danish headers and words instead of codes; English gets ","
and "."; the XLSX carries numbers and dates as such. Through HTTP for the department list, and
the writer itself for the cells no page has (negative numbers, a formula in a name)."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.utils import translation

from opspor.web.core import tables
from tests.web.exports_kit import BOM, csv_dicts, csv_rows, xlsx_rows
from tests.web.factories import *  # the fixture as_user
from tests.web.web_kit import CPR

pytestmark = pytest.mark.django_db

ROW = [-0.5, 30566.4, 16252, True, False, dt.date(2026, 3, 4), None, '=HYPERLINK("http://x/?"&A2,"Klik")',
       "-2+3 Hansen", "-0,5", 1e-7, "+4566113333"]


def _csv(lang: str) -> list[list[str]]:
    with translation.override(lang):
        body = tables.csv_bytes(["Tal", "Stort", "Antal", "Ja", "Nej", "Dato", "Tom", "Navn", "Navn 2", "Tekst",
                                 "Lille", "Telefon"], [ROW], lang)
    assert body.startswith(BOM)
    rows = [line.split(tables.delimiter(lang)) for line in body[len(BOM):].decode().splitlines()]
    return rows


def test_danish_cells_decimal_comma_words_and_no_formula():
    header, row = _csv("da")
    assert len(header) == len(row) == 12
    assert row[:7] == ["-0,5", "30566,4", "16252", "ja", "nej", "04-03-2026", ""]
    assert row[7] == "\"'=HYPERLINK(\"\"http://x/?\"\"&A2,\"\"Klik\"\")\""  # quoted as text, never run
    assert row[8] == "'-2+3 Hansen"  # a formula, neutralised
    assert row[9] == "-0,5"  # a plain number is no formula: not prefixed
    assert row[10] == "0,0000001"  # never an exponent
    assert row[11] == "'+4566113333"  # a phone number stays text (a spreadsheet would make it a number)


def test_english_cells_decimal_point_and_comma_separator():
    header, row = _csv("en")
    assert row[:7] == ["-0.5", "30566.4", "16252", "yes", "no", "04-03-2026", ""]


def test_xlsx_numbers_and_dates_are_real():
    with translation.override("da"):
        body = tables.xlsx_bytes(["a"] * len(ROW), [ROW], "ark")
    cells = [c for c in next(openpyxl.load_workbook(io.BytesIO(body)).active.iter_rows(min_row=2))]
    assert [c.value for c in cells[:3]] == [-0.5, 30566.4, 16252]
    assert cells[3].value == "ja" and cells[4].value == "nej"
    assert cells[5].value == dt.datetime(2026, 3, 4) and cells[5].number_format == tables.XLSX_DATE
    assert cells[6].value is None
    assert cells[7].value.startswith("'=") and cells[7].data_type == "s"  # text, not a formula


def test_department_list_in_danish_and_english(users, login, as_user, published):
    url = f"/lister/{published.pk}/eksport.csv"
    danish = csv_dicts(login(users["med1"]).get(url), "da")
    assert list(danish[0])[:3] == ["CPR-nr.", "Navn", "Aktionsdiagnose"]
    a = [r for r in danish if r["CPR-nr."] == f"{CPR['A'][:6]}-{CPR['A'][6:]}"]
    assert a and {r["Ny i dag"] for r in a} == {"ja"} and {r["Tæller med"] for r in danish} <= {"ja", "nej"}
    assert all(len(r["Kontaktstart"]) == 16 and r["Kontaktstart"][2] == "-" for r in danish)  # dd-mm-yyyy tt:mm
    english = csv_dicts(as_user(users["med1"]).get(url), "en")
    assert {r["New today"] for r in english} == {"yes", "no"} and "CPR number" in english[0]
    raw = csv_rows(as_user(users["med1"]).get(url), "en")
    assert "True" not in {c for r in raw for c in r}
    sheet = xlsx_rows(login(users["med1"]).get(f"/lister/{published.pk}/eksport.xlsx"))
    assert sheet[0][:2] == ["CPR-nr.", "Navn"]
    assert isinstance(sheet[1][5], dt.datetime)  # the contact's start as a date, not a text


def test_a_line_added_during_the_day_is_marked_in_the_exports_as_on_the_page(users, login, as_user, published):
    """A line a hospital notification added (``ListEntry.added_at``, written by worklists.intraday,
    tests/web/inbound/test_hospital_notification.py) carries the worklist's label in both files."""
    from django.utils import timezone

    from opspor.web.worklists.models import ListEntry

    a_lines = ListEntry.objects.filter(run=published, person__cpr=CPR["A"]).order_by("position")
    added = a_lines.first()
    added.added_at = dt.datetime(2026, 3, 4, 13, 5, tzinfo=dt.timezone.utc)  # 14:05 in Copenhagen (winter)
    added.save(update_fields=["added_at"])
    label = "Tilføjet i løbet af dagen kl. 14:05 (sygehusadvis)"
    client = login(users["med1"])
    assert label in client.get("/lister/").content.decode()  # the page's badge: the same words
    cpr_a = f"{CPR['A'][:6]}-{CPR['A'][6:]}"
    danish = csv_dicts(client.get(f"/lister/{published.pk}/eksport.csv"), "da")
    marked = [r for r in danish if r["Tilføjet i løbet af dagen"]]
    assert [r["Tilføjet i løbet af dagen"] for r in marked] == [label]
    start = timezone.localtime(added.contact_start).strftime("%d-%m-%Y %H:%M")
    assert marked[0]["CPR-nr."] == cpr_a and marked[0]["Kontaktstart"] == start
    assert len(danish) > 1  # the nightly lines stay unmarked
    sheet = xlsx_rows(client.get(f"/lister/{published.pk}/eksport.xlsx"))
    column = sheet[0].index("Tilføjet i løbet af dagen")
    assert [r[column] for r in sheet[1:] if r[column]] == [label]
    english = csv_dicts(as_user(users["med1"]).get(f"/lister/{published.pk}/eksport.csv"), "en")
    assert [r["Added during the day"] for r in english if r["Added during the day"]] == [
        "Added during the day at 14:05 (hospital notification)"]
