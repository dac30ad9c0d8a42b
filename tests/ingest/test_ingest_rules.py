"""Every contract rule, one bad value each, through ``opspor ingest``: file, line, column, rule.

One drop holds all the bad rows (each on its own line, the rest of the row valid), loaded once
with the reject limit lifted; each case then looks up its line in rejects.csv.
"""

from __future__ import annotations

import pytest

from tests.ingest.ingest_kit import Cli, contact, cpr_of, last_load_dir, person
from tests.support import read_csv, write_drop

BAD_PERSONS = [  # column, value, rule
    ("cpr", "12345", "cpr_format"),
    ("cpr", "0101901234x", "cpr_format"),
    ("cpr", "010190 1234", "cpr_format"),
    ("cpr", "3201901234", "cpr_date"),
    ("cpr", "2902011234", "cpr_date"),  # 1901 is no leap year
    ("cpr", "", "required"),
    ("name", "", "required"),
    ("name", "   ", "required"),
    ("birth_date", "", "required"),
    ("birth_date", "01-02-1990", "date_format"),
    ("birth_date", "1990-2-1", "date_format"),
    ("birth_date", "1990-02-30", "date_invalid"),
    ("sex", "K", "enum"),
    ("sex", "f", "enum"),
    ("municipality_code", "999", "municipality_code"),
    ("municipality_code", "0461", "municipality_code"),
    ("municipality_code", "", "required"),
    ("residence_type", "home", "enum"),
    ("death_date", "2020-13-01", "date_invalid"),
    ("death_date", "2020-01-01T10:00", "date_format"),
]

BAD_CONTACTS = [
    ("contact_id", "", "required"),
    ("cpr", "", "required"),
    ("cpr", "01019O1234", "cpr_format"),
    ("cpr", "0113901234", "cpr_date"),
    ("hospital_unit", "XYZ", "hospital_unit"),
    ("hospital_unit", "ouh", "hospital_unit"),
    ("course_department", "", "required"),
    ("contact_department", "", "required"),
    ("specialty", "Medicine", "enum"),
    ("priority", "urgent", "enum"),
    ("contact_type", "", "required"),
    ("contact_type", "letter", "enum"),
    ("start", "", "required"),
    ("start", "2026-03-02 17:45:00", "timestamp_format"),
    ("start", "2026-03-02", "timestamp_format"),
    ("start", "2026-03-02T17:45:00.123", "timestamp_format"),
    ("start", "2026-03-02T17:45:00Z", "timestamp_offset"),
    ("start", "2026-03-02T17:45:00+01:00", "timestamp_offset"),
    ("start", "2026-03-02T24:00:00", "timestamp_invalid"),
    ("start", "2026-03-02T17:60", "timestamp_invalid"),
    ("end", "2026-02-30T10:00", "timestamp_invalid"),
    ("end", "2026-03-01T10:00:00", "end_before_start"),
    ("action_diagnosis", "", "required"),
    ("action_diagnosis", "dj441", "code_case"),
    ("action_diagnosis", "J441", "diagnosis_code"),
    ("action_diagnosis", "DJ4", "diagnosis_code"),
    ("secondary_diagnoses", "DI10;XX", "diagnosis_code"),
    ("secondary_diagnoses", "DI10; DE119", "diagnosis_code"),
    ("secondary_diagnoses", "DI10;", "diagnosis_code"),
    ("secondary_diagnoses", "DI10;de119", "code_case"),
    ("procedures", "kjfb20", "code_case"),
    ("procedures", "DJ441", "procedure_code"),
    ("procedures", "A", "procedure_code"),
    ("drg_value", "12,5", "number"),
    ("drg_value", "1.234,50", "number"),
    ("drg_value", "NaN", "number"),
    ("drg_value", "-1", "negative_number"),
    ("pathway", "palliative", "enum"),
    ("cpr", cpr_of(9999), "unknown_person"),
]

GOOD_PERSONS = 2  # persons.csv lines 2-3 hold valid persons; contacts refer to the first
PERSON_WITH_BAD_MUNICIPALITY = BAD_PERSONS.index(("municipality_code", "999", "municipality_code"))


@pytest.fixture(scope="module")
def rejects(tmp_path_factory):
    root = tmp_path_factory.mktemp("rules")
    persons = [person(i) for i in range(GOOD_PERSONS)] + [
        person(100 + i, **{column: value}) for i, (column, value, _) in enumerate(BAD_PERSONS)
    ]
    contacts = [contact(0)] + [
        contact(100 + i, **{column: value}) for i, (column, value, _) in enumerate(BAD_CONTACTS)
    ] + [contact(999, person_i=100 + PERSON_WITH_BAD_MUNICIPALITY)]
    drop = write_drop(root / "drop", persons, contacts)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OPSPOR_HOME", str(root / "home"))
        mp.setenv("OPSPOR_PSEUDONYM_KEY", "test-pseudonym-key")
        result = Cli(root / "home").ingest(drop, "--max-reject-share", "1")
        assert "PUBLISHED" in result.output
        yield read_csv(last_load_dir() / "rejects.csv")


def _on_line(rejects, file, line):
    return [(r["column"], r["rule"]) for r in rejects if r["file"] == file and r["line"] == str(line)]


@pytest.mark.parametrize("index, column, value, rule", [(i, *case) for i, case in enumerate(BAD_PERSONS)])
def test_a_bad_person_value_is_rejected_with_its_place_and_rule(rejects, index, column, value, rule):
    line = 1 + GOOD_PERSONS + index + 1
    assert _on_line(rejects, "persons.csv", line) == [(column, rule)]


@pytest.mark.parametrize("index, column, value, rule", [(i, *case) for i, case in enumerate(BAD_CONTACTS)])
def test_a_bad_contact_value_is_rejected_with_its_place_and_rule(rejects, index, column, value, rule):
    line = 1 + 1 + index + 1
    assert _on_line(rejects, "contacts.csv", line) == [(column, rule)]


def test_every_reject_has_a_reason_and_a_fix(rejects):
    assert rejects and all(r["reason"] and r["fix"] for r in rejects)
    assert {r["fix"] for r in rejects if r["rule"] == "code_case"} == {"write codes in upper case"}


def test_valid_rows_are_not_rejected(rejects):
    assert _on_line(rejects, "persons.csv", 2) == _on_line(rejects, "persons.csv", 3) == []
    assert _on_line(rejects, "contacts.csv", 2) == []


def test_a_contact_of_a_rejected_person_says_which_person_row_was_rejected(rejects):
    line = 1 + 1 + len(BAD_CONTACTS) + 1
    [reject] = [r for r in rejects if r["file"] == "contacts.csv" and r["line"] == str(line)]
    person_line = 1 + GOOD_PERSONS + PERSON_WITH_BAD_MUNICIPALITY + 1
    assert reject["rule"] == "person_rejected"
    assert reject["reason"] == f"the person row on persons.csv line {person_line} was rejected"


def test_the_reason_names_the_bad_codes_of_a_list(rejects):
    [reject] = [r for r in rejects if r["value"] == "DI10;XX"]
    assert reject["reason"] == 'not SKS diagnosis codes: "XX"'
