"""Warnings do not hide each other: every warning of a row and column is kept; dates in the
future and over-long contacts are warned about; a ';'-separated file is named as such, and
--delimiter reads it."""

from __future__ import annotations

import csv
import datetime as dt

import pytest

from opspor.contract import CONTACTS, PERSONS
from tests.ingest.ingest_kit import contact, last_load_dir, person, valid_drop
from tests.support import read_csv, write_drop

NEXT_YEAR = (dt.date.today() + dt.timedelta(days=400)).isoformat()


def _warnings() -> set[tuple[str, str, str, str]]:
    return {(r["file"], r["line"], r["column"], r["rule"]) for r in read_csv(last_load_dir() / "warnings.csv")}


def test_a_birth_date_in_the_future_gets_both_of_its_warnings(cli, tmp_path, store):
    drop = write_drop(tmp_path / "drop", [person(0, birth_date="2040-01-01"), person(1)], [contact(0, 1)])
    output = cli.ingest(drop).output
    assert _warnings() == {("persons.csv", "2", "birth_date", "birth_date_not_cpr"),
                           ("persons.csv", "2", "birth_date", "date_in_future")}
    assert "birth_date is after the day of the load" in output
    assert "birth_date differs from the date part of the CPR number" in output


def test_contacts_in_the_future_and_over_long_contacts_are_warned_about(cli, tmp_path, store):
    contacts = [
        contact(0, 0, start=f"{NEXT_YEAR}T10:00:00", end=""),
        contact(1, 0, start="2025-01-01T10:00:00", end=f"{NEXT_YEAR}T10:00:00"),
        contact(2, 0, start="2024-01-01T10:00:00", end="2025-01-01T10:00:01"),  # 366 days and a second
        contact(3, 0, start="2025-01-01T10:00:00", end="2026-01-01T10:00:00"),  # exactly 365 days
    ]
    drop = write_drop(tmp_path / "drop", [person(0)], contacts)
    output = cli.ingest(drop).output
    assert _warnings() == {
        ("contacts.csv", "2", "start", "date_in_future"),
        ("contacts.csv", "3", "end", "date_in_future"),
        ("contacts.csv", "3", "end", "contact_too_long"),
        ("contacts.csv", "4", "end", "contact_too_long"),
    }
    assert "the contact lasts longer than the limit for one contact (--max-contact-days)" in output
    [reason] = {r["reason"] for r in read_csv(last_load_dir() / "warnings.csv") if r["line"] == "4"}
    assert reason == "the contact lasts 366 days; the limit is 365 days"
    assert store.meta()["contacts_rows"] == 4  # warnings load the rows


@pytest.mark.parametrize("how", ["option", "environment"])
def test_the_contact_length_limit_is_a_setting(cli, tmp_path, monkeypatch, how):
    def drop(i):  # 517 days
        return write_drop(tmp_path / f"drop{i}", [person(0)],
                          [contact(i, 0, start="2024-01-01T10:00:00", end="2025-06-01T10:00:00")])
    if how == "environment":
        monkeypatch.setenv("OPSPOR_MAX_CONTACT_DAYS", "600")
    cli.ingest(drop(1), *(("--max-contact-days", "600") if how == "option" else ()))
    assert _warnings() == set()
    monkeypatch.delenv("OPSPOR_MAX_CONTACT_DAYS", raising=False)
    cli.ingest(drop(2))  # the default: 365 days
    assert _warnings() == {("contacts.csv", "2", "end", "contact_too_long")}


def _semicolon_drop(folder):
    folder.mkdir()
    for name, rows, columns in (("persons.csv", [person(0, name="Hansen, Jens"), person(1)], PERSONS.columns),
                                ("contacts.csv", [contact(0, 0), contact(1, 1)], CONTACTS.columns)):
        with open(folder / name, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, delimiter=";", lineterminator="\r\n")  # as a Danish Excel saves
            writer.writerow([c.name for c in columns])
            writer.writerows([[row.get(c.name, "") for c in columns] for row in rows])
    return folder


def test_a_semicolon_separated_file_is_named_as_such(cli, tmp_path, store):
    output = cli.ingest(_semicolon_drop(tmp_path / "drop"), expect=1).output
    assert "persons.csv line 1 (header): the separator is `;`" in output
    assert "fix: save as comma-separated or pass --delimiter ';'" in output
    assert "missing required column" not in output and store.current() is None


def test_the_delimiter_option_reads_a_semicolon_separated_drop(cli, tmp_path, store):
    cli.ingest(_semicolon_drop(tmp_path / "drop"), "--delimiter", ";")
    with store.connect() as con:
        assert con.execute("SELECT name FROM identity ORDER BY cpr").fetchall()[0] == ("Hansen, Jens",)
        assert con.execute("SELECT secondary_diagnoses FROM contacts WHERE contact_id = 'K0'").fetchall() == [
            (["DI10", "DE119"],)]


def test_the_delimiter_option_on_a_comma_separated_drop_says_so(cli, tmp_path):
    output = cli.ingest(valid_drop(tmp_path / "drop"), "--delimiter", ";", expect=1).output
    assert "the separator is `,`" in output and "leave out --delimiter" in output
    assert "give one character" in cli.ingest(valid_drop(tmp_path / "d2"), "--delimiter", ";;", expect=2).output
