"""The contract's optional contact columns (phone, email) through ``opspor ingest``: a drop
without them stays valid, good values are stored in their one form in the identity table,
bad ones are rejected with file, line, column, rule and fix, and no value reaches the console."""

from __future__ import annotations

import os
import stat

import duckdb

from opspor.contract import PERSONS
from tests.ingest.ingest_kit import contact, cpr_of, last_load_dir, last_report, person
from tests.support import read_csv, write_drop

WITHOUT = [c.name for c in PERSONS.columns if c.name not in ("phone", "email")]

GOOD = [  # given, stored
    ({"phone": "21 12 34 56", "email": " hanne@eksempel.dk "}, ("+4521123456", "hanne@eksempel.dk")),
    ({"phone": "+4530123456", "email": ""}, ("+4530123456", None)),
    ({"phone": "0045-40-12-34-56", "email": "a.b+c@sub.eksempel.dk"}, ("+4540123456", "a.b+c@sub.eksempel.dk")),
    ({"phone": "", "email": ""}, (None, None)),
]
BAD = [  # column, value, rule
    ("phone", "1234567", "phone"),
    ("phone", "12345678", "phone"),  # a Danish number does not start with 0 or 1
    ("phone", "+46701234567", "phone"),
    ("phone", "20123456 / 30123456", "phone"),
    ("email", "hanne@eksempel", "email"),
    ("email", "Hanne <hanne@eksempel.dk>", "email"),
    ("email", "hanne@@eksempel.dk", "email"),
    ("email", "hanne eksempel.dk", "email"),
]


def _rows(store, sql):
    with store.connect() as con:
        return con.execute(sql).fetchall()


def test_a_drop_without_the_contact_columns_is_loaded_as_before(cli, tmp_path, store):
    drop = write_drop(tmp_path / "drop", [person(0), person(1)], [contact(0, 0)], person_columns=WITHOUT)
    output = cli.ingest(drop).output
    assert "PUBLISHED" in output and "unknown column" not in output
    assert _rows(store, "SELECT phone, email FROM identity") == [(None, None), (None, None)]
    assert not [r for r in read_csv(last_load_dir() / "rejects.csv") if r["column"] in ("phone", "email")]


def test_contact_details_are_stored_in_one_form_and_bad_ones_rejected_by_line(cli, tmp_path, store):
    persons = [person(i, **given) for i, (given, _) in enumerate(GOOD)]
    persons += [person(100 + i, **{column: value}) for i, (column, value, _) in enumerate(BAD)]
    drop = write_drop(tmp_path / "drop", persons, [contact(0, 0)])
    result = cli.ingest(drop, "--max-reject-share", "1")
    assert "PUBLISHED" in result.output
    stored = dict(_rows(store, "SELECT cpr, (phone, email) FROM identity"))
    for i, (_, expected) in enumerate(GOOD):
        assert tuple(stored[cpr_of(i)]) == expected
    assert not any(cpr_of(100 + i) in stored for i in range(len(BAD)))  # a bad value rejects the row
    rejects = read_csv(last_load_dir() / "rejects.csv")
    for i, (column, value, rule) in enumerate(BAD):
        line = str(1 + len(GOOD) + i + 1)
        [found] = [r for r in rejects if r["file"] == "persons.csv" and r["line"] == line]
        assert (found["column"], found["rule"]) == (column, rule)
        assert found["value"] in (value, "'" + value)  # csv_safe quotes a leading +
        assert found["fix"].startswith("write ") and "empty" in found["fix"]
    assert stat.S_IMODE(os.stat(last_load_dir() / "rejects.csv").st_mode) == 0o600
    # the console and the report name the rule and the fix, never a number or an address
    report = (last_load_dir() / "report.json").read_text()
    for text in (result.output, report):
        assert "not a Danish phone number" in text and "not an e-mail address" in text
        for given, _ in GOOD:
            assert not [v for v in given.values() if v.strip() and v.strip() in text]
        for _, value, _ in BAD:
            assert value not in text
    assert last_report()["decision"] == "published"


def test_a_merge_onto_a_snapshot_made_before_the_columns_keeps_its_persons(cli, tmp_path, store):
    cli.ingest(write_drop(tmp_path / "one", [person(0)], [contact(0, 0)], person_columns=WITHOUT))
    old = store.path(store.current())  # as a snapshot of an earlier opspor: no contact columns
    os.chmod(old, 0o600)
    with duckdb.connect(str(old)) as con:
        con.execute("ALTER TABLE identity DROP COLUMN phone")
        con.execute("ALTER TABLE identity DROP COLUMN email")
    os.chmod(old, 0o400)
    cli.ingest(write_drop(tmp_path / "two", [person(1, phone="20123456")], [contact(1, 1)]))
    assert sorted(_rows(store, "SELECT cpr, phone FROM identity")) == [(cpr_of(0), None), (cpr_of(1), "+4520123456")]
