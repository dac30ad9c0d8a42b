"""Fixtures for the lists tests: the hand-made drop, the real ``opspor`` command (in-process
through Typer's runner, or as a subprocess), and a store with the drop loaded."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))  # for lists_kit

import lists_kit

from opspor.cli import app

OPSPOR = str(Path(sys.executable).with_name("opspor"))
KEY = "lists-test-pseudonym-key"


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def _env(home: Path, extra: dict | None = None) -> dict:
    env = {**os.environ, "OPSPOR_HOME": str(home), "OPSPOR_PSEUDONYM_KEY": KEY, "COLUMNS": "200"}
    for name in ("OPSPOR_LISTS_RUN_AT", "OPSPOR_LISTS_DEADLINE", "OPSPOR_MEMORY_LIMIT"):
        env.pop(name, None)
    return {**env, **(extra or {})}


class Cli:
    """``opspor ...`` with OPSPOR_HOME = ``home``; every output is checked for CPR numbers."""

    def __init__(self, home: Path):
        self.home = home

    def __call__(self, *args, expect: int | None = 0, env: dict | None = None) -> Result:
        """In-process (Typer's CliRunner), stdout and stderr apart."""
        runner = CliRunner()
        old = dict(os.environ)
        os.environ.clear()
        os.environ.update(_env(self.home, env))
        try:
            r = runner.invoke(app, [str(a) for a in args], catch_exceptions=False)
        finally:
            os.environ.clear()
            os.environ.update(old)
        result = Result(r.exit_code, r.stdout, r.stderr)
        return self._check(result, expect)

    def subprocess(self, *args, expect: int | None = 0, env: dict | None = None,
                   timeout: float = 120) -> Result:
        """The installed ``opspor`` command in a child process."""
        p = subprocess.run([OPSPOR, *map(str, args)], check=False, capture_output=True, text=True,
                           env=_env(self.home, env), timeout=timeout)
        return self._check(Result(p.returncode, p.stdout, p.stderr), expect)

    @staticmethod
    def _check(result: Result, expect: int | None) -> Result:
        lists_kit.assert_no_cpr(result.stdout, result.stderr)
        if expect is not None:
            assert result.exit_code == expect, result.output
        return result


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
