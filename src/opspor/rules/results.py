"""What the engines return: plain Python rows, in one order, so engines can be compared with ``==``.

Every engine builds these rows and sorts them with :func:`sort_lines` / :func:`sort_eligibility`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

import pyarrow as pa


@dataclass(frozen=True)
class ListLine:
    """One line of a department's daily list: one contact of a target-group patient."""

    department: str  # the list's department (contact_department of the presence contact)
    hospital_unit: str  # the list's hospital unit
    cpr: str | None
    name: str | None
    contact_id: str
    action_diagnosis: str | None
    course_department: str | None
    contact_department: str | None
    contact_start: datetime
    contact_end: datetime | None
    counted: bool  # this contact meets the counting definition (criteria and window)
    new_today: bool  # the patient was not on this department's list of the previous run day
    person_key: str  # pseudonymous key, for joins that must not use the CPR number

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class EligibilityRow:
    """One person with at least one inclusion route on the as-of date."""

    cpr: str | None
    region_code: str | None
    municipality_code: str | None
    routes: list[str]  # route ids, in the order of the rule file
    excluded: bool
    exclusion_reasons: list[str]  # reason codes, in the order of the rule file
    person_key: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


LIST_COLUMNS = tuple(f.name for f in fields(ListLine))
ELIGIBILITY_COLUMNS = tuple(f.name for f in fields(EligibilityRow))


def _k(value: Any) -> tuple[bool, Any]:
    return (value is None, value if value is not None else "")


def sort_lines(lines: list[ListLine]) -> list[ListLine]:
    return sorted(
        lines,
        key=lambda r: (
            _k(r.hospital_unit),
            _k(r.department),
            _k(r.person_key),
            _k(r.contact_start),
            _k(r.contact_id),
        ),
    )


def sort_eligibility(rows: list[EligibilityRow]) -> list[EligibilityRow]:
    return sorted(rows, key=lambda r: (_k(r.person_key),))


LIST_SCHEMA = pa.schema(
    [(name, pa.string()) for name in LIST_COLUMNS[:8]]
    + [
        ("contact_start", pa.timestamp("us")),
        ("contact_end", pa.timestamp("us")),
        ("counted", pa.bool_()),
        ("new_today", pa.bool_()),
        ("person_key", pa.string()),
    ]
)
ELIGIBILITY_SCHEMA = pa.schema(
    [
        ("cpr", pa.string()),
        ("region_code", pa.string()),
        ("municipality_code", pa.string()),
        ("routes", pa.list_(pa.string())),
        ("excluded", pa.bool_()),
        ("exclusion_reasons", pa.list_(pa.string())),
        ("person_key", pa.string()),
    ]
)


def to_arrow(rows: list[ListLine] | list[EligibilityRow], schema: pa.Schema) -> pa.Table:
    """Rows as an Arrow table (``LIST_SCHEMA`` or ``ELIGIBILITY_SCHEMA``), e.g. for Parquet."""
    return pa.Table.from_pylist([r.as_dict() for r in rows], schema=schema)
