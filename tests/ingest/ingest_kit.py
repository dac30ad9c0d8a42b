"""The ingest tests' kit: hand-made drops (valid rows by number, as CSV or Parquet, written by
tests.support) and the real ``opspor`` command run in-process on the test's store."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
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


PAUSED_LOAD = """
import sys, time
from opspor.store.snapshots import Staging
step, drop, run_step = sys.argv[1], sys.argv[2], sys.argv[3] == "run"
original = getattr(Staging, step)
def paused(self):
    if run_step:
        original(self)
    print("paused", flush=True)
    time.sleep(60)
setattr(Staging, step, paused)
from opspor.cli import main
sys.argv = ["opspor", "ingest", drop]
main()
"""


def kill_load_at(drop: Path, step: str, run_step: bool, check=lambda: True) -> None:
    """Run ``opspor ingest drop`` in a process of its own, pause it at ``Staging.<step>`` (after
    running the step if ``run_step``), assert ``check()`` (what it left), then kill it with SIGKILL."""
    child = subprocess.Popen([sys.executable, "-c", PAUSED_LOAD, step, str(drop), "run" if run_step else "skip"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        assert child.stdout.readline().strip() == "paused", child.stderr.read()
        assert check()
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        child.kill()
