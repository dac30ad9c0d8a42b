"""Fixtures for the risk tests: a small synthetic population loaded into a store with both models
trained (once per test process), and private copies of that store for tests that change it."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from opspor.synth import Options, generate
from tests.risk import risk_kit
from tests.risk.risk_kit import END, PERSONS, SEED, START, Cli


@dataclass
class Trained:
    base: Path
    home: Path
    drop: Path
    truth: Path
    cprs: set[str]
    train_output: str


@pytest.fixture(scope="session")
def trained(tmp_path_factory) -> Trained:
    """A synthetic population (6,000 persons, 2023-2025) ingested and both models trained, with
    the boosted one selected. Built once per test process; do not change it (use ``home``)."""
    base = tmp_path_factory.mktemp("risk")
    risk_kit.CONFIG["OPSPOR_RISK_CONFIG"] = str(risk_kit.test_config(base / "config"))
    drop = base / "drop"
    generate(Options(persons=PERSONS, start=START, end=END, seed=SEED, out=drop, fmt="parquet", workers=1))
    truth = base / "truth"
    shutil.move(drop / "truth", truth)  # beside the drop, as the demo keeps it
    cprs = set(pq.read_table(drop / "persons.parquet", columns=["cpr"]).column("cpr").to_pylist())
    home = base / "home"
    cli = Cli(home, cprs)
    cli("ingest", drop)
    result = cli("risk", "train", "--truth", truth, "--select")
    return Trained(base, home, drop, truth, cprs, result.output)


@pytest.fixture
def home(trained, tmp_path) -> Path:
    """A private copy of the trained store, for tests that change it."""
    target = tmp_path / "home"
    shutil.copytree(trained.home, target)
    return target


@pytest.fixture
def cli(trained, home) -> Cli:
    return Cli(home, trained.cprs)
