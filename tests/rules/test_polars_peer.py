"""The benchmark's Polars peer (benchmarks/polars_rules.py) computes what the DuckDB engine
computes, on a small generated drop loaded with the real loader: the speed figures of
benchmarks/bench_lists.py compare equal work."""

from __future__ import annotations

import datetime as dt
import shutil
import sys
from pathlib import Path

import polars as pl

from opspor.engines import connect
from opspor.ingest.load import run_load
from opspor.rules import (
    aps_eligibility,
    load_aps_eligibility,
    load_repeated_acute,
    repeated_acute_list,
)
from opspor.store import SnapshotStore
from opspor.synth import Options, generate

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import bench_lists
import polars_rules

DAY = dt.date(2025, 12, 31)


def test_polars_rules_equal_the_duckdb_engine(tmp_path, monkeypatch):
    drop = tmp_path / "drop"
    generate(Options(persons=10_000, start=dt.date(2024, 1, 1), end=DAY, seed=3, out=drop,
                     fmt="parquet", workers=1))
    shutil.rmtree(drop / "truth", ignore_errors=True)
    monkeypatch.setenv("OPSPOR_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("OPSPOR_PSEUDONYM_KEY", "polars-peer-test-key")
    assert "published" in str(run_load(drop).decision).lower()
    store = SnapshotStore(tmp_path / "home" / "store")
    rrule, erule = load_repeated_acute(), load_aps_eligibility()

    with connect("duckdb://", store=store) as engine:
        lines = bench_lists.canonical_lines(repeated_acute_list(engine, DAY, rrule))
        rows = bench_lists.canonical_eligibility(aps_eligibility(engine, DAY, erule))
        tables = {t: pl.from_arrow(engine.query(f"SELECT * FROM {t}")).lazy()
                  for t in ("contacts", "persons", "identity")}

    polars_lines = polars_rules.repeated_acute(tables["contacts"], tables["identity"], DAY, rrule)
    polars_rows = polars_rules.eligibility(tables["contacts"], tables["persons"], tables["identity"],
                                           DAY, erule)
    assert lines and rows  # the comparison is not between two empty results
    assert any(line[-2] for line in lines) and any(row[4] for row in rows)  # counted, excluded
    assert sorted(polars_lines) == sorted(lines)
    assert sorted(polars_rows) == sorted(rows)
