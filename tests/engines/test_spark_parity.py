"""The Spark engine gives DuckDB's results on a generated drop (`opspor synth`): the lists and
eligibility CSVs of `opspor lists build --engine local[2]` byte for byte, the indicators and the
data alerts value for value (floats too: both engines compute the same sums and counts in
doubles and the rates are made from them in Python, so no tolerance is needed)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from opspor.alerts.compute import compute as alerts
from opspor.engines import connect
from opspor.monitor.indicators import compute as indicators
from opspor.store import SnapshotStore
from tests.support import Opspor

pytestmark = pytest.mark.spark

AS_OF = "2024-11-04"
KEY = "spark-parity-key"


@pytest.fixture(scope="module")
def drop(tmp_path_factory) -> tuple[Path, Opspor]:
    base = tmp_path_factory.mktemp("spark")
    cli = Opspor(base / "home", KEY, shaped=False)
    cli.subprocess("synth", "--persons", "2000", "--start", "2023-01-01", "--end", "2024-12-31",
                   "--seed", "7", "--out", base / "drop")
    return base, cli


def _csvs(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.csv"))}


def test_lists_build_on_spark_writes_the_same_csv_bytes(drop):
    base, cli = drop
    started = time.perf_counter()
    cli.subprocess("lists", "build", base / "drop", "--as-of", AS_OF, "--out", base / "duckdb")
    duck = time.perf_counter() - started
    cli.subprocess("lists", "build", base / "drop", "--as-of", AS_OF, "--out", base / "spark",
                   "--engine", "local[2]")
    spark = time.perf_counter() - started - duck
    print(f"lists build: DuckDB {duck:.1f} s, Spark local[2] {spark:.1f} s (with the JVM's start)")
    expected = _csvs(base / "duckdb")
    assert len(expected) >= 2 and expected["aps-eligible.csv"].count(b"\n") > 10  # a list and the pool
    assert _csvs(base / "spark") == expected


def test_indicators_and_alerts_on_spark_are_duckdb_s_value_for_value(drop, monkeypatch):
    base, cli = drop
    cli.subprocess("ingest", base / "drop")
    monkeypatch.setenv("OPSPOR_HOME", str(base / "home"))
    store = SnapshotStore(base / "home" / "store")
    with connect("duckdb://", store=store) as duck, connect("local[2]", store=store) as spark:
        assert spark.snapshot_id == duck.snapshot_id == store.current()
        for period in ("year", "month"):
            expected = indicators(duck, period=period)
            got = indicators(spark, period=period)
            assert len(expected.rows) > 100
            assert got.rows == expected.rows and got.snapshot_id == expected.snapshot_id
        expected = alerts(duck)
        assert expected.results and alerts(spark).results == expected.results
