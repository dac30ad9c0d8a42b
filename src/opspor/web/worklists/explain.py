"""The department list in words: the rule, why each patient is on it, why a contact does not
count, and the texts beside diagnosis and department codes.

The rule is said from the rule file and the concept labels (:mod:`opspor.rules.explain`,
``concepts.yaml``): no sentence is written per rule, so a changed rule file changes the words.
Which contacts count and why the others do not was computed when the run was published
(``ListEntry.not_counted``); here it only becomes text in the user's language.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cache

from django.utils import timezone
from django.utils.translation import get_language, gettext as _, ngettext, pgettext_lazy

from opspor import reference
from opspor.rules import explain, load_repeated_acute
from opspor.rules.concepts import shipped as shipped_concepts
from opspor.web.core.templatetags import dates

CTX = "contract value"
# the data contract's values (opspor.contract) as a reader says them
VALUES = {
    "priority": {"acute": pgettext_lazy(CTX, "acute"), "planned": pgettext_lazy(CTX, "planned")},
    "contact_type": {
        "physical": pgettext_lazy(CTX, "physical attendance"), "home_visit": pgettext_lazy(CTX, "out-/home visit"),
        "telephone": pgettext_lazy(CTX, "telephone"), "video": pgettext_lazy(CTX, "video"),
        "email": pgettext_lazy(CTX, "e-mail"), "telemedicine": pgettext_lazy(CTX, "telemedicine"),
    },
    "specialty": {
        "medicine": pgettext_lazy(CTX, "internal medicine"), "acute_medicine": pgettext_lazy(CTX, "acute medicine"),
        "geriatrics": pgettext_lazy(CTX, "geriatrics"), "surgery": pgettext_lazy(CTX, "surgery"),
        "orthopaedics": pgettext_lazy(CTX, "orthopaedics"), "psychiatry": pgettext_lazy(CTX, "psychiatry"),
        "paediatrics": pgettext_lazy(CTX, "paediatrics"), "obstetrics": pgettext_lazy(CTX, "obstetrics"),
        "oncology": pgettext_lazy(CTX, "oncology"), "other": pgettext_lazy(CTX, "other specialty"),
    },
    "pathway_empty": {
        "cancer": pgettext_lazy(CTX, "cancer"), "birth": pgettext_lazy(CTX, "birth"),
        "hospice": pgettext_lazy(CTX, "hospice"), "companion": pgettext_lazy(CTX, "companion"),
        "radiology_for_practice": pgettext_lazy(CTX, "radiology for general practice"),
    },
}
OTHER_UNIT = "other_unit"  # counted, but at a hospital unit where too few contacts count


def _lang() -> str:
    return "en" if (get_language() or "da").startswith("en") else "da"


def value_label(field: str, value: str | None) -> str:
    return str(VALUES.get(field, {}).get(value, value or "–"))


def _or(values) -> str:
    values = [str(v) for v in values]
    return values[0] if len(values) == 1 else _("%(first)s or %(last)s") % {
        "first": ", ".join(values[:-1]), "last": values[-1]}


def _and(values) -> str:
    values = [str(v) for v in values]
    return values[0] if len(values) == 1 else _("%(first)s and %(last)s") % {
        "first": ", ".join(values[:-1]), "last": values[-1]}


def _procedure_concept(code_list) -> str | None:
    """The label of a concept that is 'has a procedure of ``code_list``' (e.g. the home visit)."""
    concepts = shipped_concepts()
    for name, concept in concepts.contacts.items():
        if any(c.procedures_any_of is not None and c.procedures_any_of.name == code_list.name
               for c in concept.any_of):
            return concepts.label(name, _lang())
    return None


def _condition(field: str, value) -> str:
    """One condition of the target group's contact written beside the concepts, in words."""
    if field in ("priority", "contact_type", "specialty"):
        return {"priority": _("priority %(values)s"), "contact_type": _("contact type %(values)s"),
                "specialty": _("in %(values)s")}[field] % {"values": _or(value_label(field, v) for v in value)}
    if field == "pathway_empty":
        return _("not part of a special pathway (%(values)s)") % {
            "values": _or(str(v) for v in VALUES["pathway_empty"].values())}
    if field == "drg_value_not_zero":
        return _("not non-tariff activity (DRG value 0)")
    if field == "procedures_none_of":
        label = _procedure_concept(value)
        return (_("not %(what)s") % {"what": label} if label else
                _("without a procedure of the list %(list)s") % {"list": value.name})
    if field == "admission":
        return shipped_concepts().label("admission", _lang())
    if field in ("action_diagnosis_in", "any_diagnosis_in"):
        return _("with a diagnosis of the list %(list)s") % {"list": value.name}
    return field


@cache
def _rule():
    """The shipped target-group rule, read once per process (a page asks for it per request)."""
    return load_repeated_acute()


@cache
def _parts():
    return explain.target_group_parts(_rule(), shipped_concepts())


def rule_text() -> str:
    """The target group in words, e.g. "at least 3 contacts, each acute contact and physical
    attendance, in internal medicine, ..., within 182 days at the same hospital unit"."""
    p = _parts()
    concepts = shipped_concepts()
    what = [concepts.label(n, _lang()) for n in p.concepts] + [_condition(f, v) for f, v in p.extra]
    text = ngettext("at least %(n)s contact that is %(what)s", "at least %(n)s contacts, each %(what)s",
                    p.at_least) % {"n": p.at_least, "what": _and(what)}
    if p.window_days is not None:
        text += " " + _("within %(days)s days") % {"days": p.window_days}
    if p.same_hospital_unit:
        text += " " + _("at the same hospital unit")
    return text


def rule_version() -> str:
    return _rule().info.version


def reason_text(condition: str, value: str | None) -> str:
    """Why one contact does not count, e.g. "planned", "outside the period", "telephone"."""
    if condition == explain.WINDOW:
        return _("outside the period")
    if condition == OTHER_UNIT:
        return _("other hospital unit (%(unit)s)") % {"unit": value}
    if condition in ("priority", "contact_type"):
        return value_label(condition, value)
    if condition == "specialty":
        return _("specialty %(value)s") % {"value": value_label(condition, value)}
    if condition == "pathway_empty":
        return _("special pathway: %(value)s") % {"value": value_label(condition, value)}
    if condition == "drg_value_not_zero":
        return _("non-tariff activity (DRG value 0)")
    if condition == "procedures_none_of":
        label = _procedure_concept(_rule().target_group.contact.procedures_none_of)
        return f"{label or _('procedure')} ({value})" if value else (label or _("procedure"))
    if condition == "action_diagnosis_in":
        return _("action diagnosis not on the list")
    return _condition(condition, None) if condition == "admission" else condition


@dataclass
class Why:
    """Why one patient is on the list: the counting contacts per hospital unit and the unit(s)
    where they reach the rule's number."""

    text: str  # e.g. "3 counting contacts within 182 days at OUH (the rule asks for at least 3)"
    units: tuple[str, ...]


def why_on_list(lines) -> Why | None:
    """From a patient's lines (``ListEntry``); None for runs published without hospital units."""
    if not lines or not all(line.hospital_unit for line in lines):
        return None
    p = _parts()
    counts = Counter(line.hospital_unit for line in lines if line.counted)
    if p.same_hospital_unit:
        units = tuple(sorted(u for u, n in counts.items() if n >= p.at_least))
    else:
        units = tuple(sorted(counts)) if sum(counts.values()) >= p.at_least else ()
    if not units:
        return None
    n = sum(counts[u] for u in units)
    text = ngettext("%(n)s counting contact within %(days)s days at %(where)s",
                    "%(n)s counting contacts within %(days)s days at %(where)s", n) % {
        "n": n, "days": p.window_days, "where": _and(units)}
    return Why(text + " " + _("(the rule asks for at least %(n)s)") % {"n": p.at_least}, units)


def line_reasons(line, units: tuple[str, ...]) -> list[str]:
    """Why a line does not count here (empty: it counts)."""
    if line.counted:
        if units and _parts().same_hospital_unit and line.hospital_unit not in units:
            return [reason_text(OTHER_UNIT, line.hospital_unit)]
        return []
    return [reason_text(c, v) for c, v in line.not_counted]


def end_text(line) -> str:
    """The contact's end in words: on leave or discharged (a hospital notification), the end's
    date and time, or still admitted."""
    stay = line.stay
    if stay and stay.state == "on_leave":
        return _("on leave since %(time)s") % {"time": _when(stay.leave_start)}
    if stay and stay.state == "discharged":
        return _("discharged %(time)s") % {"time": _when(line.contact_end)}
    return _when(line.contact_end) or _("still admitted")


def _when(moment) -> str:
    return dates.date(timezone.localtime(moment) if moment and timezone.is_aware(moment) else moment, "d-m-Y H:i")


def annotate(lines) -> Why | None:
    """Set, on each line, ``reasons`` and what the lines table shows (``diagnosis_text``,
    ``course_department_name``, ``contact_department_name``, ``end_text``, ``counts_here`` and
    ``counts_text``: worded here once rather than per row in the template, the worklist's
    costliest loop); returns why the patient is on the list."""
    why = why_on_list(lines)
    units = why.units if why else ()
    names = reference.department_names()
    yes, no = _("yes"), _("no")
    for line in lines:
        line.reasons = line_reasons(line, units)
        line.diagnosis_text = reference.diagnosis_text(line.action_diagnosis)
        line.course_department_name = names.get(line.course_department)
        line.contact_department_name = names.get(line.contact_department)
        line.end_text = end_text(line)
        line.counts_here = line.counted and not line.reasons
        line.counts_text = yes if line.counts_here else f"{no}: {', '.join(line.reasons)}" if line.reasons else no
    return why
