"""Fixtures for the synthetic data generator: the real ``opspor synth`` command and one shared drop."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from opspor.cli import app as APP
from tests.support import read_csv

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
