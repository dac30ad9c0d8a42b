"""Engines: objects that run opspor's SQL on a snapshot, made from a connection string.

====================================  ==========================================================
``duckdb://`` (or ``duckdb``)         DuckDB on the store's current snapshot (the default)
``duckdb:///path/file.duckdb``        DuckDB on that snapshot file (read-only)
``duckdb:///:memory:``                DuckDB, empty (tables from :meth:`Engine.populate`)
``reference://`` (``reference``, and  the reference engine: rules in plain Python, data read
``reference:///path``, ``:memory:``)  through DuckDB (:mod:`opspor.rules.reference_engine`)
``local[N]``, ``local[*]``, ``spark``  Apache Spark in this process (``spark``: ``local[*]``)
``spark://host:port``                 Apache Spark on a standalone cluster
``sc://host:port``                    Apache Spark through Spark Connect
====================================  ==========================================================

Spark reads the snapshot's open Parquet copy (``SnapshotStore.parquet_tables``). The default is
``$OPSPOR_ENGINE`` when set, else ``duckdb://``. ``snapshot=":memory:"`` gives any engine without
a snapshot (tests fill it with :meth:`Engine.populate`).
"""

from __future__ import annotations

import os
import re

from opspor.engines.base import Engine, EngineError

ENV = "OPSPOR_ENGINE"
DEFAULT = "duckdb://"
MEMORY = ":memory:"
FORMS = ("duckdb://", "duckdb:///path/file.duckdb", "duckdb:///:memory:", "reference://",
         "local[N]", "local[*]", "spark", "spark://host:port", "sc://host:port")

_LOCAL = re.compile(r"local(\[(\d+|\*)\])?")
_HOST_PORT = re.compile(r"(spark|sc)://[A-Za-z0-9.\-]+(:\d{1,5})?/?")


def default_url() -> str:
    return os.environ.get(ENV, "").strip() or DEFAULT


def bad_url(url: str, why: str = "") -> EngineError:
    return EngineError(
        f"engine {url!r} is not a connection string opspor knows{': ' + why if why else ''}. "
        f"Accepted forms: {', '.join(FORMS)} (option --engine or ${ENV})")


def kind(url: str) -> str:
    """``duckdb``, ``reference`` or ``spark``: which engine ``url`` names (raises on a bad one)."""
    return _parse(url)[0]


def _parse(url: str) -> tuple[str, str | None]:
    """(kind, location): a DuckDB file path / ``:memory:`` / None (the store's), or Spark's
    master URL."""
    url = url.strip()
    for name in ("duckdb", "reference"):
        if url == name or url == f"{name}://":
            return name, None
        if url.startswith(f"{name}:///"):
            path = url[len(f"{name}:///"):]
            if not path:
                raise bad_url(url, "no file after ':///'")
            return name, path if path == MEMORY else "/" + path
        if url.startswith(f"{name}:"):
            raise bad_url(url, f"write {name}:// (the current snapshot) or {name}:///path")
    if url == "spark":
        return "spark", "local[*]"
    if _LOCAL.fullmatch(url):
        if url.startswith("local[") and url[6:-1] not in ("*",) and int(url[6:-1]) < 1:
            raise bad_url(url, "local[N] needs N >= 1")
        return "spark", url
    if _HOST_PORT.fullmatch(url):
        return "spark", url.rstrip("/")
    raise bad_url(url)


def connect(url: str | None = None, *, store=None, snapshot: str | None = None) -> Engine:
    """The engine ``url`` names (default :func:`default_url`), on ``snapshot`` of ``store``
    (default: the current snapshot of ``$OPSPOR_HOME``'s store); ``snapshot=":memory:"``: none.
    Raises :class:`EngineError` for a bad URL and ``opspor.store.StoreError`` when there is no
    such snapshot."""
    url = url or default_url()
    name, where = _parse(url)
    if name in ("duckdb", "reference"):
        import duckdb

        from opspor.engines.duckdb import DuckDBEngine, ReferenceEngine

        cls = ReferenceEngine if name == "reference" else DuckDBEngine
        if where == MEMORY or snapshot == MEMORY:
            return cls(duckdb.connect(MEMORY), url)
        if where is not None:
            if not os.path.isfile(where):
                raise EngineError(f"engine {url!r}: no DuckDB file {where}")
            con = duckdb.connect(where, read_only=True)
            return cls(con, url, _meta_id(con))
        store = _store(store)
        snapshot = snapshot or store.current()
        return cls(store.connect(snapshot), url, snapshot)
    from opspor.engines.spark import SparkEngine

    engine = SparkEngine(where, url)
    if snapshot == MEMORY:
        return engine
    try:
        store = _store(store)
        engine.snapshot_id = snapshot = snapshot or store.current()
        tables = {name: str(path) for name, path in store.parquet_tables(snapshot).items()}
        tables["identity"] = str(store.identity_parquet(snapshot))
        engine.attach(tables)
    except BaseException:
        engine.close()
        raise
    return engine


def _store(store):
    if store is None:
        from opspor.store import SnapshotStore

        store = SnapshotStore()
    return store


def _meta_id(con) -> str | None:
    try:
        return con.execute("SELECT snapshot_id FROM _meta").fetchone()[0]
    except Exception:  # noqa: BLE001 - a DuckDB file that is not a snapshot has no _meta
        return None


__all__ = ["DEFAULT", "ENV", "Engine", "EngineError", "MEMORY", "connect", "default_url", "kind"]
