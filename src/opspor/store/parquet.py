"""A snapshot's open copy: one Parquet file per table and a manifest, readable without DuckDB.

Written from a snapshot's closed DuckDB file (DuckDB streams Arrow batches, pyarrow writes them with
ZSTD under a fixed schema: DuckDB's own ``COPY`` marks a column "required" whenever it happens to
hold no null, so the schema would change from one snapshot to the next). Read back by anything
that reads Parquet (pyarrow, Spark, Polars, R's arrow, ...). Two places::

    parquet/<id>/persons.parquet, contacts.parquet, meta.parquet, loads.parquet, manifest.json
    identity/<id>.parquet          CPR numbers and names: apart, folder 0700, file 0400

The open folder holds every table but ``identity``: the pseudonymised ``persons`` and
``contacts`` the rules read, and ``_meta`` / ``_loads`` that name the snapshot and its drops
(indicators cite them). Those two are written as ``meta.parquet`` and ``loads.parquet``: Spark,
Hive and Hadoop tools skip files whose names begin with ``_``, even when named explicitly. The
manifest names each table's file, its rows, SHA-256 and columns, so a reader needs nothing else.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from opspor.digests import sha256_file
from opspor.store import schema
from opspor.store.schema import ident

FORMAT = "opspor-snapshot-parquet"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
IDENTITY = "identity"
OPEN_TABLES = ("persons", "contacts", "_meta", "_loads")
ROW_GROUP_ROWS = 122_880  # DuckDB's own; small enough for parallel reads on 2 cores, big enough for ZSTD
FILE_MODE, FOLDER_MODE, IDENTITY_FOLDER_MODE = 0o400, 0o500, 0o700


def file_name(table: str) -> str:
    """``persons.parquet``; ``meta.parquet`` for ``_meta`` (no leading ``_``, see the module)."""
    return f"{table.lstrip('_')}.parquet"


def write(source: Path, folder: Path, identity: Path) -> dict:
    """Write the copy of the snapshot file ``source``: the open tables and ``manifest.json`` into
    the new ``folder``, the identity table to ``identity``; every file 0400 (the caller flushes
    them to disk and moves them into place). Returns the manifest."""
    folder.mkdir()
    with duckdb.connect(str(source), read_only=True) as con:
        [row] = con.execute("SELECT snapshot_id, parent_id, created_at FROM _meta").fetchall()
        meta = dict(zip(("snapshot_id", "parent_id", "created_at"), row, strict=True))
        for table in OPEN_TABLES:
            _copy(con, table, folder / file_name(table))
        _copy(con, IDENTITY, identity)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "snapshot_id": meta["snapshot_id"],
        "parent_id": meta["parent_id"],
        "created_at": meta["created_at"].isoformat() + "Z",
        "tables": [_describe(table, folder / file_name(table)) for table in OPEN_TABLES],
        "identity": _describe(IDENTITY, identity) | {"file": None},  # kept apart, not in this folder
    }
    path = folder / MANIFEST
    with open(path, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    for written in (*folder.iterdir(), identity):
        os.chmod(written, FILE_MODE)
    return manifest


def read_manifest(folder: Path) -> dict:
    return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))


def problems(folder: Path, identity: Path, expected_rows: dict[str, int] | None = None) -> list[str]:
    """What does not match the manifest in ``folder``: each file's rows, SHA-256 and mode, the
    folders' modes, files the manifest does not name; ``expected_rows`` (table -> rows, from the
    snapshot's ``_meta``) are compared too. Empty when the copy is intact."""
    found = []
    try:
        manifest = read_manifest(folder)
    except FileNotFoundError:
        return [f"{folder / MANIFEST} is missing"]
    except ValueError as error:
        return [f"{folder / MANIFEST} is not valid JSON ({error})"]
    try:
        entries = [(entry, folder / entry["file"]) for entry in manifest["tables"]
                   if entry["table"] in schema.TABLES and Path(entry["file"]).name == entry["file"]]
        if manifest["format"] != FORMAT or len(entries) != len(manifest["tables"]):
            raise ValueError
        entries.append((manifest["identity"], identity))
    except (KeyError, TypeError, ValueError):
        return [f"{folder / MANIFEST} is not an opspor snapshot manifest (format {FORMAT})"]
    for entry, path in entries:
        found.extend(_file_problems(entry, path, (expected_rows or {}).get(entry["table"])))
    named = {MANIFEST, *(entry["file"] for entry in manifest["tables"])}
    found.extend(f"{path} is not named in {folder / MANIFEST}"
                 for path in sorted(folder.iterdir()) if path.name not in named)
    for path, mode in ((folder / MANIFEST, FILE_MODE), (folder, FOLDER_MODE), (identity.parent, IDENTITY_FOLDER_MODE)):
        found.extend(_mode_problem(path, mode))
    return found


def _file_problems(entry: dict, path: Path, expected_rows: int | None) -> list[str]:
    if not path.exists():
        return [f"{path} ({entry['table']}) is missing"]
    found = []
    try:
        rows = pq.read_metadata(path).num_rows
    except (pa.ArrowException, OSError) as error:
        rows = None
        found.append(f"{path} is not a readable Parquet file ({error})")
    if rows is not None and rows != entry["rows"]:
        found.append(f"{path} holds {rows:,} rows, the manifest says {entry['rows']:,}")
    if expected_rows is not None and entry["rows"] != expected_rows:
        found.append(f"{path}: the manifest says {entry['rows']:,} rows, the snapshot's _meta {expected_rows:,}")
    if sha256_file(path) != entry["sha256"]:
        found.append(f"{path} has changed: its SHA-256 is not the manifest's {entry['sha256'][:16]}…")
    return found + _mode_problem(path, FILE_MODE)


def _mode_problem(path: Path, mode: int) -> list[str]:
    actual = stat.S_IMODE(path.stat().st_mode)
    return [] if actual == mode else [f"{path} has mode {actual:04o}, not {mode:04o}"]


ARROW_TYPES = {"VARCHAR": pa.string(), "DATE": pa.date32(), "TIMESTAMP": pa.timestamp("us"),
               "VARCHAR[]": pa.list_(pa.string()), "DOUBLE": pa.float64(), "BIGINT": pa.int64()}


def arrow_schema(table: str) -> pa.Schema:
    """The Arrow schema of a table's file: the store's types, every column nullable."""
    return pa.schema([(name, ARROW_TYPES[kind]) for name, kind in schema.TABLES[table]])


def _copy(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> None:
    columns = ", ".join(ident(name) for name in schema.column_names(table))
    target = arrow_schema(table)
    batches = con.sql(f"SELECT {columns} FROM {ident(table)}").to_arrow_reader(ROW_GROUP_ROWS)
    with pq.ParquetWriter(path, target, compression="zstd") as writer:
        for batch in batches:
            writer.write_batch(batch.cast(target), row_group_size=ROW_GROUP_ROWS)


def _describe(table: str, path: Path) -> dict:
    arrow = pq.read_schema(path)
    kinds = dict(schema.TABLES[table])
    return {
        "table": table,
        "file": path.name,
        "rows": pq.read_metadata(path).num_rows,
        "bytes": path.stat().st_size,
        "sha256": sha256_file(path),
        "columns": [{"name": field.name, "type": kinds[field.name], "arrow": str(field.type)} for field in arrow],
    }

