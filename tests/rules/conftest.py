"""Fixtures for the rule tests: the shipped rules and every engine (each test runs on all)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from opspor import rules
from opspor.engines import connect
from opspor.rules import load_aps_eligibility, load_repeated_acute
from opspor.rules.load import CONFIG_DIR

# Every engine the rules run on; Spark's tests are marked (`-m "not spark"` skips them).
ENGINES = ("reference", "duckdb", pytest.param("spark", marks=pytest.mark.spark))


class OnEngine:
    """An engine under test, called with the tables to put in it: the rule tests are written
    once and prove every engine."""

    def __init__(self, engine):
        self.engine, self.NAME = engine, engine.name

    def repeated_acute_list(self, tables, run_day, rule):
        self.engine.populate(tables)
        return rules.repeated_acute_list(self.engine, run_day, rule)

    def aps_eligibility(self, tables, as_of, rule):
        self.engine.populate(tables)
        return rules.aps_eligibility(self.engine, as_of, rule)


@pytest.fixture(scope="session")
def memory_engine(request):
    """An empty engine of each kind, made once per session (``populate`` replaces its tables)."""
    made = {}

    def get(name: str):
        if name == "spark":
            return request.getfixturevalue("spark_engine")
        if name not in made:
            made[name] = connect(f"{name}:///:memory:")
        return made[name]

    yield get
    for engine in made.values():
        engine.close()


@pytest.fixture(params=ENGINES)
def engine(request, memory_engine):
    return OnEngine(memory_engine(request.param))


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
