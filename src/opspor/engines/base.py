"""What every engine is: a read-only view of one snapshot that answers SQL with Arrow tables.

SQL in opspor is written once, in DuckDB's spelling (by :mod:`opspor.rules.sql` and the other
builders, through :attr:`Engine.dialect`); :meth:`Engine.translate` turns it into the engine's own
SQL. The results are Arrow tables (:meth:`query`) or Python tuples (:meth:`rows`), the same
types from every engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from opspor.rules.sql import Dialect


class EngineError(Exception):
    """An engine cannot be made (bad connection string, a missing library, no snapshot ...)."""


class Engine:
    """A connection to one snapshot. Use as a context manager, or call :meth:`close`."""

    name: str = ""
    dialect: Dialect
    #: True for the reference engine: rules are evaluated in Python, not in SQL.
    reference: bool = False

    def __init__(self, url: str, snapshot_id: str | None = None) -> None:
        self.url = url
        self.snapshot_id = snapshot_id

    # -- SQL ------------------------------------------------------------------------------

    def translate(self, sql: str) -> str:
        """``sql`` (DuckDB's spelling) as this engine's SQL."""
        return sql

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        """Run ``sql`` (``?`` for each of ``params``) and return its result."""
        raise NotImplementedError

    def rows(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        """The result of ``sql`` as tuples of Python values."""
        table = self.query(sql, params)
        return list(zip(*(column.to_pylist() for column in table.columns), strict=True))

    def row(self, sql: str, params: Sequence[Any] | None = None) -> tuple | None:
        """The first row of ``sql``'s result (None when empty)."""
        found = self.rows(sql, params)
        return found[0] if found else None

    # -- tables ---------------------------------------------------------------------------

    def register(self, name: str, table: pa.Table) -> None:
        """Make ``table`` readable as ``name`` until :meth:`unregister` (or :meth:`close`)."""
        raise NotImplementedError

    def unregister(self, name: str) -> None:
        raise NotImplementedError

    def has_table(self, name: str) -> bool:
        raise NotImplementedError

    def populate(self, tables: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
        """Replace the snapshot tables by ones made from dicts (tests, examples):
        ``{"persons": [...], "contacts": [...]}``; columns not given take the defaults of
        :mod:`opspor.rules.inputs`, and ``identity`` is made from the persons."""
        from opspor.rules.inputs import arrow_tables

        for name, table in arrow_tables(**tables).items():
            self.register(name, table)

    def close(self) -> None:
        """Release the connection (and every registered table)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url} snapshot={self.snapshot_id}>"
