"""Fixtures for the synthetic data generator: the real ``opspor synth`` command and one shared drop.

The command is taken from ``opspor.cli.app``. While other areas of the CLI are still being built
and that import fails, the same ``synth`` function is mounted on a local Typer app, so the tests
exercise the real command either way.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

try:  # the assembled CLI
    from opspor.cli import app as APP
except ImportError:  # other CLI modules not there yet: mount the synth command alone
    from opspor.cli import synth as _synth

    APP = typer.Typer()
    APP.callback()(lambda: None)
    APP.command("synth")(_synth.synth)

# The documented test population: 20,000 persons over 3 years, whole country, seed 7.
N_PERSONS = 20_000
START = dt.date(2023, 1, 1)
END = dt.date(2025, 12, 31)
SEED = 7


def run_synth(*args: str) -> object:
    result = CliRunner().invoke(APP, ["synth", *map(str, args)])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@dataclass
class Drop:
    path: Path
    persons: list[dict[str, str]]
    contacts: list[dict[str, str]]
    truth: list[dict[str, str]]
    header: dict[str, list[str]]


@pytest.fixture(scope="session")
def drop(tmp_path_factory) -> Drop:
    out = tmp_path_factory.mktemp("synth") / "drop"
    result = run_synth(
        "--persons", N_PERSONS, "--start", START, "--end", END, "--seed", SEED, "--out", out, "--workers", 1
    )
    assert result.exit_code == 0, result.output
    header = {}
    for name in ("persons", "contacts"):
        with open(out / f"{name}.csv", encoding="utf-8") as f:
            header[name] = f.readline().rstrip("\n").split(",")
    return Drop(
        out,
        read_csv(out / "persons.csv"),
        read_csv(out / "contacts.csv"),
        read_csv(out / "truth" / "ground_truth.csv"),
        header,
    )
