"""Helpers for the risk tests: the real ``opspor`` command in a child process, with every output
checked for CPR numbers of the test population."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.support import assert_no_cpr

OPSPOR = str(Path(sys.executable).with_name("opspor"))
KEY = "risk-test-pseudonym-key"
# 3 years: the data end 2026-01-01, so the test as-of date is 2025-07-01 (6 months) and the
# training as-of dates 2024-01-01 ... 2024-10-01 (365 days of history each).
START, END = dt.date(2023, 1, 1), dt.date(2025, 12, 31)
PERSONS = 6_000
SEED = 3


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def test_config(folder: Path) -> Path:
    """A copy of the shipped model.yaml made cheaper for tests (fewer boosting iterations and
    bootstrap replicates); features.yaml and outcome.yaml stay the shipped ones."""
    from opspor.risk.config import CONFIG_DIR

    text = (CONFIG_DIR / "model.yaml").read_text(encoding="utf-8")
    for old, new in (
        ("max_iter: 300", "max_iter: 60"),
        ("bootstrap: 200", "bootstrap: 40"),
        ("learning_rate: 0.2", "learning_rate: 0.3"),
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


class Cli:
    """``opspor ...`` with OPSPOR_HOME = ``home``: in-process through Typer's runner (the real
    command, without the start-up cost of a new interpreter), or in a child process with
    ``.subprocess``. No output may hold a CPR number of the population, nor a traceback."""

    def __init__(self, home: Path, cprs: set[str]):
        self.home = home
        self.cprs = cprs

    def __call__(self, *args, expect: int | None = 0, env: dict | None = None) -> Result:
        from typer.testing import CliRunner

        from opspor.cli import app

        old = dict(os.environ)
        os.environ.clear()
        os.environ.update(env_for(self.home, env))
        try:
            r = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=True)
        finally:
            os.environ.clear()
            os.environ.update(old)
        if r.exception is not None and not isinstance(r.exception, SystemExit):
            raise r.exception
        return self._check(Result(r.exit_code, r.stdout, r.stderr), expect)

    def subprocess(
        self, *args, expect: int | None = 0, env: dict | None = None, timeout: float = 300
    ) -> Result:
        p = subprocess.run(
            [OPSPOR, *map(str, args)],
            capture_output=True,
            text=True,
            env=env_for(self.home, env),
            timeout=timeout,
            check=False,
        )
        return self._check(Result(p.returncode, p.stdout, p.stderr), expect)

    def _check(self, result: Result, expect: int | None) -> Result:
        # the known numbers only: model files and figures hold other runs of ten digits
        assert_no_cpr(result.stdout, result.stderr, cprs=self.cprs, shaped=False)
        assert "Traceback" not in result.output, result.output
        if expect is not None:
            assert result.returncode == expect, result.output
        return result
