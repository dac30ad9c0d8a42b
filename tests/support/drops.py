"""A drop as the data contract (``opspor.contract``) shapes it: ``persons`` and ``contacts`` files
with the contract's columns, in its order, as CSV or Parquet."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

from opspor.contract import CONTACTS, PERSONS


def write_csv(path: Path, rows: Iterable[dict], columns: Sequence[str]) -> Path:
    """``columns`` as the header, then one line per row; a missing or None value is empty."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else row[c] for c in columns])
    return path


def write_parquet(path: Path, rows: list[dict], columns: Sequence[str], types: dict | None = None) -> Path:
    """One string column per name (or the pyarrow type in ``types``); an empty value is null."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = types or {}
    arrays = {c: pa.array([None if r.get(c) in ("", None) else r.get(c) for r in rows],
                          type=types.get(c, pa.string()))
              for c in columns}
    pq.write_table(pa.table(arrays), path)
    return path


def write_drop(folder: Path, persons: Iterable[dict], contacts: Iterable[dict], fmt: str = "csv",
               person_columns: Sequence[str] | None = None,
               contact_columns: Sequence[str] | None = None) -> Path:
    """``persons.<fmt>`` and ``contacts.<fmt>`` in ``folder`` (made if missing), with the
    contract's columns unless other ones are given (to test a drop that breaks the contract)."""
    folder.mkdir(parents=True, exist_ok=True)
    write = write_csv if fmt == "csv" else write_parquet
    write(folder / f"persons.{fmt}", list(persons), person_columns or [c.name for c in PERSONS.columns])
    write(folder / f"contacts.{fmt}", list(contacts), contact_columns or [c.name for c in CONTACTS.columns])
    return folder


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))
