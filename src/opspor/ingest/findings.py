"""The findings of a load: one row per rule broken (reject) or flagged (warning), in DuckDB.

Every check inserts into the temp table ``findings``; the report's groups, the row counts and
the files ``rejects.csv`` / ``warnings.csv`` are all read from it. Rows left out because they
repeat another row exactly are listed in ``dropped``.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pyarrow.csv as pacsv

from opspor import csv_safe
from opspor.ingest.drop import DropFileRef
from opspor.ingest.report import Group
from opspor.ingest.sql import lit, scalar

REJECT, WARNING = "reject", "warning"
CSV_COLUMNS = ("file", "line", "column", "value", "rule", "reason", "fix")
PLACES_SHOWN = 5


def create_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        CREATE TEMP TABLE findings (
            severity VARCHAR, file VARCHAR, line BIGINT, "column" VARCHAR, value VARCHAR,
            rule VARCHAR, message VARCHAR, reason VARCHAR, fix VARCHAR
        )
        """
    )
    con.execute("CREATE TEMP TABLE dropped (file VARCHAR, line BIGINT)")


def rejected_lines(ref: DropFileRef) -> str:
    """SQL: the lines of ``ref`` with at least one reject."""
    return f"SELECT DISTINCT line FROM findings WHERE severity = 'reject' AND file = {lit(ref.label)}"


def excluded_lines(ref: DropFileRef) -> str:
    """SQL: the lines of ``ref`` that are not loaded (rejected, or dropped as exact repeats)."""
    return f"{rejected_lines(ref)} UNION SELECT line FROM dropped WHERE file = {lit(ref.label)}"


def counts(con: duckdb.DuckDBPyConnection, ref: DropFileRef) -> tuple[int, int]:
    """(rows rejected, rows dropped as exact repeats)."""
    rejected = scalar(con, f"SELECT count(*) FROM ({rejected_lines(ref)})")
    dropped = scalar(con, f"SELECT count(*) FROM dropped WHERE file = {lit(ref.label)}")
    return rejected, dropped


def groups(con: duckdb.DuckDBPyConnection, severity: str, refs: dict[str, DropFileRef]) -> list[Group]:
    rows = con.execute(
        f"""
        SELECT file, "column", rule, message, fix, count(*) AS n, min(line, {PLACES_SHOWN}) AS lines
        FROM findings WHERE severity = ?
        GROUP BY ALL ORDER BY n DESC, rule, "column"
        """,
        [severity],
    ).fetchall()
    by_label = {ref.label: ref for ref in refs.values()}
    order = list(by_label)
    return sorted(
        (Group(file, column, rule, message, fix, n, [by_label[file].place(line) for line in sorted(lines)])
         for file, column, rule, message, fix, n, lines in rows),
        key=lambda g: order.index(g.file),  # stable: within a file, the most frequent first
    )


def write_csv(con: duckdb.DuckDBPyConnection, severity: str, path: Path) -> int:
    """Write the findings of one severity to ``path`` (mode 0600: values may be CPR numbers)."""
    columns = ", ".join(f'"{c}"' if c == "line" else f'{csv_safe.sql_cell(f"{chr(34)}{c}{chr(34)}")} AS "{c}"'
                        for c in CSV_COLUMNS)  # values come from the drop
    reader = con.sql(
        f"SELECT {columns} FROM findings WHERE severity = {lit(severity)} "
        'ORDER BY file, line, "column", rule'
    ).to_arrow_reader(100_000)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    written = 0
    with os.fdopen(fd, "wb") as f, pacsv.CSVWriter(f, reader.schema) as writer:
        for batch in reader:
            writer.write_batch(batch)
            written += batch.num_rows
    return written
