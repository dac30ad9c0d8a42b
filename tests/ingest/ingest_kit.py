"""The ingest tests' kit: hand-made drops (valid rows by number, as CSV or Parquet) and the
real ``opspor`` command run in-process."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from typer.testing import CliRunner

from opspor import cpr, paths
from opspor.cli import app
from opspor.contract import CONTACTS, PERSONS


class Cli:
    """``opspor ...`` through Typer's test runner; asserts the exit code unless ``expect=None``."""

    def __init__(self):
        self.runner = CliRunner()

    def __call__(self, *args: str | Path, expect: int | None = 0):
        result = self.runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "1000"})
        if expect is not None:
            assert result.exit_code == expect, result.output + repr(result.exception)
        return result

    def ingest(self, drop: Path, *args: str, expect: int | None = 0):
        return self("ingest", drop, *args, expect=expect)


def last_load_dir() -> Path:
    return max(paths.loads_dir().iterdir(), key=lambda p: (p / "report.json").stat().st_mtime_ns)


def last_report() -> dict:
    return json.loads((last_load_dir() / "report.json").read_text())


def cpr_of(i: int) -> str:
    """A valid CPR number (no dash) for person ``i``, unique per ``i``."""
    return cpr.make(dt.date(1940, 1, 1) + dt.timedelta(days=i), i % 1000)


def person(i: int, **changes) -> dict:
    birth = dt.date(1940, 1, 1) + dt.timedelta(days=i)
    row = {
        "cpr": cpr_of(i),
        "name": f"Testperson{i} Hansen",
        "birth_date": birth.isoformat(),
        "sex": "F" if i % 2 else "M",
        "municipality_code": "461",
        "gp_provider_number": "012345",
        "residence_type": "own_home",
        "death_date": "",
    }
    return row | changes


def contact(i: int, person_i: int = 0, **changes) -> dict:
    row = {
        "contact_id": f"K{i}",
        "cpr": cpr_of(person_i),
        "hospital_unit": "OUH",
        "course_department": "MED1",
        "contact_department": "MED1",
        "specialty": "medicine",
        "priority": "acute",
        "contact_type": "physical",
        "start": "2026-03-02T17:45:00",
        "end": "2026-03-03T10:00:00",
        "action_diagnosis": "DJ441",
        "secondary_diagnoses": "DI10;DE119",
        "procedures": "AAF6;KJFB20",
        "drg_value": "1234.5",
        "pathway": "",
    }
    return row | changes


def write_csv(path: Path, rows: Iterable[dict], columns: list[str]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else row.get(c, "") for c in columns])
    return path


def write_parquet(path: Path, rows: list[dict], columns: list[str], types: dict | None = None) -> Path:
    types = types or {}
    arrays = {
        c: pa.array([None if r.get(c) in ("", None) else r.get(c) for r in rows], type=types.get(c, pa.string()))
        for c in columns
    }
    pq.write_table(pa.table(arrays), path)
    return path


def write_drop(
    folder: Path,
    persons: list[dict],
    contacts: list[dict],
    fmt: str = "csv",
    person_columns: list[str] | None = None,
    contact_columns: list[str] | None = None,
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    writer = write_csv if fmt == "csv" else write_parquet
    writer(folder / f"persons.{fmt}", persons, person_columns or [c.name for c in PERSONS.columns])
    writer(folder / f"contacts.{fmt}", contacts, contact_columns or [c.name for c in CONTACTS.columns])
    return folder


def valid_drop(folder: Path, n_persons: int = 3, contacts_per_person: int = 2, fmt: str = "csv") -> Path:
    persons = [person(i) for i in range(n_persons)]
    contacts = [contact(p * contacts_per_person + k, p) for p in range(n_persons) for k in range(contacts_per_person)]
    return write_drop(folder, persons, contacts, fmt)


def read_rejects(path: Path | str) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))
