"""The monitoring-task register of the follow-up groups (*følgegrupper*): the domain logic.

The web app stores the register (Django models) and feeds rows to these plain dataclasses;
the example register for the synthetic region is ``config/monitoring_register.yaml``
(:func:`opspor.monitor.register.load_register`).

* :class:`Frequency`, :class:`DataSource`, :class:`Weight`, :class:`Monitoring`,
  :class:`StatusCode` — the seed's vocabulary (003:1-136 and the status column of the follow-up
  groups' task portfolios, 003:655-1000), with Danish and English labels;
* :func:`next_due` / :func:`due_list` — when a task's next measurement is due, and what is due
  or overdue on a day;
* :func:`aarshjul` — the annual calendar: one row per task, one column per month;
* :func:`group_summary` — the counts of the seed's slides ("Antal opgaver, som monitoreres: 8,
  med følgende frekvens: ..., ud fra følgende data: ...");
* :func:`suggested_weight` — light or resource-heavy by the seed's criteria (003:121-136).

Due dates: a task measured yearly is due at the end of its ``anchor_month``; half-yearly at the
end of the anchor month and of the month six months later; every 4 years at the end of the
anchor month of ``first_year`` + 4k; once on its ``due_date``. A due date is met by a
measurement done on or after the previous due date (``last_done``). Ongoing tasks have no due
date (they run all year); unresolved ones have none until decided.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from enum import Enum

from opspor import dates
from opspor.i18n import gettext_lazy as _
from opspor.i18n import translate_all, translator

DEFAULT_DUE_WITHIN_DAYS = 30


class _Labelled(str, Enum):
    """A str enum whose members carry an English label, translated by the catalogue."""

    def __new__(cls, value: str, en: str):
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.en = en
        return obj

    def label(self, lang: str = "da") -> str:
        return translator(lang)(self.en)

    @property
    def da(self) -> str:
        """The Danish label: the web app's model choices and :meth:`parse` use it."""
        return self.label("da")

    @classmethod
    def parse(cls, value):
        """A member from its value, its Danish or English label (any case)."""
        if isinstance(value, cls):
            return value
        text = str(value).strip().lower()
        for m in cls:
            if text in (m.value.lower(), m.da.lower(), m.en.lower()):
                return m
        raise ValueError(f"{value!r} is not one of {', '.join(m.value for m in cls)}")


class Frequency(_Labelled):
    ONGOING = ("ongoing", _("Ongoing"))
    HALF_YEARLY = ("half_yearly", _("Half-yearly"))
    YEARLY = ("yearly", _("Yearly"))
    EVERY_4_YEARS = ("every_4_years", _("Every 4 years"))
    ONCE = ("once", _("Once"))
    UNRESOLVED = ("unresolved", _("Unresolved"))


class DataSource(_Labelled):
    EXISTING_DATABASE = ("existing_database", _("Existing databases"))
    MANUAL_COLLECTION = ("manual_collection", _("Manual collection"))
    UNRESOLVED = ("unresolved", _("Unresolved"))


class Monitoring(_Labelled):
    """Is the task monitored, or one that may have to be (seed: "evt. skal monitoreres")?"""

    MONITORED = ("monitored", _("Monitored"))
    CANDIDATE = ("candidate", _("May have to be monitored"))
    ENDED = ("ended", _("Ended"))


class StatusCode(_Labelled):
    """The status codes of the follow-up groups' task portfolios (seed 003:655-1000)."""

    NY = ("NY", _("New initiative"))
    START = ("START", _("Starting"))
    FOLG = ("FØLG", _("Followed in operation"))
    MON = ("MON", _("Monitored"))
    REV = ("REV", _("Under revision"))
    EVAL = ("EVAL", _("Under evaluation"))
    DAK = ("DAK", _("Goes to the administrative contact forum (DAK)"))


class Weight(_Labelled):
    LIGHT = ("light", _("Light"))
    RESOURCE_HEAVY = ("resource_heavy", _("Resource-heavy"))


# The seed's definitions (003:121-136), question by question: (question, answer).
WEIGHT_DEFINITIONS = {
    Weight.LIGHT: (
        (_("Why?"), _("Measure implementation; measure an indication of effect")),
        (_("How much?"), _("1-2 indicators")),
        (_("How often?"), _("Every year or every second year")),
        (_("Which data?"), _("Existing data, e.g. regional and national databases; limited manual reporting")),
        (_("Who?"), _("Working groups/secretariats (given existing data)")),
    ),
    Weight.RESOURCE_HEAVY: (
        (_("Why?"), _("Measure effect")),
        (_("How much?"), _("Many indicators")),
        (_("How often?"), _("Several times a year; ongoing/ad hoc")),
        (_("Which data?"), _("New databases/collection methods; own evaluations")),
        (_("Who?"), _("Specially appointed working groups with the relevant professionals")),
    ),
}


@dataclass(frozen=True)
class MonitoringTask:
    """One task of the register; the fields a Django row must fill."""

    id: str
    group: str  # the follow-up group
    title: str
    frequency: Frequency
    data_source: DataSource
    monitoring: Monitoring = Monitoring.MONITORED
    status: tuple[StatusCode, ...] = ()
    weight: Weight | None = None
    owner: str = ""
    indicators: int | None = None  # how many indicators the task measures
    anchor_month: int | None = None  # yearly / half-yearly / every 4 years: month of measurement
    first_year: int | None = None  # every 4 years: a year of measurement
    due_date: dt.date | None = None  # once
    last_done: dt.date | None = None  # the latest measurement or report
    start: dt.date | None = None  # in the register since: no measurement is owed before it
    note: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        if self.anchor_month is not None and not 1 <= self.anchor_month <= 12:
            raise ValueError(f"task {self.id}: anchor_month must be 1-12, got {self.anchor_month}")
        needs_anchor = (Frequency.YEARLY, Frequency.HALF_YEARLY, Frequency.EVERY_4_YEARS)
        if self.frequency in needs_anchor and self.anchor_month is None:
            raise ValueError(f"task {self.id}: a {self.frequency.value} task needs anchor_month "
                             "(the month its measurement is due)")
        if self.frequency == Frequency.EVERY_4_YEARS and self.first_year is None:
            raise ValueError(f"task {self.id}: an every_4_years task needs first_year")
        if self.frequency == Frequency.ONCE and self.due_date is None:
            raise ValueError(f"task {self.id}: a once task needs due_date")

    @classmethod
    def from_mapping(cls, row: dict) -> MonitoringTask:
        """From a plain mapping (a Django row's values, a YAML item): enum fields may be given
        by value or label, dates as ISO text, status as a list or ``MON/REV``."""
        def date(v):
            if v in (None, ""):
                return None
            return v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v))

        status = row.get("status") or ()
        if isinstance(status, str):
            status = [s for s in status.replace(",", "/").split("/") if s.strip()]
        weight = row.get("weight")
        return cls(
            id=str(row["id"]), group=str(row["group"]), title=str(row["title"]),
            frequency=Frequency.parse(row["frequency"]),
            data_source=DataSource.parse(row["data_source"]),
            monitoring=Monitoring.parse(row.get("monitoring") or "monitored"),
            status=tuple(StatusCode.parse(s.strip()) for s in status),
            weight=None if weight in (None, "") else Weight.parse(weight),
            owner=str(row.get("owner") or ""),
            indicators=None if row.get("indicators") in (None, "") else int(row["indicators"]),
            anchor_month=None if row.get("anchor_month") in (None, "") else int(row["anchor_month"]),
            first_year=None if row.get("first_year") in (None, "") else int(row["first_year"]),
            due_date=date(row.get("due_date")), last_done=date(row.get("last_done")),
            start=date(row.get("start")),
            note=str(row.get("note") or ""), source=str(row.get("source") or ""),
        )


# --------------------------------------------------------------------------- due dates


def _months(task: MonitoringTask) -> tuple[int, ...]:
    m = task.anchor_month
    if task.frequency == Frequency.HALF_YEARLY:
        return tuple(sorted({m, (m + 5) % 12 + 1}))
    return (m,)


def due_dates(task: MonitoringTask, year: int) -> list[dt.date]:
    """The task's due dates in a calendar year."""
    if task.frequency in (Frequency.YEARLY, Frequency.HALF_YEARLY):
        return [dates.month_end(dt.date(year, m, 1)) for m in _months(task)]
    if task.frequency == Frequency.EVERY_4_YEARS:
        return [dates.month_end(dt.date(year, task.anchor_month, 1))] if (year - task.first_year) % 4 == 0 else []
    if task.frequency == Frequency.ONCE:
        return [task.due_date] if task.due_date.year == year else []
    return []


def next_due(task: MonitoringTask, as_of: dt.date) -> dt.date | None:
    """The first due date not yet met: may lie before ``as_of`` (then it is overdue).

    A measurement (``last_done``) meets the due date nearest to it (the earlier on a tie), so a
    late one meets the date it was late for and an early one the date it came before; the next
    due date is the one after that. Never measured: the first due date on or after ``start``,
    or without a start the latest due date on or before ``as_of`` (else the next one).
    None for ongoing and unresolved tasks, a once-task that is done, and an ended task.
    """
    if task.monitoring == Monitoring.ENDED:
        return None
    if task.frequency == Frequency.ONCE:
        return None if task.last_done is not None else task.due_date
    if task.frequency in (Frequency.ONGOING, Frequency.UNRESOLVED):
        return None
    cycle = 4 if task.frequency == Frequency.EVERY_4_YEARS else 1
    anchors = [d for d in (task.last_done, task.start, as_of) if d is not None]
    first, last = min(anchors).year - cycle, max(anchors).year + 2 * cycle
    dates = sorted(d for y in range(first, last + 1) for d in due_dates(task, y))
    if task.last_done is not None:
        met = min(dates, key=lambda d: (abs((d - task.last_done).days), d))
        return next(d for d in dates if d > met)
    if task.start is not None:
        return next(d for d in dates if d >= task.start)
    past = [d for d in dates if d <= as_of]
    return past[-1] if past else next(d for d in dates if d > as_of)


OVERDUE, DUE, UPCOMING, ONGOING, UNRESOLVED, DONE = "overdue", "due", "upcoming", "ongoing", "unresolved", "done"
STATES = {OVERDUE: _("Overdue"), DUE: _("Due soon"), UPCOMING: _("Upcoming"), ONGOING: _("Ongoing"),
          UNRESOLVED: _("Unresolved"), DONE: _("Done")}


def state_labels(lang: str) -> dict[str, str]:
    """The due states' labels in ``lang``."""
    return translate_all(STATES, lang)


@dataclass(frozen=True)
class DueItem:
    task: MonitoringTask
    next_due: dt.date | None
    state: str  # overdue | due | upcoming | ongoing | unresolved | done
    days: int | None  # days until due (negative: overdue)


def due_state(task: MonitoringTask, as_of: dt.date, within_days: int = DEFAULT_DUE_WITHIN_DAYS) -> DueItem:
    nd = next_due(task, as_of)
    if nd is None:
        if task.frequency == Frequency.ONGOING and task.monitoring != Monitoring.ENDED:
            return DueItem(task, None, ONGOING, None)
        if task.frequency == Frequency.UNRESOLVED:
            return DueItem(task, None, UNRESOLVED, None)
        return DueItem(task, None, DONE, None)
    days = (nd - as_of).days
    state = OVERDUE if days < 0 else DUE if days <= within_days else UPCOMING
    return DueItem(task, nd, state, days)


def due_list(tasks: list[MonitoringTask], as_of: dt.date,
             within_days: int = DEFAULT_DUE_WITHIN_DAYS) -> list[DueItem]:
    """Every task's state on ``as_of``: overdue first (most overdue first), then due, upcoming,
    ongoing, unresolved, done."""
    order = {OVERDUE: 0, DUE: 1, UPCOMING: 2, ONGOING: 3, UNRESOLVED: 4, DONE: 5}
    items = [due_state(t, as_of, within_days) for t in tasks]
    return sorted(items, key=lambda i: (order[i.state], i.days if i.days is not None else 0,
                                        i.task.group, i.task.id))


# --------------------------------------------------------------------------- the annual calendar

MEASURE, RUNNING = "measure", "running"  # a measurement is due in the month; the task runs
SYMBOLS = {MEASURE: "●", RUNNING: "–", "": ""}


@dataclass(frozen=True)
class WheelRow:
    task_id: str
    group: str
    title: str
    cells: tuple[str, ...]  # 12 months: MEASURE, RUNNING or "" (SYMBOLS: ●, –)


@dataclass(frozen=True)
class Wheel:
    year: int
    rows: tuple[WheelRow, ...]
    meetings: dict[str, tuple[dt.date, ...]] = field(default_factory=dict)  # group -> dates


def aarshjul(tasks: list[MonitoringTask], year: int,
             meetings: dict[str, list[dt.date]] | None = None) -> Wheel:
    """The annual calendar (*årshjul*): per task and month, a measurement due (``measure``) or
    running (``running``, ongoing tasks); candidates and unresolved tasks have empty rows until
    decided. ``meetings``: the follow-up groups' meeting dates, kept for the year."""
    rows = []
    for t in sorted(tasks, key=lambda t: (t.group, t.id)):
        cells = [""] * 12
        if t.monitoring == Monitoring.MONITORED:
            if t.frequency == Frequency.ONGOING:
                cells = [RUNNING] * 12
            for d in due_dates(t, year):
                cells[d.month - 1] = MEASURE
        rows.append(WheelRow(t.id, t.group, t.title, tuple(cells)))
    met = {g: tuple(sorted(d for d in ds if d.year == year)) for g, ds in (meetings or {}).items()}
    return Wheel(year, tuple(rows), met)


# --------------------------------------------------------------------------- the group summary


@dataclass(frozen=True)
class Counts:
    tasks: tuple[MonitoringTask, ...]
    by_frequency: tuple[tuple[Frequency, int], ...]
    by_data_source: tuple[tuple[DataSource, int], ...]

    @property
    def n(self) -> int:
        return len(self.tasks)


@dataclass(frozen=True)
class GroupSummary:
    group: str
    monitored: Counts
    candidates: Counts
    by_weight: tuple[tuple[Weight | None, int], ...]


def _counts(tasks: list[MonitoringTask]) -> Counts:
    f = Counter(t.frequency for t in tasks)
    d = Counter(t.data_source for t in tasks)
    return Counts(tuple(tasks), tuple((k, f[k]) for k in Frequency if f[k]),
                  tuple((k, d[k]) for k in DataSource if d[k]))


def groups(tasks: list[MonitoringTask]) -> list[str]:
    return sorted({t.group for t in tasks})


def group_summary(tasks: list[MonitoringTask], group: str) -> GroupSummary:
    mine = [t for t in tasks if t.group == group]
    w = Counter(t.weight for t in mine if t.monitoring == Monitoring.MONITORED)
    return GroupSummary(
        group,
        _counts([t for t in mine if t.monitoring == Monitoring.MONITORED]),
        _counts([t for t in mine if t.monitoring == Monitoring.CANDIDATE]),
        tuple((k, w[k]) for k in (Weight.LIGHT, Weight.RESOURCE_HEAVY, None) if w[k]),
    )


def suggested_weight(task: MonitoringTask) -> Weight | None:
    """Light when every light criterion of the seed holds (1-2 indicators, measured at most
    once a year, existing data); resource-heavy when any heavy one does (many indicators,
    several times a year or ongoing, new data collection); None while undecided."""
    heavy = ((task.indicators is not None and task.indicators > 2)
             or task.frequency in (Frequency.HALF_YEARLY, Frequency.ONGOING)
             or task.data_source == DataSource.MANUAL_COLLECTION)
    if heavy:
        return Weight.RESOURCE_HEAVY
    if Frequency.UNRESOLVED == task.frequency or DataSource.UNRESOLVED == task.data_source:
        return None
    if task.indicators is None:
        return None
    return Weight.LIGHT
