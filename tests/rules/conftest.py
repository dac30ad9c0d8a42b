"""Fixtures for the rule tests: the shipped rules and every engine (each test runs on all)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from opspor.rules import ENGINES, load_aps_eligibility, load_repeated_acute
from opspor.rules.load import CONFIG_DIR


@pytest.fixture(params=sorted(ENGINES))
def engine(request):
    """Each engine module in turn: tests written once prove every engine."""
    return ENGINES[request.param]


@pytest.fixture(scope="session")
def repeated_rule():
    return load_repeated_acute()


@pytest.fixture(scope="session")
def aps_rule():
    return load_aps_eligibility()


@pytest.fixture
def config(tmp_path) -> Path:
    """A writable copy of the shipped configuration."""
    for name in ("code_lists.yaml", "concepts.yaml", "repeated_acute.yaml", "aps_eligibility.yaml"):
        shutil.copy(CONFIG_DIR / name, tmp_path / name)
    return tmp_path

