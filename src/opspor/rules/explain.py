"""Why a patient is on a department's list, as facts the web app puts into words.

* :func:`target_group_parts` reads the rule file's target group: the concepts its contact names
  (``concept: [acute_contact, physical_contact]``, labelled in ``concepts.yaml``) and the
  conditions written beside them (``specialty: [...]``, ``pathway_empty: true``, ...), so the rule
  can be said in words without a sentence written per rule;
* :func:`not_counted` says which conditions a listed contact fails (outside the counting window,
  the priority, the contact type, ...), each with the contact's own value, by testing each
  condition of the criteria on its own with the reference engine's meaning
  (:func:`opspor.rules.reference_engine.meets`), so the explanation cannot disagree with the rule.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from pathlib import Path

from opspor import config_reader
from opspor.rules import reference_engine
from opspor.rules.concepts import Concepts
from opspor.rules.model import ContactCriteria, RepeatedAcuteRule

WINDOW = "window"  # the contact started before the counting window
_EMPTY = ContactCriteria()
FIELDS = tuple(f.name for f in fields(ContactCriteria))


@dataclass(frozen=True)
class Unmet:
    """A condition a contact does not meet: ``window`` or a :class:`ContactCriteria` field, with
    the contact's own value where it has one (its priority, contact type, specialty, pathway,
    the matching procedure codes, its action diagnosis)."""

    condition: str
    value: str | None = None

    def as_list(self) -> list[str | None]:
        return [self.condition, self.value]


@dataclass(frozen=True)
class TargetGroupParts:
    at_least: int
    window_days: int | None
    same_hospital_unit: bool
    concepts: tuple[str, ...]  # concept names, in the rule file's order
    extra: tuple[tuple[str, object], ...]  # (field, value) conditions written beside the concepts


def _set_fields(crit: ContactCriteria) -> list[str]:
    return [f for f in FIELDS if getattr(crit, f) != getattr(_EMPTY, f)]


def target_group_parts(rule: RepeatedAcuteRule, concepts: Concepts) -> TargetGroupParts:
    """The target group's count, window, unit condition, named concepts and other conditions."""
    data, _digest = config_reader.read_yaml(Path(rule.info.file))
    named = (data.get("target_group") or {}).get("contact") or {}
    names = named.get("concept", []) if isinstance(named, dict) else []
    names = tuple(names if isinstance(names, list) else [names])
    by_concepts = {f for name in names if name in concepts.contacts
                   for f in _set_fields(concepts[name].criteria)}
    tg = rule.target_group
    extra = tuple((f, getattr(tg.contact, f)) for f in _set_fields(tg.contact) if f not in by_concepts)
    return TargetGroupParts(tg.at_least, tg.window_days, tg.same_hospital_unit, names, extra)


def _value(field: str, crit: ContactCriteria, c: reference_engine.Contact) -> str | None:
    if field in ("priority", "contact_type", "specialty"):
        return getattr(c, field)
    if field == "pathway_empty":
        return c.pathway
    if field == "procedures_none_of":
        return ", ".join(p for p in c.procedures if p and crit.procedures_none_of.matches(p)) or None
    if field == "action_diagnosis_in":
        return c.action_diagnosis
    if field == "drg_value_not_zero":
        return None if c.drg_value is None else f"{c.drg_value:g}"
    return None


def unmet(crit: ContactCriteria, c: reference_engine.Contact, at: datetime,
          history: list[reference_engine.Contact], admission_hours: int | None) -> list[Unmet]:
    """The conditions of ``crit`` that contact ``c`` fails, each tested on its own."""
    out = []
    for field in _set_fields(crit):
        alone = replace(_EMPTY, **{field: getattr(crit, field)})
        if not reference_engine.meets(alone, c, at, history, admission_hours):
            out.append(Unmet(field, _value(field, crit, c)))
    return out


def not_counted(rule: RepeatedAcuteRule, c: reference_engine.Contact, cutoff: datetime,
                history: list[reference_engine.Contact]) -> list[Unmet]:
    """Why a line's contact does not count for the target group (empty: it counts)."""
    tg = rule.target_group
    out = []
    if tg.window_days is not None and c.start < cutoff - timedelta(days=tg.window_days):
        out.append(Unmet(WINDOW))
    return out + unmet(tg.contact, c, cutoff, history, rule.admission_hours)


__all__ = ["FIELDS", "WINDOW", "TargetGroupParts", "Unmet", "not_counted", "target_group_parts", "unmet"]
