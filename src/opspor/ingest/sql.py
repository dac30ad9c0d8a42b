"""SQL building blocks: literals, and the DuckDB versions of ``opspor.cpr``'s functions.

Validation and loading run set-based in DuckDB, so the CPR date part and the keyed pseudonym
need SQL forms. They are generated from ``opspor.cpr`` itself (the century table is computed by
``cpr.century``) and tested against it, so the Python functions stay the one definition.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import duckdb

from opspor import cpr

CPR_REGEX = "[0-9]{6}-?[0-9]{4}"  # cpr.CPR_PATTERN, limited to ASCII digits


def scalar(con: duckdb.DuckDBPyConnection, query: str, parameters: list | None = None):
    """The single value a query returns (fetched to the end, so the connection is free again)."""
    return con.execute(query, parameters).fetchall()[0][0]


def lit(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def lit_list(values: Iterable[str]) -> str:
    """``('a', 'b')`` for ``IN``."""
    return "(" + ", ".join(lit(v) for v in values) + ")"


def _century_sql(digit: str, yy: str) -> str:
    """SQL of ``cpr.century`` as text ('18', '19', '20') from the 7th digit and the two-digit
    year, both as text: written out from the function's own answers, digits with the same
    answers grouped. (Text comparisons: twice as fast as integer casts here.)"""
    rules: dict[str, list[str]] = {}
    for d in range(10):
        answers = [cpr.century(d, yy_) // 100 for yy_ in range(100)]
        runs, start = [], 0  # (last yy, century) for each run of equal answers
        for yy_ in range(1, 101):
            if yy_ == 100 or answers[yy_] != answers[start]:
                runs.append((yy_ - 1, answers[start]))
                start = yy_
        sql = "".join(f"WHEN {yy} <= '{last:02d}' THEN '{c}' " for last, c in runs[:-1])
        sql = f"CASE {sql}ELSE '{runs[-1][1]}' END" if sql else f"'{runs[-1][1]}'"
        rules.setdefault(sql, []).append(f"'{d}'")
    whens = " ".join(f"WHEN {digit} IN ({', '.join(ds)}) THEN {sql}" for sql, ds in rules.items())
    return f"(CASE {whens} END)"


def _blob(data: bytes) -> str:
    return "'" + "".join(f"\\x{b:02x}" for b in data) + "'::BLOB"


def create_macros(con: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """Define ``cpr_birth_date(v)`` and ``pseudonym(v)`` on a connection.

    ``cpr_birth_date`` expects a value matching ``CPR_REGEX`` and gives NULL for an impossible
    date; ``pseudonym`` is HMAC-SHA256 of the 10-digit form, as ``cpr.pseudonym``.
    """
    century = _century_sql("left(right(v, 4), 1)", "substr(v, 5, 2)")  # the 7th digit, YY
    con.execute(
        "CREATE OR REPLACE TEMP MACRO cpr_birth_date(v) AS TRY_CAST("
        f"{century} || substr(v, 5, 2) || '-' || substr(v, 3, 2) || '-' || substr(v, 1, 2) AS DATE)"
    )
    block = 64  # SHA-256 block size (RFC 2104)
    if len(key) > block:
        key = hashlib.sha256(key).digest()
    key = key.ljust(block, b"\0")
    inner = _blob(bytes(b ^ 0x36 for b in key))
    outer = _blob(bytes(b ^ 0x5C for b in key))
    con.execute(
        f"""
        CREATE OR REPLACE TEMP MACRO pseudonym(v) AS
            left(sha256({outer} || unhex(sha256({inner} || encode(replace(v, '-', ''))))), 16)
        """
    )
