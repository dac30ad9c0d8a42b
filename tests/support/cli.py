"""The real ``opspor`` command for a test's own home: in-process through Typer's runner (the same
command without the start-up of a new interpreter) or the installed command in a child process.
Every output is checked with ``assert_no_cpr`` and the exit code against ``expect``."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tests.support.privacy import assert_no_cpr

OPSPOR = str(Path(sys.executable).with_name("opspor"))


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str

    @property
    def exit_code(self) -> int:
        return self.returncode

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class Opspor:
    """``opspor ...`` with ``OPSPOR_HOME=home`` and ``OPSPOR_PSEUDONYM_KEY=key`` (``None``: not set
    by the runner); variables named in ``unset`` are removed from the inherited environment.
    ``cprs`` and ``names`` are the test data's persons, which no output may show (see
    ``assert_no_cpr``, also for ``shaped``)."""

    def __init__(self, home: Path, key: str | None, *, cprs: Iterable[str] = (), names: Iterable[str] = (),
                 shaped: bool = True, columns: int = 200, unset: Iterable[str] = ()):
        self.home = home
        self.key = key
        self.cprs, self.names = cprs, names  # read at each check: a kit may fill them later
        self.shaped = shaped
        self.columns = columns
        self.unset = tuple(unset)

    def env(self, extra: dict | None = None) -> dict:
        env = {**os.environ, "OPSPOR_HOME": str(self.home), "COLUMNS": str(self.columns)}
        if self.key is not None:
            env["OPSPOR_PSEUDONYM_KEY"] = self.key
        for name in self.unset:
            env.pop(name, None)
        return {**env, **(extra or {})}

    def __call__(self, *args, expect: int | None = 0, env: dict | None = None) -> Result:
        """In-process, in an environment of only ``OPSPOR_HOME``, ``OPSPOR_PSEUDONYM_KEY``,
        ``COLUMNS`` and ``env``; stdout and stderr apart. An exception other than an exit
        propagates."""
        from typer.testing import CliRunner

        from opspor.cli import app

        old = dict(os.environ)
        os.environ.clear()  # env() is read after this: in-process, only the variables it sets
        os.environ.update(self.env(env))
        try:
            r = CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)
        finally:
            os.environ.clear()
            os.environ.update(old)
        return self.check(Result(r.exit_code, r.stdout, r.stderr), expect)

    def subprocess(self, *args, expect: int | None = 0, env: dict | None = None,
                   timeout: float = 300) -> Result:
        """The installed command in a child process."""
        p = subprocess.run([OPSPOR, *map(str, args)], check=False, capture_output=True, text=True,
                           env=self.env(env), timeout=timeout)
        return self.check(Result(p.returncode, p.stdout, p.stderr), expect)

    def check(self, result: Result, expect: int | None) -> Result:
        assert_no_cpr(result.stdout, result.stderr, cprs=self.cprs, names=self.names, shaped=self.shaped)
        if expect is not None:
            assert result.returncode == expect, result.output
        return result
