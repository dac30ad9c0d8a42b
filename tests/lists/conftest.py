"""Fixtures for the lists tests: the hand-made drop, the real ``opspor`` command (in-process
through Typer's runner, or as a subprocess), and a store with the drop loaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lists import lists_kit
from tests.support import Opspor, Result

KEY = "lists-test-pseudonym-key"


class Cli(Opspor):
    """``opspor ...`` with OPSPOR_HOME = ``home`` (in-process, or ``.subprocess``); no output may
    hold a CPR number or a name."""

    def __init__(self, home: Path):
        super().__init__(home, KEY, cprs=lists_kit.CPR.values(), names=lists_kit.NAMES.values(),
                         unset=("OPSPOR_LISTS_RUN_AT", "OPSPOR_LISTS_DEADLINE", "OPSPOR_MEMORY_LIMIT"))

@pytest.fixture
def home(tmp_path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def cli(home) -> Cli:
    return Cli(home)


@pytest.fixture
def drop(tmp_path) -> Path:
    return lists_kit.write_drop(tmp_path / "drop")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Result]:
    """``opspor lists build`` of the hand-made drop, once per module: (OUT_DIR, result)."""
    base = tmp_path_factory.mktemp("built")
    drop = lists_kit.write_drop(base / "drop")
    out = base / "out"
    result = Cli(base / "home").subprocess("lists", "build", drop, "--as-of", lists_kit.AS_OF,
                                           "--out", out)
    return out, result


@pytest.fixture
def loaded(cli, drop) -> Cli:
    """A store holding the hand-made drop."""
    cli("ingest", drop)
    return cli
