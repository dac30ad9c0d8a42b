"""The ingest tests' kit: hand-made drops (valid rows by number, as CSV or Parquet, written by
tests.support) and the real ``opspor`` command run in-process on the test's store."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from opspor import cpr, paths
from tests import support


class Cli(support.Opspor):
    """``opspor ...`` in-process on the store of ``home`` (the ``opspor_home`` fixture's, whose
    OPSPOR_HOME and key the environment holds); asserts the exit code unless ``expect=None``; no
    output may show anything shaped like a CPR number."""

    def __init__(self, home: Path):
        super().__init__(home, None, columns=1000)

    def __call__(self, *args, expect: int | None = 0, env: dict | None = None) -> support.Result:
        """In-process with the test's whole environment (the key, and what a test sets or
        removes with monkeypatch)."""
        return super().__call__(*args, expect=expect, env={**os.environ, "COLUMNS": "1000", **(env or {})})

    def ingest(self, drop: Path, *args: str, expect: int | None = 0) -> support.Result:
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


def valid_drop(folder: Path, n_persons: int = 3, contacts_per_person: int = 2, fmt: str = "csv") -> Path:
    persons = [person(i) for i in range(n_persons)]
    contacts = [contact(p * contacts_per_person + k, p) for p in range(n_persons) for k in range(contacts_per_person)]
    return support.write_drop(folder, persons, contacts, fmt)
