"""The Apache Spark engine: opspor's SQL (DuckDB's spelling) transpiled by SQLGlot to Spark SQL,
run on a snapshot's open Parquet copy (temporary views named like the tables).

One Spark application per process (``local[N]``, ``spark://host:port``); each engine has its own
session of it (``newSession``: its own views and settings). Spark Connect (``sc://host:port``)
needs ``pyspark[connect]``. The settings below make Spark compute what DuckDB computes:

* ``spark.sql.timestampType=TIMESTAMP_NTZ`` and ``session.timeZone=UTC``: the store's timestamps
  have no zone (DuckDB ``TIMESTAMP``), so literals and arithmetic must not shift them;
* ``spark.sql.ansi.enabled=false``: division by zero gives NULL, as in DuckDB (ANSI raises);
* NULL ordering and ``//`` vs ``/`` are spelled out by SQLGlot (DuckDB sorts NULLs last).

And one for planning time: ``spark.sql.constraintPropagation.enabled=false``. Spark's optimizer
infers filters from every alias and CASE of a query; on the risk features' condition flags (13
CASE columns summed in a filter) it ran for more than five minutes before executing (2,000
persons); without it the query takes seconds. It changes no result.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import sqlglot
from sqlglot import exp

from opspor.engines.base import Engine, EngineError
from opspor.engines.duckdb import DuckDBDialect

SHUFFLE_PARTITIONS_ENV = "OPSPOR_SPARK_PARTITIONS"

# Session settings that make results identical to DuckDB's (see the module docstring).
SQL_SETTINGS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
    "spark.sql.ansi.enabled": "false",
    "spark.sql.constraintPropagation.enabled": "false",
}


class SparkDialect(DuckDBDialect):
    """DuckDB's spelling, steered away from what SQLGlot cannot translate: a list's ``len``
    becomes ``array_length`` (SQLGlot: ``SIZE``; ``len`` would become ``LENGTH``, strings only)."""

    def list_any(self, list_expr: str, var: str, predicate: str) -> str:
        return (f"COALESCE(array_length(list_filter({list_expr}, lambda {var}: {predicate})) > 0, "
                "FALSE)")


DIALECT = SparkDialect()


def _no_cte_hints(node: exp.Expression) -> exp.Expression:
    """Spark has no ``[NOT] MATERIALIZED`` CTE hint (it decides itself)."""
    if isinstance(node, exp.CTE) and node.args.get("materialized") is not None:
        node.set("materialized", None)
    return node


@functools.lru_cache(maxsize=256)
def to_spark(sql: str) -> str:
    """DuckDB SQL as Spark SQL (SQLGlot, plus :func:`_no_cte_hints`)."""
    try:
        trees = sqlglot.parse(sql, read="duckdb")
    except sqlglot.errors.ParseError as error:
        raise EngineError(f"SQLGlot cannot read this SQL for Spark: {error}") from error
    if len(trees) != 1:
        raise EngineError("one SQL statement at a time")
    return trees[0].transform(_no_cte_hints).sql(dialect="spark")


_LOCK = threading.Lock()
_BASE: dict[str, Any] = {}  # master URL -> the process's SparkSession for it


def base_session(master: str):
    """The process's Spark application for ``master`` (made once, reused: a JVM takes seconds)."""
    with _LOCK:
        if master in _BASE:
            return _BASE[master]
        try:
            from pyspark.sql import SparkSession
        except ImportError as error:  # pragma: no cover - pyspark is in the lock file
            raise EngineError("the Spark engine needs pyspark: pip install 'opspor[spark]'") from error
        if master.startswith("sc://"):
            try:
                session = SparkSession.builder.remote(master).getOrCreate()
            except ImportError as error:
                raise EngineError(
                    f"Spark Connect ({master}) needs pyspark's connect client: "
                    f"pip install 'pyspark[connect]' ({error})") from error
        else:
            builder = (
                SparkSession.builder.master(master).appName("opspor")
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.sql.shuffle.partitions",
                        os.environ.get(SHUFFLE_PARTITIONS_ENV, "4"))
            )
            for key, value in SQL_SETTINGS.items():
                builder = builder.config(key, value)
            session = builder.getOrCreate()
            session.sparkContext.setLogLevel("ERROR")
        _BASE[master] = session
        return session


class SparkEngine(Engine):
    """A Spark session reading one snapshot (or tables given by :meth:`populate`)."""

    name = "spark"
    dialect = DIALECT

    def __init__(self, master: str, url: str, snapshot_id: str | None = None) -> None:
        super().__init__(url, snapshot_id)
        base = base_session(master)
        self.session = base if master.startswith("sc://") else base.newSession()
        for key, value in SQL_SETTINGS.items():
            self.session.conf.set(key, value)
        self._views: set[str] = set()

    def attach(self, tables: dict[str, str]) -> None:
        """Read each Parquet file as a view named like its table."""
        for name, path in tables.items():
            self.session.read.parquet(str(path)).createOrReplaceTempView(name)
            self._views.add(name)

    def translate(self, sql: str) -> str:
        return to_spark(sql)

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        frame = self.session.sql(self.translate(sql), args=list(params) if params else None)
        return frame.toArrow()

    def register(self, name: str, table: pa.Table) -> None:
        self.session.createDataFrame(table).createOrReplaceTempView(name)
        self._views.add(name)

    def unregister(self, name: str) -> None:
        self.session.catalog.dropTempView(name)
        self._views.discard(name)

    def has_table(self, name: str) -> bool:
        return self.session.catalog.tableExists(name)

    def close(self) -> None:
        for name in list(self._views):
            self.unregister(name)
