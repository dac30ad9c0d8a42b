"""The DuckDB engine (embedded; the default) and its dialect: opspor's SQL is DuckDB's spelling,
so nothing is translated here."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

import duckdb
import pyarrow as pa

from opspor.engines.base import Engine
from opspor.rules import sql

MEMORY_LIMIT_ENV = "OPSPOR_MEMORY_LIMIT"  # the same setting as the loader's


class DuckDBDialect(sql.Dialect):
    def list_any(self, list_expr: str, var: str, predicate: str) -> str:
        # DuckDB >= 1.3 lambda syntax; NULL list -> NULL length -> FALSE; NULL elements are dropped.
        return f"COALESCE(len(list_filter({list_expr}, lambda {var}: {predicate})) > 0, FALSE)"

    def starts_with_any(self, expr: str, prefixes: tuple[str, ...]) -> str:
        # One anchored regular expression (RE2): 1.5-3x faster than the IN form here, most of
        # all inside list lambdas. NULL in, NULL out, as the IN form.
        pattern = "^(?:" + "|".join(re.escape(p) for p in prefixes) + ")"
        return f"regexp_matches({expr}, {self.string(pattern)})"

    def cte(self, name: str, body: str, inline: bool = False) -> str:
        # DuckDB stores a CTE read more than once; the existing-contact filters are cheaper to
        # scan again (only the columns each reader needs) than to store whole.
        return f"{name} AS {'NOT MATERIALIZED ' if inline else ''}({body})"


DIALECT = DuckDBDialect()


def configure(con: duckdb.DuckDBPyConnection) -> None:
    """No progress bar (it would go to the logs); ``OPSPOR_MEMORY_LIMIT`` (e.g. ``6GB``) when set."""
    con.execute("SET enable_progress_bar = false")
    limit = os.environ.get(MEMORY_LIMIT_ENV, "").strip()
    if limit:
        con.execute("SET memory_limit = ?", [limit])


class DuckDBEngine(Engine):
    """A DuckDB connection: to a snapshot file (read-only) or an in-memory database (tests)."""

    name = "duckdb"
    dialect = DIALECT

    def __init__(self, con: duckdb.DuckDBPyConnection, url: str, snapshot_id: str | None = None) -> None:
        super().__init__(url, snapshot_id)
        self.con = con
        configure(con)

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        return self.con.sql(sql, params=list(params) if params else None).to_arrow_table()

    def rows(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        return self.con.execute(sql, params or []).fetchall()

    def register(self, name: str, table: pa.Table) -> None:
        self.con.register(name, table)

    def unregister(self, name: str) -> None:
        self.con.unregister(name)

    def has_table(self, name: str) -> bool:
        return bool(self.con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND NOT internal", [name]
        ).fetchone()[0] or self.con.execute(
            "SELECT count(*) FROM duckdb_views() WHERE view_name = ? AND NOT internal", [name]
        ).fetchone()[0])

    def populate(self, tables: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
        """As :meth:`Engine.populate`, into stored tables (they have a ``rowid``, as a snapshot's)."""
        from opspor.rules.inputs import arrow_tables

        for name, table in arrow_tables(**tables).items():
            self.con.register("_opspor_rows", table)
            try:
                self.con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _opspor_rows")
            finally:
                self.con.unregister("_opspor_rows")

    def close(self) -> None:
        self.con.close()


class ReferenceEngine(DuckDBEngine):
    """The reference engine: reads the snapshot through DuckDB, evaluates rules in plain Python
    (:mod:`opspor.rules.reference_engine`), the meaning every other engine must reproduce."""

    name = "reference"
    reference = True
