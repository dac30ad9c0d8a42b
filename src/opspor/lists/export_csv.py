"""The machine-readable outputs: CSV files and the file names of the department lists.

All CSV writing of the lists happens here. Files are UTF-8 without BOM, comma-separated, one
header row, ``\\n`` line ends, text that a spreadsheet would run as a formula neutralised
(``opspor.csv_safe``), quoted only where needed (the data contract's CSV). Empty cell =
NULL; booleans ``true`` / ``false``; timestamps ``YYYY-MM-DDTHH:MM:SS`` (local Danish time, as
in the data contract; fractions of a second are dropped); lists ``;``-separated.

File names of department lists (``safe_name``): characters ``A-Z a-z 0-9 -`` are kept; every
other character (space, ``_``, ``.``, ``/``, Danish letters, ...) becomes ``_`` followed by the
two upper-case hex digits of each of its UTF-8 bytes (``Æ`` -> ``_C3_86``, space -> ``_20``,
``_`` -> ``_5F``). The mapping is one-to-one, so two departments never share a file, and
``__`` (the separator between unit and department) cannot occur inside an encoded part. An
empty name is written ``_``. A name longer than 100 characters after encoding is cut to 91 and
ends in ``-`` and 8 hex digits of its SHA-256, to stay within file-system limits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path

from opspor import csv_safe
from opspor.lists.model import DepartmentList
from opspor.rules.results import EligibilityRow, ListLine

LIST_DIR = "repeated-acute"
ELIGIBILITY_FILE = "aps-eligible.csv"

LIST_CSV_COLUMNS = (
    "department",
    "hospital_unit",
    "cpr",
    "name",
    "contact_id",
    "action_diagnosis",
    "course_department",
    "contact_department",
    "contact_start",
    "contact_end",
    "counted",
    "new_today",
)
ELIGIBILITY_CSV_COLUMNS = (
    "cpr",
    "region_code",
    "municipality_code",
    "routes",
    "excluded",
    "exclusion_reasons",
)

_KEEP = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-")
_MAX_PART = 100


def safe_name(name: str | None) -> str:
    """``name`` as a file-name part that is safe on every file system (see the module doc)."""
    if not name:
        return "_"
    out = "".join(
        ch if ch in _KEEP else "".join(f"_{b:02X}" for b in ch.encode("utf-8")) for ch in name
    )
    if len(out) > _MAX_PART:
        out = out[: _MAX_PART - 9] + "-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    return out


def list_file_name(hospital_unit: str | None, department: str | None) -> str:
    """``<hospital_unit>__<department>.csv`` with both parts made safe."""
    return f"{safe_name(hospital_unit)}__{safe_name(department)}.csv"


def cell(value: object) -> str:
    """One CSV cell in the output format."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return ";".join(str(v) for v in value)
    return str(value)


def _write(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    n = 0
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv_safe.writer(f, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([cell(v) for v in row])
            n += 1
    return n


def list_row(line: ListLine) -> tuple[object, ...]:
    return tuple(getattr(line, name) for name in LIST_CSV_COLUMNS)


def write_department_csv(folder: Path, dept: DepartmentList) -> Path:
    path = folder / LIST_DIR / list_file_name(dept.hospital_unit, dept.department)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write(path, LIST_CSV_COLUMNS, (list_row(line) for line in dept.lines))
    return path


def eligibility_row(row: EligibilityRow) -> tuple[str, ...]:
    """The CSV cells of one eligibility row (written out for speed: a region has ~10^5 rows,
    the country ~10^6; same format as :func:`cell`)."""
    return (
        row.cpr or "",
        row.region_code or "",
        row.municipality_code or "",
        ";".join(row.routes),
        "true" if row.excluded else "false",
        ";".join(row.exclusion_reasons),
    )


def write_eligibility_csv(folder: Path, rows: Sequence[EligibilityRow]) -> Path:
    path = folder / ELIGIBILITY_FILE
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv_safe.writer(f, lineterminator="\n")
        writer.writerow(ELIGIBILITY_CSV_COLUMNS)
        writer.writerows(eligibility_row(r) for r in rows)
    return path
