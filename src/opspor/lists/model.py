"""What a day's build holds: the department lists (in reading order) and the eligibility rows.

The engines (:mod:`opspor.rules`) return flat, engine-ordered rows; :func:`department_lists`
groups the list lines by department and puts them in the order people read them:

* departments by hospital unit, then department;
* within a department, patients new today first, then the patient with the most recent
  contact first (then CPR number, for a stable order);
* within a patient, the newest contact first (then contact id).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from opspor.rules.results import EligibilityRow, ListLine


@dataclass(frozen=True)
class DepartmentList:
    hospital_unit: str
    department: str
    lines: tuple[ListLine, ...]

    @property
    def patients(self) -> int:
        return len({line.person_key for line in self.lines})

    @property
    def new_today(self) -> int:
        return len({line.person_key for line in self.lines if line.new_today})

    @property
    def counted_lines(self) -> int:
        return sum(line.counted for line in self.lines)


@dataclass(frozen=True)
class Build:
    """One day's lists and eligibility, computed on one snapshot with one version of the rules."""

    as_of: dt.date
    cutoff: dt.datetime  # C of the department lists
    previous_run_day: dt.date  # the list new_today compares with
    eligibility_reference_time: dt.datetime  # T of the eligibility
    snapshot_id: str | None
    departments: tuple[DepartmentList, ...]
    eligibility: tuple[EligibilityRow, ...]
    rules: dict = field(default_factory=dict)  # name -> version info (no data)
    route_ids: tuple[str, ...] = ()
    exclusion_reasons: tuple[str, ...] = ()
    latest_contact_start: dt.datetime | None = None  # newest contact start before the cut-off
    timings: dict = field(default_factory=dict)  # step -> seconds


def _desc(moment: dt.datetime) -> dt.timedelta:
    """A key that sorts later moments first (naive wall-clock times, no time-zone arithmetic)."""
    return dt.datetime.max - moment


def _newest_first(line: ListLine) -> tuple:
    # contact_start is never NULL (a contact with no start does not exist for the rules)
    return (_desc(line.contact_start), line.contact_id)


def department_lists(lines: Sequence[ListLine]) -> tuple[DepartmentList, ...]:
    """Group list lines by (hospital unit, department) in reading order (module doc)."""
    by_dept: dict[tuple[str, str], dict[str, list[ListLine]]] = {}
    for line in lines:
        key = (line.hospital_unit or "", line.department or "")
        by_dept.setdefault(key, {}).setdefault(line.person_key, []).append(line)
    out = []
    for (unit, department), patients in sorted(by_dept.items()):
        groups = [sorted(plines, key=_newest_first) for plines in patients.values()]
        groups.sort(
            key=lambda g: (
                not g[0].new_today,
                _desc(max(line.contact_start for line in g)),
                g[0].cpr or "",
                g[0].person_key,
            )
        )
        out.append(DepartmentList(unit, department, tuple(line for g in groups for line in g)))
    return tuple(out)
