"""``opspor lists build DROP --as-of D --out OUT`` on the hand-made drop (see lists_kit)."""

from __future__ import annotations

import json

import openpyxl
import pytest

from tests.lists.lists_kit import (
    AS_OF,
    CPR,
    ELIGIBILITY_HEADER,
    EXPECTED_ELIGIBILITY,
    EXPECTED_LISTS,
    GER_FILE,
    LIST_HEADER,
    MED1_FILE,
    NAMES,
    read_csv,
)
from tests.support import pdf_pages, pdf_text


def test_build_succeeds_and_prints_counts_without_cpr(built):
    _, result = built
    assert result.exit_code == 0, result.output
    assert "OUH" in result.stdout and "MED1" in result.stdout
    assert "Geriatri Æ" in result.stdout
    assert "aps-eligible.csv" in result.stdout
    assert "persons.csv 6 of 6 rows" in result.stdout and "contacts.csv 21 of 21 rows" in result.stdout
    # Cli checked stdout and stderr for every CPR number and name of the drop


def test_department_files_are_exactly_the_lists(built):
    out, _ = built
    assert sorted(p.name for p in (out / "repeated-acute").iterdir()) == sorted(EXPECTED_LISTS)


@pytest.mark.parametrize("name", sorted(EXPECTED_LISTS))
def test_department_csv_lines_by_hand(built, name):
    out, _ = built
    header, rows = read_csv(out / "repeated-acute" / name)
    assert header == LIST_HEADER
    assert rows == EXPECTED_LISTS[name]


def test_patient_with_two_plus_one_units_is_on_no_list(built):
    out, _ = built
    text = "".join(p.read_text(encoding="utf-8") for p in (out / "repeated-acute").iterdir())
    assert CPR["B"] not in text
    assert CPR["A"] in text  # written without the dash it had in the drop


def test_eligibility_csv_by_hand(built):
    out, _ = built
    header, rows = read_csv(out / "aps-eligible.csv")
    assert header == ELIGIBILITY_HEADER
    assert rows == EXPECTED_ELIGIBILITY
    assert CPR["F"] not in {r["cpr"] for r in rows}


def test_run_json_in_out_dir(built):
    out, _ = built
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["kind"] == "build"
    assert record["as_of"] == AS_OF
    assert record["cutoff"] == "2026-03-03T18:00:00"
    assert record["previous_run_day"] == "2026-03-03"
    assert record["eligibility_reference_time"] == "2026-03-04T00:00:00"
    assert record["rules"]["repeated_acute"]["version"] == "1"
    assert record["rules"]["aps_eligibility"]["version"] == "1"
    assert len(record["rules"]["repeated_acute"]["sha256"]) == 64
    by_file = {d["file"]: d for d in record["departments"]}
    assert by_file[f"repeated-acute/{MED1_FILE}"] | {} == {
        "hospital_unit": "OUH", "department": "MED1", "file": f"repeated-acute/{MED1_FILE}",
        "patients": 2, "new_today": 1, "lines": 10, "counted_lines": 6,
    }
    assert by_file[f"repeated-acute/{GER_FILE}"]["patients"] == 1
    assert by_file[f"repeated-acute/{GER_FILE}"]["department"] == "Geriatri Æ"
    assert record["lists"] == {"departments": 2, "patient_entries": 3, "patients": 3,
                               "new_today": 1, "lines": 13}
    assert record["eligibility"]["listed"] == 5
    assert record["eligibility"]["eligible"] == 2
    assert record["eligibility"]["excluded"] == 3
    assert record["eligibility"]["by_route"]["repeated_admissions"] == {"listed": 3, "eligible": 2}
    assert record["eligibility"]["by_exclusion_reason"]["dead"] == 1
    assert record["drop"]["content_sha256"]
    assert {f["file"]: f["rows_rejected"] for f in record["drop"]["files"]} == {
        "persons.csv": 0, "contacts.csv": 0}
    assert sorted(record["files"]) == sorted(
        [f"repeated-acute/{MED1_FILE}", f"repeated-acute/{GER_FILE}", "aps-eligible.csv",
         "repeated-acute.xlsx", "repeated-acute.pdf", "data/lines.parquet",
         "data/eligibility.parquet"]
    )
    text = json.dumps(record)
    assert not any(n in text for n in CPR.values()) and not any(n in text for n in NAMES.values())


def test_xlsx_sheet_per_department_with_danish_headings(built):
    out, _ = built
    wb = openpyxl.load_workbook(out / "repeated-acute.xlsx")
    assert wb.sheetnames == ["Oversigt", "OUH Geriatri Æ", "OUH MED1"]
    ws = wb["OUH MED1"]
    rows = list(ws.iter_rows(values_only=True))
    assert "MED1" in rows[0][0] and "OUH" in rows[0][0]
    assert "04-03-2026" in rows[1][0] and "03-03-2026 18:00" in rows[1][0]
    assert rows[2][0] == "Fortroligt – indeholder personoplysninger"
    assert rows[4] == ("CPR-nr.", "Navn", "Kontakt-id", "Aktionsdiagnose", "Afdeling forløb",
                       "Afdeling kontakt", "Kontaktstart", "Kontaktslut", "Tæller med", "Ny i dag")
    lines = rows[5:]
    assert [r[2] for r in lines] == [line["contact_id"] for line in EXPECTED_LISTS[MED1_FILE]]
    a = CPR["A"]
    assert lines[0][0] == f"{a[:6]}-{a[6:]}" and lines[0][1] == NAMES["A"]
    assert lines[0][8:] == ("ja", "ja") and lines[1][8:] == ("nej", "ja")
    assert lines[0][7] is None  # still admitted
    overview = list(wb["Oversigt"].iter_rows(values_only=True))
    assert ("OUH", "MED1", 2, 1, 10, "OUH MED1") in overview


def test_pdf_has_a_page_per_department(built):
    out, _ = built
    data = (out / "repeated-acute.pdf").read_bytes()
    assert data.startswith(b"%PDF")
    assert pdf_pages(data) == 2
    text = pdf_text(data)
    assert "Gentagne akutte kontakter: MED1 (OUH)" in text
    assert "Gentagne akutte kontakter: Geriatri Æ (OUH)" in text
    assert "Fortroligt – indeholder personoplysninger" in text
    assert "afskæring 03-03-2026 18:00" in text
    for heading in ("CPR-nr.", "Navn", "Afdeling kontakt", "Kontaktstart"):
        assert heading in text
    assert "Testperson A Jensen" in text


def test_out_dir_with_other_files_is_refused(cli, drop, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    r = cli("lists", "build", drop, "--as-of", AS_OF, "--out", out, expect=1)
    assert "not lists made by opspor" in r.stderr
    assert (out / "notes.txt").read_text() == "keep me"


def test_earlier_output_is_replaced_whole(cli, drop, tmp_path):
    out = tmp_path / "out"
    cli("lists", "build", drop, "--as-of", AS_OF, "--out", out)
    stale = out / "repeated-acute" / "OUH__OLD.csv"
    stale.write_text("from an earlier day")
    cli("lists", "build", drop, "--as-of", "2026-03-05", "--out", out)
    assert not stale.exists()
    assert json.loads((out / "run.json").read_text())["as_of"] == "2026-03-05"
    assert not list(tmp_path.glob(".out.*"))  # no staging left behind


def test_refused_drop_builds_nothing(cli, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "persons.csv").write_text("cpr,name\n")
    r = cli("lists", "build", bad, "--as-of", AS_OF, "--out", tmp_path / "out", expect=1)
    assert "no lists were built" in r.stderr
    assert not (tmp_path / "out").exists()


def test_bad_as_of_is_a_usage_error(cli, drop, tmp_path):
    r = cli("lists", "build", drop, "--as-of", "04-03-2026", "--out", tmp_path / "o", expect=2)
    assert "not a date like" in r.output


def test_empty_day_writes_files_saying_so(cli, drop, tmp_path):
    out = tmp_path / "out"
    cli("lists", "build", drop, "--as-of", "2024-01-10", "--out", out)
    assert list((out / "repeated-acute").iterdir()) == []
    wb = openpyxl.load_workbook(out / "repeated-acute.xlsx")
    assert wb.sheetnames == ["Oversigt"]
    assert pdf_pages((out / "repeated-acute.pdf").read_bytes()) == 1
    header, rows = read_csv(out / "aps-eligible.csv")
    assert header == ELIGIBILITY_HEADER and rows == []
