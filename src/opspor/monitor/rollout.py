"""Programme rollout: pure functions from plain rows to the tables the dashboards show.

The web app holds the rows (screenings, enrolments, sessions) and calls these functions; files
of the same rows (CSV with the field names as header) can be read with :func:`read_rows`.

* the package for repeated admissions: patients listed, screened and included per department
  and ISO week (:func:`screening_by_department_week`);
* Aktiv Patientstøtte: invited, consented, started, active and ended per region and nurse
  (:func:`enrolment_by_region_nurse`), caseload per nurse (its ``active`` column), intake
  against the planned intake (:func:`intake_against_plan`; 14,194 patients in 2016-2019, seed
  000:56-58), sessions held against planned (:func:`sessions_against_plan`), and the funnels.

Nothing here identifies a patient: rows carry dates and organisational fields, results are counts.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from dataclasses import MISSING, asdict, dataclass, fields
from pathlib import Path

from opspor import dates
from opspor.monitor.errors import MonitorError

INCLUDED = ("include", "mdt")  # screening decisions that count as included
DECISIONS = ("no_action", "include", "mdt")


@dataclass(frozen=True)
class Screening:
    """One patient on one department's daily list, and the specialist's decision (None: not
    screened yet)."""

    department: str
    listed_on: dt.date
    decision: str | None = None
    hospital_unit: str = ""
    category: str = ""  # elderly_multimorbid | social | substance_abuse (003:5403)


@dataclass(frozen=True)
class Enrolment:
    """One person's way through Aktiv Patientstøtte (dates; None: not reached)."""

    region: str
    nurse: str
    invited_on: dt.date | None = None
    consented_on: dt.date | None = None
    started_on: dt.date | None = None  # the physical start-up session
    ended_on: dt.date | None = None
    declined_on: dt.date | None = None


@dataclass(frozen=True)
class Session:
    region: str
    nurse: str
    planned_on: dt.date
    held_on: dt.date | None = None
    kind: str = "telephone"  # startup | telephone


@dataclass(frozen=True)
class IntakePlan:
    """The planned intake: ``total`` patients from ``start`` to ``end`` (inclusive), spread evenly
    over the days unless ``by_year`` gives the yearly numbers: then each year's number is spread
    over that year's days within the period (a month gets its days' share of its year)."""

    total: int = 14_194
    start: dt.date = dt.date(2016, 1, 1)
    end: dt.date = dt.date(2019, 12, 31)
    by_year: tuple[tuple[int, int], ...] = ()
    source: str = "Aktiv Patientstøtte: 14,194 patients expected in 2016-2019 (seed 000:56-58)"
    share: float = 1.0  # the part of the source's plan this plan is (a region's share by population)

    def planned_by(self, day: dt.date) -> float:
        """Planned cumulative intake by the end of ``day``."""
        if day < self.start:
            return 0.0
        if self.by_year:
            done = 0.0
            for year, n in sorted(self.by_year):
                y0, y1 = max(dt.date(year, 1, 1), self.start), min(dt.date(year, 12, 31), self.end)
                if day >= y1:
                    done += n
                elif day >= y0:
                    done += n * ((day - y0).days + 1) / ((y1 - y0).days + 1)
            return done
        days = (self.end - self.start).days + 1
        return self.total * min(days, (day - self.start).days + 1) / days

    @property
    def share_percent(self) -> float:
        return self.share * 100

    def scaled(self, share: float) -> IntakePlan:
        """The plan for a part of the programme (a region's share, e.g. by population)."""
        return IntakePlan(round(self.total * share), self.start, self.end,
                          tuple((y, round(n * share)) for y, n in self.by_year),
                          self.source, self.share * share)


def _iso_week(d: dt.date) -> tuple[str, dt.date]:
    y, w, _ = d.isocalendar()
    return f"{y}-W{w:02d}", d - dt.timedelta(days=d.weekday())


# --------------------------------------------------------------------------- the package


@dataclass(frozen=True)
class ScreeningWeek:
    department: str
    week: str  # ISO week, 2025-W09
    week_start: dt.date  # its Monday
    listed: int
    screened: int
    included: int
    no_action: int


def screening_by_department_week(rows: list[Screening]) -> list[ScreeningWeek]:
    """Patients listed, screened and included per department and ISO week of listing."""
    acc: dict[tuple[str, str, dt.date], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for r in rows:
        if r.decision is not None and r.decision not in DECISIONS:
            raise MonitorError(f"screening decision {r.decision!r}: use one of {', '.join(DECISIONS)} "
                               "or empty (not screened)")
        week, monday = _iso_week(r.listed_on)
        a = acc[(r.department, week, monday)]
        a[0] += 1
        a[1] += r.decision is not None
        a[2] += r.decision in INCLUDED
        a[3] += r.decision == "no_action"
    return [ScreeningWeek(d, w, m, *v) for (d, w, m), v in sorted(acc.items())]


def package_funnel(rows: list[Screening]) -> list[tuple[str, int]]:
    return [("listed", len(rows)), ("screened", sum(r.decision is not None for r in rows)),
            ("included", sum(r.decision in INCLUDED for r in rows))]


# --------------------------------------------------------------------------- Aktiv Patientstøtte


def _on(d: dt.date | None, as_of: dt.date) -> bool:
    return d is not None and d <= as_of


@dataclass(frozen=True)
class NurseRow:
    region: str
    nurse: str
    invited: int
    consented: int
    declined: int
    started: int
    active: int  # the nurse's caseload on the day
    ended: int


def enrolment_by_region_nurse(rows: list[Enrolment], as_of: dt.date) -> list[NurseRow]:
    """Per region and nurse, how many had reached each stage by ``as_of``; ``active`` = started
    and not ended by then (the caseload)."""
    acc: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * 6)
    for r in rows:
        a = acc[(r.region, r.nurse)]
        started = _on(r.started_on, as_of)
        ended = _on(r.ended_on, as_of)
        a[0] += _on(r.invited_on, as_of)
        a[1] += _on(r.consented_on, as_of)
        a[2] += _on(r.declined_on, as_of)
        a[3] += started
        a[4] += started and not ended
        a[5] += ended
    return [NurseRow(reg, nurse, *v) for (reg, nurse), v in sorted(acc.items())]


def totals_by_region(rows: list[NurseRow]) -> list[NurseRow]:
    acc: dict[str, list[int]] = defaultdict(lambda: [0] * 6)
    for r in rows:
        for i, f in enumerate(("invited", "consented", "declined", "started", "active", "ended")):
            acc[r.region][i] += getattr(r, f)
    return [NurseRow(reg, "", *v) for reg, v in sorted(acc.items())]


def aps_funnel(rows: list[Enrolment], as_of: dt.date) -> list[tuple[str, int]]:
    t = totals_by_region(enrolment_by_region_nurse(rows, as_of))
    s = {f: sum(getattr(r, f) for r in t) for f in ("invited", "consented", "started", "active", "ended")}
    return [(k, s[k]) for k in ("invited", "consented", "started", "active", "ended")]


@dataclass(frozen=True)
class IntakeRow:
    month: str  # 2017-03
    month_end: dt.date
    planned_cumulative: float
    started_cumulative: int
    consented_cumulative: int
    share_of_plan: float | None


def intake_against_plan(rows: list[Enrolment], plan: IntakePlan, as_of: dt.date,
                        first_month: dt.date | None = None) -> list[IntakeRow]:
    """Month by month up to ``as_of``: the planned cumulative intake and the persons started
    (the intake) and consented so far."""
    starts = sorted(r.started_on for r in rows if _on(r.started_on, as_of))
    consents = sorted(r.consented_on for r in rows if _on(r.consented_on, as_of))
    first = first_month or min([plan.start, *starts, *consents])
    month = dates.month_start(first)
    out = []
    while month <= as_of:
        end = min(dates.month_end(month), as_of)
        planned = plan.planned_by(end)
        started = sum(d <= end for d in starts)
        out.append(IntakeRow(f"{month:%Y-%m}", end, planned, started, sum(d <= end for d in consents),
                             started / planned if planned else None))
        month = dates.next_month(month)
    return out


@dataclass(frozen=True)
class SessionRow:
    region: str
    nurse: str
    planned: int  # planned on or before the day
    held: int
    missed: int  # planned before the day and not held
    held_share: float | None


def sessions_against_plan(rows: list[Session], as_of: dt.date) -> list[SessionRow]:
    acc: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for r in rows:
        if r.planned_on > as_of:
            continue
        a = acc[(r.region, r.nurse)]
        a[0] += 1
        a[1] += _on(r.held_on, as_of)
        a[2] += r.planned_on < as_of and not _on(r.held_on, as_of)
    return [SessionRow(reg, nurse, p, h, m, h / p if p else None) for (reg, nurse), (p, h, m) in sorted(acc.items())]


# --------------------------------------------------------------------------- files


def read_rows(path: Path, kind: type) -> list:
    """Rows of ``kind`` (Screening, Enrolment, Session) from a CSV file whose header names the
    fields; dates ISO, empty = None. Bad rows raise :class:`MonitorError` naming file and line."""
    types = {f.name: f.type for f in fields(kind)}
    required = [f.name for f in fields(kind) if f.default is MISSING]
    out = []
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise MonitorError(f"{path}: missing column(s) {', '.join(missing)}. Fix: the header must "
                               f"name the fields {', '.join(types)}")
        for line, raw in enumerate(reader, start=2):
            values = {}
            for name, typ in types.items():
                text = (raw.get(name) or "").strip()
                if "date" in str(typ):
                    try:
                        values[name] = dt.date.fromisoformat(text) if text else None
                    except ValueError:
                        raise MonitorError(f"{path}: line {line}, column {name}: {text!r} is not a date. "
                                           "Fix: write it as 2025-03-31") from None
                elif name == "decision":
                    values[name] = text or None
                else:
                    values[name] = text
            for name in required:
                if values.get(name) in (None, ""):
                    raise MonitorError(f"{path}: line {line}, column {name}: empty. Fix: fill it in")
            out.append(kind(**values))
    return out


def as_dicts(rows: list) -> list[dict]:
    return [asdict(r) for r in rows]
