"""Apply the per-column and per-row rules (``rules.py``) to a raw file, set-based."""

from __future__ import annotations

import duckdb

from opspor.contract import Column, DropFile
from opspor.ingest import rules
from opspor.ingest.read import RawFile
from opspor.ingest.sql import lit
from opspor.store.schema import ident


def finding(
    severity: str, column: str, value: str, rule: str, message: str, reason: str | None, fix: str
) -> str:
    """SQL struct of one finding; ``value`` and ``reason`` are SQL, the rest plain text."""
    return (
        f"{{'severity': {lit(severity)}, 'col': {lit(column)}, 'val': {value}, 'rule': {lit(rule)}, "
        f"'message': {lit(message)}, 'reason': {reason or lit(message)}, 'fix': {lit(fix)}}}"
    )


def _check_finding(check: rules.Check, column: Column) -> str:
    """SQL: the finding of a failed check, or of the first of its refinements that applies."""
    v = ident(column.name)
    found = finding("reject", column.name, v, check.rule, check.message,
                    check.reason(v) if check.reason else None, check.fix)
    if not check.refined_by:
        return found
    whens = " ".join(f"WHEN {r.fails(v)} THEN {_check_finding(r, column)}" for r in check.refined_by)
    return f"CASE {whens} ELSE {found} END"


def _column_findings(column: Column, spec: DropFile) -> str:
    """SQL: a list of the column's findings, or NULL: the first of its kind's checks the value
    breaks (a malformed date is not also called an impossible one); where it breaks none, every
    row check reported on the column that fails (a birth date in 2040 is both in the future and
    not the CPR number's date). The list may hold NULLs."""
    v = ident(column.name)
    rule, message, fix = rules.REQUIRED
    on_missing = f"[{finding('reject', column.name, v, rule, message, None, fix)}]" if column.required else "NULL"
    whens = [f"WHEN {rules.missing(v)} THEN {on_missing}"] + [
        f"WHEN coalesce({c.fails(v)}, true) THEN [{_check_finding(c, column)}]"
        for c in rules.kind(column).checks(column)
    ]
    stored = {  # the other columns' values where valid, else NULL: row checks see valid values
        c.name: _stored(c) if c == column else f"(CASE WHEN {rules.kind(c).valid(ident(c.name), c)} "
        f"THEN {_stored(c)} END)"
        for c in spec.columns
    }
    row_findings = [
        f"CASE WHEN coalesce({check.fails(stored)}, false) THEN "
        + finding(check.severity, column.name, v, check.rule, check.message,
                  check.reason(stored) if check.reason else None, check.fix) + " END"
        for check in rules.ROW_CHECKS
        if check.file == spec.name and check.column == column.name
    ]
    if row_findings:
        whens.append(f"ELSE [{', '.join(row_findings)}]")
    return f"CASE {' '.join(whens)} END"


def _stored(column: Column) -> str:
    return rules.kind(column).stored(ident(column.name), column)


def check_rows(con: duckdb.DuckDBPyConnection, raw: RawFile) -> None:
    """Insert a finding for every rule each row breaks (at most one reject per column, and every
    warning of a valid value).

    One branch per column, each computing only what it needs (cheaper than one pass building a
    list of findings for every row), in one statement.
    """
    spec = raw.ref.spec
    branches = [f"SELECT line, unnest({_column_findings(c, spec)}) AS f FROM {raw.table}" for c in spec.columns]
    con.execute(
        f"""
        INSERT INTO findings
        SELECT f.severity, {lit(raw.ref.label)}, line, f.col, f.val, f.rule, f.message, f.reason, f.fix
        FROM ({" UNION ALL ".join(branches)}) WHERE f IS NOT NULL
        """
    )
