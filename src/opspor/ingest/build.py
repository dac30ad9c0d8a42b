"""Building the new snapshot: the stored values of the rows to load, merged with the previous one."""

from __future__ import annotations

from pathlib import Path

import duckdb

from opspor import reference as ref
from opspor.ingest import findings, rules
from opspor.ingest.read import RawFile
from opspor.ingest.sql import lit, scalar
from opspor.store import schema
from opspor.store.schema import ident

# Snapshot table: (the drop file it is made from, the key by which a later drop replaces rows).
SOURCES = {"identity": ("persons", "person_key"), "persons": ("persons", "person_key"),
           "contacts": ("contacts", "contact_id")}


def typed_persons(con: duckdb.DuckDBPyConnection, raw: RawFile) -> str:
    """``typed_persons``: the person rows to load, with ``person_key`` and ``region_code``."""
    pairs = ", ".join(f"({lit(m.code)}, {lit(m.region_code)})" for m in ref.municipalities())
    con.execute(
        f"""
        CREATE TEMP TABLE typed_persons AS
        SELECT *, pseudonym(cpr) AS person_key FROM ({_stored_rows(raw)})
        NATURAL LEFT JOIN (VALUES {pairs}) AS _region(municipality_code, region_code)
        """
    )
    return "typed_persons"


def typed_contacts(con: duckdb.DuckDBPyConnection, raw: RawFile, identity: str) -> str:
    """``typed_contacts``: the contact rows to load, with the ``person_key`` found in ``identity``
    (every identity of the new snapshot; validation has made sure each contact has one)."""
    con.execute(
        f"""
        CREATE TEMP TABLE typed_contacts AS
        SELECT c.*, i.person_key FROM ({_stored_rows(raw)}) AS c LEFT JOIN {identity} AS i USING (cpr)
        """
    )
    if scalar(con, "SELECT count(*) FROM typed_contacts WHERE person_key IS NULL"):
        raise RuntimeError("internal error: a contact to load has no person")
    return "typed_contacts"


def _stored_rows(raw: RawFile) -> str:
    """SQL: the rows of a file to load (not rejected, not a repeat), with stored values."""
    values = ", ".join(
        f"{rules.kind(c).stored(ident(c.name), c)} AS {ident(c.name)}" for c in raw.ref.spec.columns
    )
    return f"SELECT line, {values} FROM {raw.table} ANTI JOIN ({findings.excluded_lines(raw.ref)}) USING (line)"


def merged_view(con: duckdb.DuckDBPyConnection, table: str, previous: str | None) -> str:
    """A view of a snapshot table as it will be: this drop's rows, then the previous rows kept."""
    source, key = SOURCES[table]
    columns = ", ".join(ident(c) for c in schema.column_names(table))
    sql = f"SELECT {columns} FROM typed_{source}"
    if previous:
        present = {r[0] for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = ? AND table_name = ?",
            [previous, table]).fetchall()}
        sql += (f" UNION ALL SELECT {schema.select_list(table, present)} FROM {previous}.{table} "
                f"ANTI JOIN typed_{source} USING ({key})")
    con.execute(f"CREATE OR REPLACE TEMP VIEW new_{table} AS {sql}")
    return f"new_{table}"


def row_counts(con: duckdb.DuckDBPyConnection, previous: str | None) -> dict[str, int]:
    """Rows per table of the snapshot as it will be (``previous``: the attached snapshot to merge
    with, None in replace mode)."""
    return {table: scalar(con, f"SELECT count(*) FROM {merged_view(con, table, previous)}")
            for table in ("persons", "contacts")}


def write_snapshot(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    previous: str | None,
    merge: bool,
    meta: dict,
    load: dict,
) -> dict[str, int]:
    """Write the snapshot file at ``path``; returns its row counts. ``previous`` is the attached
    previous snapshot: its rows are kept in merge mode, its load history always."""
    con.execute(f"ATTACH {lit(str(path))} AS snap")
    counts = {}
    for table in SOURCES:
        con.execute(schema.create_sql(table, "snap"))
        view = merged_view(con, table, previous if merge else None)
        con.execute(f"INSERT INTO snap.{table} SELECT * FROM {view}")
        counts[table] = scalar(con, f"SELECT count(*) FROM snap.{table}")
    con.execute(schema.create_sql("_loads", "snap"))
    if previous:
        con.execute(f"INSERT INTO snap._loads SELECT * FROM {previous}._loads")
    _insert_row(con, "snap._loads", "_loads", load)
    con.execute(schema.create_sql("_meta", "snap"))
    _insert_row(con, "snap._meta", "_meta", {
        **meta, **{f"{table}_rows": n for table, n in counts.items()},
    })
    con.execute("DETACH snap")
    return counts


def _insert_row(con: duckdb.DuckDBPyConnection, target: str, table: str, row: dict) -> None:
    names = schema.column_names(table)
    marks = ", ".join("?" for _ in names)
    con.execute(f"INSERT INTO {target} VALUES ({marks})", [row[name] for name in names])
