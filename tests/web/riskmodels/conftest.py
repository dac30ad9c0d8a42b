"""Fixtures of the risk models' page: a synthetic population with both models trained (once per
test process, tests/risk/risk_kit), and a private copy of its risk folder per test."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.risk import risk_kit


@dataclass
class Registry:
    risk: Path  # the trained home's risk/ folder: models, reports; nothing approved or selected
    models: dict[str, str]  # kind -> model id


@pytest.fixture(scope="session")
def registry_risk(tmp_path_factory) -> Registry:
    base = tmp_path_factory.mktemp("riskmodels")
    home, *_, models = risk_kit.train_population(base)
    return Registry(home / "risk", models)


@pytest.fixture
def risk_home(registry_risk, tmp_path, monkeypatch) -> Path:
    """OPSPOR_HOME with a private copy of the trained models (no store: the page reads the registry)."""
    home = tmp_path / "home"
    shutil.copytree(registry_risk.risk, home / "risk")
    monkeypatch.setenv("OPSPOR_HOME", str(home))
    monkeypatch.delenv("OPSPOR_RISK_CONFIG", raising=False)
    return home
