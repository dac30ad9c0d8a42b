"""The rules as data: frozen objects built from the YAML files by :mod:`opspor.rules.load`.

Nothing here reads data. The objects say *what* a rule asks; the engines say *how* it is
computed. Clinical values (days, hours, ages, codes, specialties) are fields filled from YAML,
never defaults in code. The few functions here (cut-off, previous run day, reference time, age)
are part of the meaning and shared by every engine, so that engines cannot disagree on them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from opspor.rules.codes import CodeList

PREVIOUS_DAY = "previous_day"
PREVIOUS_WEEKDAY = "previous_weekday"
COMPARE_WITH = (PREVIOUS_DAY, PREVIOUS_WEEKDAY)


@dataclass(frozen=True)
class PrecededBy:
    """An earlier contact of the same person ended at most ``within_days`` before this one started.

    Earlier means: a different contact, with a recorded end, ``end <= this.start`` and
    ``this.start - end <= within_days`` days; the earlier contact must itself meet ``contact``.
    It may lie before any window the condition around it uses.
    """

    within_days: int
    contact: ContactCriteria


@dataclass(frozen=True)
class ContactCriteria:
    """Conditions on one contact; all given conditions must hold (an empty criteria matches all).

    ``None`` for a value set means "any value". A contact whose column is NULL never satisfies a
    value-set condition (three-valued logic is resolved to *false*, in every engine).
    """

    priority: tuple[str, ...] | None = None
    contact_type: tuple[str, ...] | None = None
    specialty: tuple[str, ...] | None = None
    pathway_empty: bool = False  # pathway must be NULL
    drg_value_not_zero: bool = False  # drg_value must not be 0; NULL (not supplied) passes
    procedures_none_of: CodeList | None = None  # no procedure code matches the list
    procedures_any_of: CodeList | None = None  # some procedure code matches the list
    action_diagnosis_in: CodeList | None = None  # action diagnosis matches the list
    any_diagnosis_in: CodeList | None = None  # action or a secondary diagnosis matches the list
    admission: bool = False  # lasted >= admission_hours (concepts.yaml), capped at the reference time
    preceded_by: PrecededBy | None = None


@dataclass(frozen=True)
class CountCondition:
    """At least ``at_least`` contacts meeting ``contact`` started in ``[ref - window_days, ref)``.

    ``window_days`` None means all history before the reference time (the YAML loader always
    asks for a window; engines support None for rules built in code). With
    ``same_hospital_unit`` the contacts must all lie at one and the same hospital unit.
    """

    contact: ContactCriteria
    window_days: int | None
    at_least: int
    same_hospital_unit: bool = False


@dataclass(frozen=True)
class RuleInfo:
    name: str
    version: str
    source: str
    file: str
    digest: str  # sha256 of the rule file's text, for reproducibility
    code_lists_version: str
    code_lists_digest: str
    concepts_version: str = ""
    concepts_digest: str = ""


@dataclass(frozen=True)
class Presence:
    """Where a patient is, or has just been, at the cut-off C.

    A contact meeting ``contact`` that started before C and either is ongoing at C
    (end NULL or end > C) or ended in ``[C - ended_within_hours, C]``.
    """

    contact: ContactCriteria
    ended_within_hours: int


@dataclass(frozen=True)
class RepeatedAcuteRule:
    """Programme 2: daily department lists of patients with repeated acute contacts."""

    info: RuleInfo
    cutoff_days_before_run: int
    cutoff_time: time
    target_group: CountCondition
    presence: Presence
    lines_window_days: int
    compare_with: str  # PREVIOUS_DAY or PREVIOUS_WEEKDAY
    admission_hours: int | None = None

    def cutoff(self, run_day: date) -> datetime:
        """C: contacts starting at or after C do not exist for the run of ``run_day``."""
        _require_date(run_day, "run_day")
        return datetime.combine(
            run_day - timedelta(days=self.cutoff_days_before_run), self.cutoff_time
        )

    def at_moment(self, moment: datetime) -> tuple[RepeatedAcuteRule, date]:
        """The same rule with its cut-off at ``moment`` (intraday lists, a naive Danish wall-clock
        time like the store's): ``(rule, run_day)`` with ``rule.cutoff(run_day) == moment``."""
        return (replace(self, cutoff_time=moment.time()),
                moment.date() + timedelta(days=self.cutoff_days_before_run))

    def previous_run_day(self, run_day: date) -> date:
        """The run whose list decides ``new_today``: the day before, or the weekday before."""
        _require_date(run_day, "run_day")
        day = run_day - timedelta(days=1)
        if self.compare_with == PREVIOUS_WEEKDAY:
            while day.weekday() >= 5:  # Saturday, Sunday
                day -= timedelta(days=1)
        return day


@dataclass(frozen=True)
class Route:
    """An inclusion route: age (if given) and any one of the count conditions."""

    id: str
    min_age: int | None
    any_of: tuple[CountCondition, ...]


@dataclass(frozen=True)
class Exclusion:
    """One exclusion with its reason code; exactly one kind is set.

    * ``contact``: a contact meeting it started before T (and, with ``window_days``, on or after
      T - window_days; None = all history supplied);
    * ``residence_type``: the person's residence type is one of these;
    * ``dead``: the person's death date is on or before the as-of date.
    """

    reason: str
    contact: ContactCriteria | None = None
    window_days: int | None = None
    residence_type: tuple[str, ...] | None = None
    dead: bool = False


@dataclass(frozen=True)
class EligibilityRule:
    """Programme 1: Aktiv Patientstøtte eligibility on an as-of date."""

    info: RuleInfo
    admission_hours: int | None
    routes: tuple[Route, ...]
    exclusions: tuple[Exclusion, ...]

    def reference_time(self, as_of: date) -> datetime:
        """T = the as-of date at 00:00; only contacts with start < T exist."""
        _require_date(as_of, "as_of")
        return datetime.combine(as_of, time(0, 0))


def age_on(birth_date: date | None, day: date) -> int | None:
    """Completed years at ``day``. Someone born on 29 February turns a year older on 1 March
    in years without 29 February. None when the birth date is unknown."""
    if birth_date is None:
        return None
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def _require_date(value: object, name: str) -> None:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"{name} must be a datetime.date (a day), got {value!r}")
