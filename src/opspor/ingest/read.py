"""Reading a drop file into DuckDB as text, with the line (CSV) or row (Parquet) of every row.

Every file becomes ``raw_<name>`` (a temp table, or a view over DuckDB's read of a CSV file): a
``line`` column and one VARCHAR column per contract column (NULL where the file lacks it). Typed
Parquet columns are turned into the contract's text forms, so one set of rules validates both
formats. Lines DuckDB cannot split into fields go straight to the findings as rejects.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa

from opspor.cpr import CPR_LIKE
from opspor.cpr import mask as mask_cpr
from opspor.ingest import rules
from opspor.ingest.drop import DropFileRef
from opspor.ingest.lines import LineMap, csv_module_line_map, lines_at, runs_upto
from opspor.ingest.progress import Progress
from opspor.ingest.report import DropRefused, Note, Problem
from opspor.ingest.sql import lit, scalar
from opspor.store.schema import ident

TIME_ZONE = "Europe/Copenhagen"
MAX_LINE_BYTES = 2_097_152
MAX_CASE_SHIFTS = 64  # up to this many line shifts, line numbers are a CASE on the fly


@dataclass(frozen=True)
class RawFile:
    ref: DropFileRef
    table: str
    rows_read: int


def read_columns(con: duckdb.DuckDBPyConnection, ref: DropFileRef) -> list[tuple[str, str]]:
    """(name, type) of the file's columns in file order; CSV columns are all VARCHAR."""
    if ref.format == "parquet":
        try:
            return [(r[0], r[1]) for r in con.execute(
                f"DESCRIBE SELECT * FROM read_parquet({lit(str(ref.path))})").fetchall()]
        except duckdb.Error as error:
            raise DropRefused([Problem(
                ref.label, f"not a readable Parquet file ({mask_cpr(str(error).splitlines()[0])})",
                "export the file again as Parquet, or deliver it as CSV",
            )]) from None
    with open(ref.path, "rb") as f:
        first = f.readline(MAX_LINE_BYTES)
    if not first.strip():
        raise DropRefused([Problem(
            f"{ref.label} line 1", "the header row is missing (the file or its first line is empty)",
            "start the file with a header row naming the columns, e.g. cpr,name,birth_date,...",
        )])
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError:
        raise DropRefused([Problem(
            f"{ref.label} line 1", "the header row is not valid UTF-8",
            "save the file as UTF-8 (in Excel: 'CSV UTF-8')",
        )]) from None
    header = text.lstrip("\ufeff").rstrip("\r\n")
    _check_separator(ref, header)
    names = next(csv.reader([header], delimiter=ref.delimiter))
    return [(name, "VARCHAR") for name in names]


def _check_separator(ref: DropFileRef, header: str) -> None:
    """Refuse a header split by the other usual separator than the one in use (a Danish Excel
    writes ';'): naming the separator beats a list of missing columns."""
    other = ";" if ref.delimiter == "," else ","
    if ref.delimiter in header or other not in header:
        return
    fix = "save as comma-separated or pass --delimiter ';'" if other == ";" else "leave out --delimiter (the default is `,`)"
    raise DropRefused([Problem(f"{ref.label} line 1 (header)", f"the separator is `{other}`", fix)])


def check_columns(ref: DropFileRef, found: list[str]) -> tuple[list[Problem], list[Note]]:
    """Missing required columns refuse the drop; unknown columns are ignored with a warning."""
    place = f"{ref.label} line 1 (header)" if ref.format == "csv" else f"{ref.label} (schema)"
    if any(CPR_LIKE.fullmatch(name.strip()) for name in found):  # never echo a data row
        return [Problem(
            place, "line 1 holds data (a CPR number), not column names: the header row is missing",
            "start the file with a header row naming the columns, e.g. cpr,name,birth_date,...",
        )], []
    problems, notes = [], []
    repeated = sorted(name for name, n in Counter(found).items() if n > 1)
    if repeated:
        problems.append(Problem(
            place, f"column(s) named more than once: {', '.join(repeated)}",
            "name every column once",
        ))
    known = {c.name for c in ref.spec.columns}
    missing = [name for name in ref.spec.required if name not in found]
    if missing:
        near = {m: f for m in missing for f in found if f.strip().lower() == m and f != m}
        hint = "".join(f"; rename '{f}' to '{m}'" for m, f in near.items())
        problems.append(Problem(
            place,
            f"missing required column(s): {', '.join(missing)} (columns found: {', '.join(found) or 'none'})",
            f"add the missing column(s) with exactly these names, lower case{hint} "
            "(see docs/data-contract.md)",
        ))
    unknown = [name for name in found if name not in known]
    if unknown:
        notes.append(Note("warning", f"{ref.label}: ignored unknown column(s): {', '.join(unknown)}"))
    return problems, notes


def load_raw(
    con: duckdb.DuckDBPyConnection,
    ref: DropFileRef,
    found: list[tuple[str, str]],
    line_map: LineMap | None,
    progress: Progress,
) -> RawFile:
    table = f"raw_{ref.spec.name}"
    with progress.step(f"Reading {ref.label}"):
        if ref.format == "parquet":
            _load_parquet(con, ref, found, table)
        else:
            _load_csv(con, ref, [name for name, _ in found], line_map, table)
    good = scalar(con, f"SELECT count(*) FROM {table}")
    unsplit = scalar(con, f"SELECT count(DISTINCT line) FROM findings WHERE file = {lit(ref.label)}")
    return RawFile(ref, table, good + unsplit)


def _contract_columns(ref: DropFileRef, source: dict[str, str]) -> str:
    """The contract's columns from the file's (``source``: contract name -> SQL), others NULL."""
    return ", ".join(
        f"{source[c.name] if c.name in source else 'NULL::VARCHAR'} AS {ident(c.name)}"
        for c in ref.spec.columns
    )


def _as_text(column: str, duck_type: str) -> str:
    """A typed Parquet value in the contract's text form (timestamps in Danish local time)."""
    if duck_type == "VARCHAR":
        return column
    if duck_type == "DATE":
        return f"strftime({column}, '%Y-%m-%d')"
    if duck_type.startswith("TIMESTAMP WITH TIME ZONE"):
        return f"strftime(timezone({lit(TIME_ZONE)}, {column}), '%Y-%m-%dT%H:%M:%S')"
    if duck_type.startswith("TIMESTAMP"):
        return f"strftime(CAST({column} AS TIMESTAMP), '%Y-%m-%dT%H:%M:%S')"
    return f"CAST({column} AS VARCHAR)"


def _load_parquet(con, ref: DropFileRef, found: list[tuple[str, str]], table: str) -> None:
    source = {name: _as_text(ident(name), duck_type) for name, duck_type in found}
    con.execute(
        f"""
        CREATE TEMP TABLE {table} AS
        SELECT file_row_number + 1 AS line, {_contract_columns(ref, source)}
        FROM read_parquet({lit(str(ref.path))}, file_row_number = true)
        """
    )


def _load_csv(con, ref: DropFileRef, names: list[str], line_map: LineMap, table: str) -> None:
    """Read with DuckDB (parallel, order kept), then number the lines (see ``lines.py``)."""
    positional = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(names)))
    csv_table = f"_csv_{ref.spec.name}"
    con.execute(
        f"""
        CREATE TEMP TABLE {csv_table} AS SELECT * FROM read_csv(
            {lit(str(ref.path))}, header = true, auto_detect = false, columns = {{{positional}}},
            delim = {lit(ref.delimiter)}, quote = '"', escape = '"', encoding = 'utf-8', strict_mode = true,
            null_padding = false, max_line_size = {MAX_LINE_BYTES},
            store_rejects = true, rejects_table = '_rej', rejects_scan = '_rej_scan')
        """
    )
    positions = np.array(
        [r[0] for r in con.execute("SELECT DISTINCT line_byte_position FROM _rej ORDER BY 1").fetchall()],
        dtype=np.int64,
    )
    good = scalar(con, f"SELECT count(*) FROM {csv_table}")
    con.execute("DROP TABLE _rej_scan")
    bad_lines = lines_at(ref.path, positions)
    if not _consistent(line_map, good, bad_lines):
        line_map = csv_module_line_map(ref.path)
        if not _consistent(line_map, good, bad_lines):
            raise DropRefused([Problem(
                ref.label, "the line structure of the file is ambiguous, so line numbers cannot be given",
                "check the file's quotes: a value with a line break or a comma must be in quotes, "
                'and a quote inside a quoted value is written as two quotes ("")',
            )])
    _insert_unsplit(con, ref, positions, bad_lines)
    records = np.sort(line_map.record_index(bad_lines))
    bad_shifts = runs_upto(records - np.arange(len(records)))  # good row -> record
    skip_shifts = line_map.skip_shifts()  # record -> line
    columns = _contract_columns(ref, {name: f"c{i}" for i, name in enumerate(names)})
    if len(bad_shifts[0]) + len(skip_shifts[0]) <= MAX_CASE_SHIFTS:  # the usual case: no copy
        con.execute(
            f"""
            CREATE TEMP VIEW {table} AS
            SELECT k + 2 + {_step('k', *skip_shifts)} AS line, {columns}
            FROM (SELECT rowid + {_step('rowid', *bad_shifts)} AS k, * FROM {csv_table})
            """
        )
        return
    _register_shifts(con, "_shift_bad", *bad_shifts)
    _register_shifts(con, "_shift_skip", *skip_shifts)
    con.execute(
        f"""
        CREATE TEMP TABLE {table} AS
        SELECT k + 2 + coalesce(s.n, 0) AS line, {columns}
        FROM (
            SELECT g + coalesce(b.n, 0) AS k, a.*
            FROM (SELECT rowid AS g, * FROM {csv_table}) AS a ASOF LEFT JOIN _shift_bad AS b ON a.g >= b.at
        ) ASOF LEFT JOIN _shift_skip AS s ON k >= s.at
        """
    )
    for temp in (csv_table, "_shift_bad", "_shift_skip"):
        con.execute(f"DROP TABLE {temp}")


def _step(variable: str, at: np.ndarray, n: np.ndarray) -> str:
    """SQL of a step function: ``n[i]`` for ``variable >= at[i]`` (the largest such i), else 0."""
    whens = " ".join(f"WHEN {variable} >= {a} THEN {b}" for a, b in zip(at[::-1], n[::-1], strict=True))
    return f"(CASE {whens} ELSE 0 END)" if whens else "0"


def _consistent(line_map: LineMap, good: int, bad_lines: np.ndarray) -> bool:
    starts_record = not np.isin(bad_lines, line_map.skip).any() and (bad_lines >= 2).all()
    return starts_record and line_map.n_records == good + len(bad_lines)


def _register_shifts(con, name: str, at: np.ndarray, n: np.ndarray) -> None:
    """A table (at, n): rows numbered >= ``at`` move ``n`` records or lines further down."""
    shifts = pa.table({"at": pa.array(at, pa.int64()), "n": pa.array(n, pa.int64())})
    con.register("_shifts_arrow", shifts)
    con.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM _shifts_arrow")
    con.unregister("_shifts_arrow")


def _insert_unsplit(con, ref: DropFileRef, positions: np.ndarray, lines: np.ndarray) -> None:
    """Rows DuckDB could not split into fields become rejects on their line."""
    con.register("_bad_lines", pa.table({"pos": positions, "line": lines}))
    cases = " ".join(
        f"WHEN {lit(error)} THEN [{lit(rule)}, {lit(message)}, {lit(fix)}]"
        for error, (rule, message, fix) in rules.PARSE_RULES.items()
    )
    other = "[" + ", ".join(lit(x) for x in rules.PARSE_OTHER) + "]"
    con.execute(
        f"""
        INSERT INTO findings
        SELECT 'reject', {lit(ref.label)}, b.line, '', left(first(r.csv_line), 1000),
               d[1], d[2], first(r.error_message), d[3]
        FROM (SELECT *, CASE CAST(error_type AS VARCHAR) {cases} ELSE {other} END AS d FROM _rej) AS r
        JOIN _bad_lines AS b ON r.line_byte_position = b.pos
        GROUP BY b.line, d
        """
    )
    con.unregister("_bad_lines")
    con.execute("DROP TABLE _rej")
