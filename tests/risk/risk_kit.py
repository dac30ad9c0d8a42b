"""Helpers for the risk tests: the real ``opspor`` command (tests.support's runner), with every
output checked for CPR numbers of the test population and for tracebacks."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from tests.support import Opspor, Result

KEY = "risk-test-pseudonym-key"
# 3 years: the data end 2026-01-01, so the test as-of date is 2025-07-01 (6 months) and the
# training as-of dates 2024-01-01 ... 2024-10-01 (365 days of history each).
START, END = dt.date(2023, 1, 1), dt.date(2025, 12, 31)
PERSONS = 6_000
SEED = 3


def test_config(folder: Path) -> Path:
    """A copy of the shipped model.yaml made cheaper for tests (fewer boosting iterations and
    bootstrap replicates); features.yaml and outcome.yaml stay the shipped ones."""
    from opspor.risk.config import CONFIG_DIR

    text = (CONFIG_DIR / "model.yaml").read_text(encoding="utf-8")
    for old, new in (
        ("max_iter: 1000", "max_iter: 60"),
        ("bootstrap: 200", "bootstrap: 40"),
        ("learning_rate: 0.05", "learning_rate: 0.3"),
    ):
        assert old in text, old
        text = text.replace(old, new)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.yaml").write_text(text, encoding="utf-8")
    return folder


CONFIG: dict[str, str] = {}  # OPSPOR_RISK_CONFIG for every command, set by the session fixture


def env_for(home: Path, extra: dict | None = None) -> dict:
    env = {
        **os.environ,
        "OPSPOR_HOME": str(home),
        "OPSPOR_PSEUDONYM_KEY": KEY,
        "COLUMNS": "200",
        "OPSPOR_RISK_THREADS": "1",
    }
    for name in ("OPSPOR_RISK_CONFIG", "OPSPOR_MEMORY_LIMIT"):
        env.pop(name, None)
    return {**env, **CONFIG, **(extra or {})}


class Cli(Opspor):
    """``opspor ...`` with OPSPOR_HOME = ``home`` (in-process, or ``.subprocess``) and the test
    configuration (``env_for``). No output may hold a CPR number of the population (the known
    numbers only: model files and figures hold other runs of ten digits), nor a traceback."""

    def __init__(self, home: Path, cprs: set[str]):
        super().__init__(home, KEY, cprs=cprs, shaped=False)

    def env(self, extra: dict | None = None) -> dict:
        return env_for(self.home, extra)

    def check(self, result: Result, expect: int | None) -> Result:
        assert "Traceback" not in result.output, result.output
        return super().check(result, expect)


LEAD = {"username": "lead", "name": "Test Lead", "role": "programme_lead", "organisation_kind": "region",
        "organisation": "Region Syddanmark"}
DOCTOR = {"username": "doctor", "name": "Test Doctor", "role": "doctor", "organisation_kind": "region",
          "organisation": "Region Syddanmark"}


def approve(home: Path, model_id: str) -> None:
    """Fixture set-up: record a proposal and an approval of ``model_id`` in ``home``'s decision log
    (what the web page records; tests/web/riskmodels test the page itself)."""
    from opspor.risk import governance

    saved = os.environ.get("OPSPOR_HOME")
    os.environ["OPSPOR_HOME"] = str(home)
    try:
        governance.propose(model_id, governance.Actor(**LEAD), "test")
        governance.approve(model_id, governance.Actor(**DOCTOR), "test")
    finally:
        if saved is None:
            os.environ.pop("OPSPOR_HOME")
        else:
            os.environ["OPSPOR_HOME"] = saved


def train_population(base: Path, truth_beside: bool = True) -> tuple[Path, Path, Path, set[str], str, dict[str, str]]:
    """The synthetic population (PERSONS, START-END, SEED) generated under ``base``, ingested into
    ``base/home`` and both models trained with the test configuration (no model approved or
    selected). Returns home, drop, truth, the CPR numbers, the train output and kind -> model id."""
    import shutil

    import pyarrow.parquet as pq

    from opspor.synth import Options, generate

    CONFIG["OPSPOR_RISK_CONFIG"] = str(test_config(base / "config"))
    drop = base / "drop"
    generate(Options(persons=PERSONS, start=START, end=END, seed=SEED, out=drop, fmt="parquet", workers=1))
    truth = base / "truth"
    shutil.move(drop / "truth", truth)  # beside the drop, as the demo keeps it
    cprs = set(pq.read_table(drop / "persons.parquet", columns=["cpr"]).column("cpr").to_pylist())
    home = base / "home"
    cli = Cli(home, cprs)
    cli("ingest", drop)
    result = cli("risk", "train", "--truth", truth)
    models = {line.split()[1].rstrip(":"): line.split()[2] for line in result.stdout.splitlines()
              if line.startswith("model ")}
    return home, drop, truth, cprs, result.output, models
