"""Fixtures for the rule tests: the shipped rules and every engine (each test runs on all)."""

from __future__ import annotations

import pytest

from opspor.rules import ENGINES, load_aps_eligibility, load_repeated_acute


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
