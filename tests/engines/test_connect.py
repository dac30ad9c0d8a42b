"""Engines from connection strings (opspor.engines.connect): every accepted form, and a clear
error naming the value and the accepted forms for every other, also through the CLI."""

from __future__ import annotations

import re

import pytest

from opspor.engines import EngineError, connect, kind
from opspor.store import SnapshotStore
from opspor.store.snapshots import NoSnapshot
from tests.support import Opspor


@pytest.mark.parametrize(("url", "expected"), [
    ("duckdb://", "duckdb"), ("duckdb", "duckdb"), ("duckdb:///srv/x.duckdb", "duckdb"),
    ("duckdb:///:memory:", "duckdb"), ("reference://", "reference"), ("reference", "reference"),
    ("local", "spark"), ("local[2]", "spark"), ("local[*]", "spark"), ("spark", "spark"),
    ("spark://master.example:7077", "spark"), ("sc://connect.example:15002", "spark"),
])
def test_accepted_forms(url, expected):
    assert kind(url) == expected


@pytest.mark.parametrize("url", [
    "postgres://x", "duckdb:/x", "duckdb:///", "local[0]", "local[two]", "spark://", "sc://a b:1",
    "Spark", "",
])
def test_a_bad_url_names_itself_and_the_accepted_forms(url):
    with pytest.raises(EngineError) as error:
        connect(url or " ")
    text = str(error.value)
    assert repr((url or " ").strip()) in text or repr(url or " ") in text
    assert "duckdb://" in text and "local[N]" in text and "sc://host:port" in text


def test_memory_engines_run_sql_on_populated_tables():
    for url in ("duckdb:///:memory:", "reference:///:memory:"):
        with connect(url) as engine:
            engine.populate({"persons": [{"cpr": "0101501234"}], "contacts": []})
            assert engine.rows("SELECT person_key, cpr FROM identity") == [("pk-0101501234", "0101501234")]
            assert engine.query("SELECT count(*) AS n FROM contacts").column("n").to_pylist() == [0]
            assert engine.reference == (url.startswith("reference"))


def test_a_duckdb_file_and_the_store_default(tmp_path):
    with pytest.raises(EngineError, match="no DuckDB file /nowhere/x.duckdb"):
        connect("duckdb:///nowhere/x.duckdb")
    with pytest.raises(NoSnapshot, match="has no snapshot yet"):
        connect("duckdb://", store=SnapshotStore(tmp_path / "store"))


def test_the_environment_names_the_default_engine(monkeypatch, tmp_path):
    monkeypatch.setenv("OPSPOR_ENGINE", "nonsense")
    with pytest.raises(EngineError, match="'nonsense'"):
        connect(store=SnapshotStore(tmp_path / "store"))


def _flat(text: str) -> str:
    """Typer's error box without its frame and line breaks."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


def test_the_cli_refuses_a_bad_engine_before_loading_anything(tmp_path):
    cli = Opspor(tmp_path / "home", "engine-test-key")
    result = cli.subprocess("lists", "build", tmp_path, "--as-of", "2024-06-03", "--out",
                            tmp_path / "out", "--engine", "postgres://db", expect=2)
    error = _flat(result.stderr)
    assert "'postgres://db'" in error and "local[N]" in error and "--engine" in error
    assert not (tmp_path / "out").exists() and not (tmp_path / "home" / "store").exists()
    result = cli.subprocess("alerts", "run", env={"OPSPOR_ENGINE": "local[0]"}, expect=2)
    assert "local[N] needs N >= 1" in _flat(result.stderr)
