"""The Spark engine gives DuckDB's results on a generated drop (`opspor synth`): the lists and
eligibility CSVs of `opspor lists build --engine local[2]` byte for byte, the indicators and the
data alerts value for value (floats too: both engines compute the same sums and counts in
doubles and the rates are made from them in Python, so no tolerance is needed), the risk
features and outcome value for value (the sums of decayed recency add doubles in another order:
equal to float32's precision), and `opspor risk score --engine local[2]` the same ranking."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from opspor.alerts.compute import compute as alerts
from opspor.engines import connect
from opspor.monitor.indicators import compute as indicators
from opspor.risk import outcome, settings
from opspor.risk.features import FeatureSet
from opspor.risk.outcome import data_period
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


@pytest.fixture(scope="module")
def store(drop) -> SnapshotStore:
    base, cli = drop
    cli.subprocess("ingest", base / "drop")
    return SnapshotStore(base / "home" / "store")


def test_indicators_and_alerts_on_spark_are_duckdb_s_value_for_value(drop, store, monkeypatch):
    base, _ = drop
    monkeypatch.setenv("OPSPOR_HOME", str(base / "home"))
    with connect("duckdb://", store=store) as duck, connect("local[2]", store=store) as spark:
        assert spark.snapshot_id == duck.snapshot_id == store.current()
        for period in ("year", "month"):
            expected = indicators(duck, period=period)
            got = indicators(spark, period=period)
            assert len(expected.rows) > 100
            assert got.rows == expected.rows and got.snapshot_id == expected.snapshot_id
        expected = alerts(duck)
        assert expected.results and alerts(spark).results == expected.results


def test_risk_features_and_outcome_on_spark_are_duckdb_s(store):
    cfg = settings.load()
    fs = FeatureSet(cfg.features)
    as_of = dt.date.fromisoformat(AS_OF)
    with connect("duckdb://", store=store) as duck, connect("local[2]", store=store) as spark:
        expected, got = fs.compute(duck, as_of), fs.compute(spark, as_of)
        assert len(expected) > 1500 and got.person_key.equals(expected.person_key)
        assert got.region_code.equals(expected.region_code)
        for i, name in enumerate(fs.names):
            assert np.count_nonzero(expected.X[:, i] != fs.defaults()[i]) or name.startswith(("cond_", "acute_stay")), name
            np.testing.assert_allclose(got.X[:, i], expected.X[:, i], rtol=1e-6, atol=0, equal_nan=True,
                                       err_msg=name)
        readmissions = [n for n in fs.names if n.startswith("readmissions_")]
        assert expected.column(readmissions[0]).sum() > 0  # the window query is exercised
        early = dt.date(2023, 11, 1)  # a window inside the data
        period = data_period(duck)
        want = outcome.compute(duck, early, cfg.outcome, period)
        have = outcome.compute(spark, early, cfg.outcome, data_period(spark))
        assert want.y.sum() > 10 and have.person_key.equals(want.person_key)
        assert np.array_equal(have.y, want.y) and np.array_equal(have.died, want.died)


def test_risk_score_on_spark_ranks_as_duckdb(drop, store):
    base, cli = drop
    trained = cli.subprocess("risk", "train", timeout=1200).stdout
    model = next(line.split()[2] for line in trained.splitlines() if line.startswith("model boosted:"))
    scored = {}
    for engine in ("duckdb://", "local[2]"):  # an explicit model: scoring needs no model in use
        cli.subprocess("risk", "score", "--as-of", AS_OF, "--model", model, "--engine", engine)
        folder = max((base / "home" / "risk" / "scores").iterdir(), key=lambda p: p.stat().st_mtime)
        scored[engine] = pq.read_table(folder / "scores.parquet").sort_by("person_key")
    duck, spark = scored["duckdb://"], scored["local[2]"]
    assert duck.num_rows > 1500 and spark.column("person_key").equals(duck.column("person_key"))
    np.testing.assert_allclose(spark.column("score").to_numpy(), duck.column("score").to_numpy(), rtol=1e-6)
