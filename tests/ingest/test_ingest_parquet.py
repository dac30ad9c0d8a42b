"""Parquet drops: the same columns, as text or as native types; places are rows."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from opspor.contract import CONTACTS, PERSONS
from tests.ingest.ingest_kit import contact, last_load_dir, person
from tests.support import read_csv, write_drop, write_parquet

UTC = dt.UTC


def test_a_parquet_drop_of_text_columns_loads_like_csv(cli, tmp_path, store):
    drop = write_drop(tmp_path / "drop", [person(0), person(1)], [contact(0), contact(1, 1)], fmt="parquet")
    cli.ingest(drop)
    with store.connect() as con:
        assert con.execute("SELECT count(*) FROM contacts").fetchall() == [(2,)]


def test_native_dates_timestamps_and_numbers_are_accepted(cli, tmp_path, store):
    persons = [person(0) | {"birth_date": dt.date(1940, 1, 1), "death_date": dt.date(2025, 5, 1)}]
    contacts = [
        contact(0) | {"start": dt.datetime(2026, 3, 2, 17, 45), "end": dt.datetime(2026, 3, 2, 16, 50, tzinfo=UTC),
                      "drg_value": 12.5},
        contact(1) | {"start": dt.datetime(2026, 7, 1, 8, 0), "end": dt.datetime(2026, 7, 1, 10, 0, tzinfo=UTC),
                      "drg_value": None},
    ]
    folder = tmp_path / "drop"
    folder.mkdir()
    write_parquet(folder / "persons.parquet", persons, [c.name for c in PERSONS.columns],
                  {"birth_date": pa.date32(), "death_date": pa.date32()})
    write_parquet(folder / "contacts.parquet", contacts, [c.name for c in CONTACTS.columns],
                  {"start": pa.timestamp("us"), "end": pa.timestamp("us", tz="UTC"), "drg_value": pa.float64()})
    cli.ingest(folder)
    with store.connect() as con:
        rows = con.execute(
            'SELECT CAST(start AS VARCHAR), CAST("end" AS VARCHAR), drg_value FROM contacts ORDER BY contact_id'
        ).fetchall()
        # time zone aware values become Danish local time: UTC+1 in March, UTC+2 in July
        assert rows == [("2026-03-02 17:45:00", "2026-03-02 17:50:00", 12.5),
                        ("2026-07-01 08:00:00", "2026-07-01 12:00:00", None)]
        assert con.execute("SELECT CAST(death_date AS VARCHAR) FROM persons").fetchall() == [("2025-05-01",)]


def test_rejects_in_parquet_are_placed_by_row(cli, tmp_path):
    contacts = [contact(0), contact(1, priority="urgent"), contact(2, start="2026-03-02T17:45:00Z")]
    drop = write_drop(tmp_path / "drop", [person(0)], contacts, fmt="parquet")
    output = cli.ingest(drop, "--max-reject-share", "1").output
    assert "contacts.parquet row 2" in output and "contacts.parquet row 3" in output
    rejects = read_csv(last_load_dir() / "rejects.csv")
    assert [(r["file"], r["line"], r["column"], r["rule"]) for r in rejects] == [
        ("contacts.parquet", "2", "priority", "enum"), ("contacts.parquet", "3", "start", "timestamp_offset")]


def test_a_cpr_stored_as_a_number_is_rejected_with_a_hint(cli, tmp_path):
    persons = [person(0) | {"cpr": 101401000}]  # 0101401000 lost its leading zero
    folder = tmp_path / "drop"
    write_drop(folder, [person(1)], [contact(0, 1)], fmt="parquet")
    write_parquet(folder / "persons.parquet", persons, [c.name for c in PERSONS.columns], {"cpr": pa.int64()})
    cli.ingest(folder, "--max-reject-share", "1", expect=1)
    [reject] = [r for r in read_csv(last_load_dir() / "rejects.csv") if r["file"] == "persons.parquet"]
    assert reject["rule"] == "cpr_format" and "not as a number" in reject["fix"]


def test_an_unreadable_parquet_file_refuses_the_drop(cli, tmp_path):
    drop = write_drop(tmp_path / "drop", [person(0)], [contact(0)], fmt="parquet")
    (drop / "contacts.parquet").write_bytes(b"PAR1 not really")
    assert "contacts.parquet: not a readable Parquet file" in cli.ingest(drop, expect=1).output
