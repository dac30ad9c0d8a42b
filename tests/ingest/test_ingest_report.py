"""The load report: what a data manager reads. No CPR number or name outside rejects.csv."""

from __future__ import annotations

import datetime as dt
import json
import re

from opspor import contract
from tests.ingest.ingest_kit import contact, cpr_of, last_load_dir, last_report, person
from tests.support import read_csv, write_drop


def _secrets(persons):
    return [p["cpr"] for p in persons] + [p["name"] for p in persons]


def test_the_issue_case_a_missing_column_refuses_the_drop(cli, tmp_path, store):
    columns = [c.name for c in contract.CONTACTS.columns if c.name != "hospital_unit"]
    drop = write_drop(tmp_path / "drop", [person(0)], [contact(0)], contact_columns=columns)
    output = cli.ingest(drop, expect=1).output
    assert "contacts.csv line 1 (header): missing required column(s): hospital_unit" in output
    assert "REFUSED" in output and store.current() is None


def test_the_issue_case_a_report_naming_each_problem(cli, tmp_path, store):
    """A bad CPR, an unknown municipality, a contact ending before it starts and a duplicate
    contact_id: each is named with its place; with under 1 % rejected the rest is published."""
    persons = [person(i) for i in range(300)]
    persons[3] = person(3, cpr="1234")
    persons[4] = person(4, municipality_code="999")
    contacts = [contact(i, 10 + i % 280) for i in range(600)]
    contacts[20] = contact(20, 10, end="2026-03-01T10:00:00")  # ends before it starts
    contacts[30] = contact(7, 11, priority="planned")  # the same contact_id as contacts[7], different
    drop = write_drop(tmp_path / "drop", persons, contacts)
    output = cli.ingest(drop).output
    assert "persons.csv · cpr: not a CPR number" in output and "at persons.csv:5" in output
    assert "persons.csv · municipality_code: not a known municipality code" in output
    assert "at persons.csv:6" in output
    assert "contacts.csv · end: the contact ends before it starts" in output and "at contacts.csv:22" in output
    assert "contacts.csv · contact_id: the same contact_id is on several rows that differ" in output
    assert "at contacts.csv:9, contacts.csv:32" in output
    assert "PUBLISHED" in output
    rejects = read_csv(last_load_dir() / "rejects.csv")
    [conflict] = {r["reason"] for r in rejects if r["rule"] == "duplicate_conflict"}
    assert conflict == "the rows for this contact_id on lines 9, 32 differ in: cpr, priority"
    report = last_report()
    files = {f["file"]: f for f in report["files"]}
    assert (files["persons.csv"]["rows_read"], files["persons.csv"]["rows_rejected"]) == (300, 2)
    assert (files["contacts.csv"]["rows_read"], files["contacts.csv"]["rows_loaded"]) == (600, 597)
    assert report["decision"] == "published" and report["snapshot_id"] == store.current()


def test_no_cpr_number_or_name_reaches_the_console_or_the_report(cli, tmp_path):
    persons = [person(i) for i in range(4)] + [person(4, sex="X"), person(5, cpr="010190123"),
                                               person(6, cpr=cpr_of(6)[:6] + "-" + cpr_of(6)[6:], sex="?")]
    persons.append(persons[0] | {"name": "Other Name"})  # a conflicting repeat of a CPR number
    contacts = [contact(0), contact(1, cpr="0101011234"), contact(2, 4), contact(3, cpr="9999")]
    drop = write_drop(tmp_path / "drop", persons, contacts)
    output = cli.ingest(drop, expect=1).output
    load_dir = last_load_dir()
    texts = {"console": output, "report.txt": (load_dir / "report.txt").read_text(),
             "report.json": (load_dir / "report.json").read_text()}
    secrets = _secrets(persons) + ["0101011234", "010190123", "9999", "Other Name"]
    for where, text in texts.items():
        for secret in secrets:
            assert secret not in text, (where, secret)
        without_ids = re.sub(r"[0-9a-f]{16,}", "", text.replace(load_dir.name, ""))  # hashes, ids
        assert not re.search(r"\d{6}-?\d{4}", without_ids), where
    assert " ".join(texts["report.txt"].split()) in " ".join(texts["console"].split())  # the same text
    rejects = read_csv(load_dir / "rejects.csv")
    assert "010190123" in {r["value"] for r in rejects}  # the raw values are here, only here
    for name in ("rejects.csv", "warnings.csv"):
        assert (load_dir / name).stat().st_mode & 0o777 == 0o600


def test_a_file_without_its_header_row_is_refused_without_echoing_the_data(cli, tmp_path):
    drop = write_drop(tmp_path / "drop", [person(0), person(1)], [contact(0)])
    lines = (drop / "persons.csv").read_text().splitlines(keepends=True)
    (drop / "persons.csv").write_text("".join(lines[1:]))
    output = cli.ingest(drop, expect=1).output
    assert "persons.csv line 1 (header): line 1 holds data (a CPR number), not column names" in output
    for secret in _secrets([person(0)]):
        assert secret not in output and secret not in (last_load_dir() / "report.json").read_text()


def test_report_json_is_machine_readable(cli, tmp_path):
    drop = write_drop(tmp_path / "drop", [person(0)], [contact(0), contact(1, priority="x")])
    cli.ingest(drop, "--max-reject-share", "1")
    report = json.loads((last_load_dir() / "report.json").read_text())
    assert report["decision"] == "published" and report["mode"] == "merge"
    [group] = report["rejects"]
    assert group == {
        "file": "contacts.csv", "column": "priority", "rule": "enum",
        "message": "not one of the values allowed in priority",
        "fix": "use exactly one of: acute, planned (case matters)", "count": 1, "places": ["contacts.csv:3"],
    }
    assert {f["file"]: f["reject_share"] for f in report["files"]} == {"persons.csv": 0.0, "contacts.csv": 0.5}
    assert set(report["paths"]) == {"report_txt", "report_json", "rejects_csv", "warnings_csv"}


def test_warnings_are_reported_and_the_rows_loaded(cli, tmp_path, store):
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    persons = [
        person(0, birth_date="1940-01-02"),  # not the CPR number's date
        person(1, death_date="1939-01-01"),  # before birth
        person(2, death_date="2026-01-01"),
        person(3, death_date=tomorrow),
    ]
    contacts = [contact(0, 2, start="2026-02-01T10:00:00", end=""),  # after death
                contact(1, 0, start="1930-01-01T10:00", end=""),  # before birth
                contact(2, 3), contact(3, 3)]
    contacts.append(contacts[3])  # an exact repeat
    drop = write_drop(tmp_path / "drop", persons, contacts)
    output = cli.ingest(drop).output
    warnings = {(r["file"], r["line"], r["column"], r["rule"])
                for r in read_csv(last_load_dir() / "warnings.csv")}
    assert warnings == {
        ("persons.csv", "2", "birth_date", "birth_date_not_cpr"),
        ("persons.csv", "3", "death_date", "death_before_birth"),
        ("persons.csv", "5", "death_date", "date_in_future"),
        ("contacts.csv", "2", "start", "contact_after_death"),
        ("contacts.csv", "3", "start", "contact_before_birth"),
        ("contacts.csv", "6", "contact_id", "duplicate_identical"),
    }
    assert "Warnings" in output and "the same as line 5; the repeat is ignored" not in output
    with store.connect() as con:
        assert con.execute("SELECT count(*) FROM persons").fetchall() == [(4,)]
        assert con.execute("SELECT count(*) FROM contacts").fetchall() == [(4,)]
    files = {f["file"]: f for f in last_report()["files"]}
    assert files["contacts.csv"]["duplicates_dropped"] == 1 and files["contacts.csv"]["rows_rejected"] == 0


def test_a_conflicting_repeat_of_a_person_rejects_every_copy(cli, tmp_path):
    persons = [person(0), person(1), person(0, name="Another Name"), person(1)]
    drop = write_drop(tmp_path / "drop", persons, [contact(0, 1)])
    cli.ingest(drop, "--max-reject-share", "1")
    rejects = read_csv(last_load_dir() / "rejects.csv")
    assert [(r["line"], r["rule"], r["reason"]) for r in rejects] == [
        ("2", "duplicate_conflict", "the rows for this cpr on lines 2, 4 differ in: name"),
        ("4", "duplicate_conflict", "the rows for this cpr on lines 2, 4 differ in: name"),
    ]
    warnings = read_csv(last_load_dir() / "warnings.csv")
    assert [(r["line"], r["rule"]) for r in warnings] == [("5", "duplicate_identical")]


def test_help_texts(cli):
    assert "merge: the previous snapshot's rows" in cli("ingest", "--help").output
    assert "list" in cli("snapshots", "--help").output
    assert "oldest first" in cli("snapshots", "list", "--help").output
