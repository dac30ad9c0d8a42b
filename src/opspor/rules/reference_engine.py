"""The reference engine: what the rules mean, in plain Python. Short, obviously correct, slow.

It reads the three tables into Python objects once and then evaluates the rule objects
directly. Every other engine must return exactly what this one returns (tests/rules).
Three-valued logic is resolved here, explicitly, the same way every engine must resolve it:
a condition on a NULL value is *false*, except where the rule says otherwise
(``drg_value_not_zero``: NULL passes; ``pathway_empty``: NULL is what passes).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from opspor.rules.model import (
    ContactCriteria,
    CountCondition,
    EligibilityRule,
    Exclusion,
    RepeatedAcuteRule,
    age_on,
)
from opspor.rules.results import EligibilityRow, ListLine, sort_eligibility, sort_lines

NAME = "reference"

if TYPE_CHECKING:
    from opspor.engines import Engine


@dataclass(frozen=True)
class Contact:
    contact_id: str
    person_key: str
    hospital_unit: str | None
    course_department: str | None
    contact_department: str | None
    specialty: str | None
    priority: str | None
    contact_type: str | None
    start: datetime | None
    end: datetime | None
    action_diagnosis: str | None
    secondary_diagnoses: tuple[str | None, ...]
    procedures: tuple[str | None, ...]
    drg_value: float | None
    pathway: str | None


@dataclass(frozen=True)
class Person:
    person_key: str
    birth_date: date | None
    municipality_code: str | None
    region_code: str | None
    residence_type: str | None
    death_date: date | None


@dataclass(frozen=True)
class Snapshot:
    persons: dict[str, Person]
    identity: dict[str, tuple[str | None, str | None]]  # person_key -> (cpr, name)
    contacts: dict[str, list[Contact]]  # person_key -> contacts


def read_snapshot(engine: Engine) -> Snapshot:
    """The three tables as Python objects (read through any engine)."""
    identity = {
        k: (cpr, name)
        for k, cpr, name in engine.rows("SELECT person_key, cpr, name FROM identity")
    }
    persons = {
        row[0]: Person(*row)
        for row in engine.rows(
            "SELECT person_key, birth_date, municipality_code, region_code, residence_type, "
            "death_date FROM persons"
        )
    }
    contacts: dict[str, list[Contact]] = defaultdict(list)
    for row in engine.rows(f"SELECT {CONTACT_COLUMNS} FROM contacts"):
        contact = contact_of(row)
        contacts[contact.person_key].append(contact)
    return Snapshot(persons, identity, dict(contacts))


# the columns of the contacts table, in the order of :class:`Contact` (for :func:`contact_of`)
CONTACT_COLUMNS = (
    "contact_id, person_key, hospital_unit, course_department, contact_department, specialty, "
    'priority, contact_type, start, "end", action_diagnosis, secondary_diagnoses, procedures, '
    "drg_value, pathway"
)


def contact_of(row) -> Contact:
    """A :class:`Contact` from a row of ``SELECT CONTACT_COLUMNS FROM contacts``."""
    values = list(row)
    values[11] = tuple(values[11] or ())
    values[12] = tuple(values[12] or ())
    return Contact(*values)


# --------------------------------------------------------------------------- shared meaning


def existing(contacts: list[Contact], at: datetime) -> list[Contact]:
    """The contacts that exist at reference time ``at``: those that started before it."""
    return [c for c in contacts if c.start is not None and c.start < at]


def is_admission(c: Contact, at: datetime, hours: int) -> bool:
    """Lasted ``hours`` or more, counting an ongoing (or later-ending) contact only up to ``at``."""
    until = min(c.end if c.end is not None else at, at)
    return c.start + timedelta(hours=hours) <= until


def meets(
    crit: ContactCriteria,
    c: Contact,
    at: datetime,
    history: list[Contact],
    admission_hours: int | None,
) -> bool:
    """Does contact ``c`` meet ``crit``? ``history``: the person's contacts existing at ``at``."""
    if crit.priority is not None and c.priority not in crit.priority:
        return False
    if crit.contact_type is not None and c.contact_type not in crit.contact_type:
        return False
    if crit.specialty is not None and c.specialty not in crit.specialty:
        return False
    if crit.pathway_empty and c.pathway is not None:
        return False
    if crit.drg_value_not_zero and c.drg_value is not None and c.drg_value == 0:
        return False
    if crit.procedures_none_of is not None and any(
        crit.procedures_none_of.matches(p) for p in c.procedures
    ):
        return False
    if crit.procedures_any_of is not None and not any(
        crit.procedures_any_of.matches(p) for p in c.procedures
    ):
        return False
    if crit.action_diagnosis_in is not None and not crit.action_diagnosis_in.matches(
        c.action_diagnosis
    ):
        return False
    if crit.any_diagnosis_in is not None and not any(
        crit.any_diagnosis_in.matches(d) for d in (c.action_diagnosis, *c.secondary_diagnoses)
    ):
        return False
    if crit.admission and not is_admission(c, at, admission_hours):
        return False
    if crit.preceded_by is not None:
        gap = timedelta(days=crit.preceded_by.within_days)
        if not any(
            e.contact_id != c.contact_id
            and e.end is not None
            and e.end <= c.start
            and c.start - e.end <= gap
            and meets(crit.preceded_by.contact, e, at, history, admission_hours)
            for e in history
        ):
            return False
    return True


def count_holds(
    cond: CountCondition, history: list[Contact], at: datetime, admission_hours: int | None
) -> bool:
    """At least ``cond.at_least`` contacts in the window meet the criteria (at one unit if
    ``same_hospital_unit``)."""
    low = at - timedelta(days=cond.window_days) if cond.window_days is not None else None
    hits = [
        c
        for c in history
        if (low is None or c.start >= low) and meets(cond.contact, c, at, history, admission_hours)
    ]
    if cond.same_hospital_unit:
        return any(n >= cond.at_least for n in Counter(c.hospital_unit for c in hits).values())
    return len(hits) >= cond.at_least


# --------------------------------------------------------------------------- programme 2


def _members(
    snap: Snapshot, rule: RepeatedAcuteRule, cutoff: datetime
) -> set[tuple[str, str, str]]:
    """(hospital_unit, department, person_key) for every department list at cut-off C."""
    recent = cutoff - timedelta(hours=rule.presence.ended_within_hours)
    out: set[tuple[str, str, str]] = set()
    for person_key, contacts in snap.contacts.items():
        history = existing(contacts, cutoff)
        if not count_holds(rule.target_group, history, cutoff, rule.admission_hours):
            continue
        for c in history:
            if (c.end is None or c.end >= recent) and meets(
                rule.presence.contact, c, cutoff, history, rule.admission_hours
            ):
                out.add((c.hospital_unit, c.contact_department, person_key))
    return out


def repeated_acute_list(
    engine: Engine, run_day: date, rule: RepeatedAcuteRule
) -> list[ListLine]:
    snap = read_snapshot(engine)
    cutoff = rule.cutoff(run_day)
    members = _members(snap, rule, cutoff)
    before = _members(snap, rule, rule.cutoff(rule.previous_run_day(run_day)))
    lines_from = cutoff - timedelta(days=rule.lines_window_days)
    counts_from = cutoff - timedelta(days=rule.target_group.window_days)
    out: list[ListLine] = []
    for unit, department, person_key in members:
        history = existing(snap.contacts[person_key], cutoff)
        cpr, name = snap.identity.get(person_key, (None, None))
        for c in history:
            if c.start < lines_from:
                continue
            counted = c.start >= counts_from and meets(
                rule.target_group.contact, c, cutoff, history, rule.admission_hours
            )
            out.append(
                ListLine(
                    department=department,
                    hospital_unit=unit,
                    cpr=cpr,
                    name=name,
                    contact_id=c.contact_id,
                    action_diagnosis=c.action_diagnosis,
                    course_department=c.course_department,
                    contact_department=c.contact_department,
                    contact_start=c.start,
                    contact_end=c.end,
                    counted=counted,
                    new_today=(unit, department, person_key) not in before,
                    person_key=person_key,
                )
            )
    return sort_lines(out)


# --------------------------------------------------------------------------- programme 1


def _excluded_by(
    ex: Exclusion,
    person: Person,
    history: list[Contact],
    at: datetime,
    as_of: date,
    admission_hours: int | None,
) -> bool:
    if ex.contact is not None:
        low = at - timedelta(days=ex.window_days) if ex.window_days is not None else None
        return any(
            (low is None or c.start >= low) and meets(ex.contact, c, at, history, admission_hours)
            for c in history
        )
    if ex.residence_type is not None:
        return person.residence_type in ex.residence_type
    if ex.dead:
        return person.death_date is not None and person.death_date <= as_of
    raise ValueError(f"exclusion {ex.reason!r} has no kind")


def aps_eligibility(
    engine: Engine, as_of: date, rule: EligibilityRule
) -> list[EligibilityRow]:
    snap = read_snapshot(engine)
    at = rule.reference_time(as_of)
    out: list[EligibilityRow] = []
    for person_key, person in snap.persons.items():
        history = existing(snap.contacts.get(person_key, []), at)
        age = age_on(person.birth_date, as_of)
        routes = [
            r.id
            for r in rule.routes
            if (r.min_age is None or (age is not None and age >= r.min_age))
            and any(count_holds(cond, history, at, rule.admission_hours) for cond in r.any_of)
        ]
        if not routes:
            continue
        reasons = [
            ex.reason
            for ex in rule.exclusions
            if _excluded_by(ex, person, history, at, as_of, rule.admission_hours)
        ]
        cpr, _name = snap.identity.get(person_key, (None, None))
        out.append(
            EligibilityRow(
                cpr=cpr,
                region_code=person.region_code,
                municipality_code=person.municipality_code,
                routes=routes,
                excluded=bool(reasons),
                exclusion_reasons=reasons,
                person_key=person_key,
            )
        )
    return sort_eligibility(out)
