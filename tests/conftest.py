"""Shared fixtures: a private OPSPOR_HOME per test and a runner for the real ``opspor`` command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

OPSPOR = str(Path(sys.executable).with_name("opspor"))


@pytest.fixture
def opspor_bin() -> str:
    return OPSPOR


@pytest.fixture
def opspor_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("OPSPOR_HOME", str(home))
    monkeypatch.setenv("OPSPOR_PSEUDONYM_KEY", "test-pseudonym-key")
    return home


@pytest.fixture
def run_opspor(opspor_home):
    """Run the installed ``opspor`` command in a subprocess; returns the CompletedProcess."""

    def run(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
        full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
        return subprocess.run(
            [OPSPOR, *map(str, args)], capture_output=True, text=True, env=full_env, timeout=timeout
        )

    return run


@pytest.fixture(scope="session")
def spark_engine():
    """One Spark engine (local[2], no snapshot; tests fill it with ``populate``) for the whole
    session: Spark's JVM takes seconds to start, so every Spark test shares it."""
    from opspor.engines import connect

    engine = connect("local[2]", snapshot=":memory:")
    yield engine
    engine.close()
