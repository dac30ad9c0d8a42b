"""Fixtures for the risk tests: a small synthetic population loaded into a store with both models
trained (once per test process), and private copies of that store for tests that change it."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.risk import risk_kit
from tests.risk.risk_kit import Cli


@dataclass
class Trained:
    base: Path
    home: Path
    drop: Path
    truth: Path
    cprs: set[str]
    train_output: str
    models: dict[str, str]  # kind -> model id; the boosted one approved and selected


@pytest.fixture(scope="session")
def trained(tmp_path_factory) -> Trained:
    """A synthetic population (6,000 persons, 2023-2025) ingested and both models trained, with
    the boosted one approved and selected (the logistic one not approved). Built once per test
    process; do not change it (use ``home``)."""
    base = tmp_path_factory.mktemp("risk")
    home, drop, truth, cprs, output, models = risk_kit.train_population(base)
    risk_kit.approve(home, models["boosted"])  # the logistic model stays unapproved
    Cli(home, cprs)("risk", "select-model", models["boosted"])
    return Trained(base, home, drop, truth, cprs, output, models)


@pytest.fixture
def home(trained, tmp_path) -> Path:
    """A private copy of the trained store, for tests that change it."""
    target = tmp_path / "home"
    shutil.copytree(trained.home, target)
    return target


@pytest.fixture
def cli(trained, home) -> Cli:
    return Cli(home, trained.cprs)
