"""Reads of this app: the tasks of a conference or a citizen with their labels, the Aktiv
Patientstøtte part of the shared plan, and the plan as a FHIR CarePlan."""

from __future__ import annotations

from django.utils.translation import gettext as _

from opspor.i18n import localized
from opspor.web.careplan import checklist
from opspor.web.careplan.models import Task
from opspor.web.core import language
from opspor.web.directory import actions as directory
from opspor.web.directory.models import Booking
from opspor.web.directory.queries import search


def tasks_of_conference(conference):
    return conference.careplan_tasks.select_related("owner_org", "person").order_by("due_on", "id")


def tasks_of_person(person):
    return Task.objects.filter(person=person).select_related("owner_org").order_by("due_on", "id")


def labelled(tasks):
    """``tasks`` with ``profession_label`` (the configuration's title in the page's language)."""
    professions = checklist.config().professions
    lang = language.current()
    out = list(tasks)
    for t in out:
        p = professions.get(t.profession)
        t.profession_label = localized(p, "title", lang) if p else t.profession
    return out


def places_of_conference(conference, source: str) -> list:
    return list(Booking.objects.filter(source=source).select_related("offer").order_by("booked_at", "id"))


def places_of_person(person) -> list:
    """The places booked for the citizen and not released (from an MDT, an acute referral, ...)."""
    return list(Booking.objects.in_force().filter(person=person).select_related("offer").order_by("starts_on", "id"))


def offers_for(person, params) -> tuple[list, dict]:
    """The directory's search (``params``) narrowed to offers that serve the citizen and have a
    free place today."""
    rows, filters = search(params)
    return [o for o in rows if o.free > 0 and directory.serves(o, person)], filters


def aps_part(person) -> dict | None:
    """The Aktiv Patientstøtte goals and the plan in force of the citizen's newest case in the
    programme (consented, active or ended): a section of the shared plan, written by the nurse on
    the case page (``aps.actions``), read here. None when the citizen has no such case."""
    case = person.aps_cases.included().select_related("nurse").order_by("-invited_at").first()
    if case is None:
        return None
    return {"case": case, "goals": list(case.goals.all()), "plan": case.plans.select_related("written_by").first(),
            "versions": case.plans.count()}


def fhir_resource(context: dict, fhir) -> dict:
    """The shared plan of ``context`` (``views._plan_context``) as a FHIR CarePlan."""
    plan, current, person = context["plan"], context["current"], context["person"]
    author = ", ".join(filter(None, [current.author.get_full_name() or current.author.username,
                                     current.author_organisation]))
    sections = [fhir.Section(title, text, author, current.created_at) for title, text, _sid in context["sections"]]
    activities = [fhir.Activity(t.title, t.status, t.due_on, f"{t.profession_label}, {t.owner_org}", t.detail)
                  for t in context["tasks"]]
    goals, aps_plan = [], None
    aps = context["aps"]
    if aps:
        goals = [fhir.GoalItem(g.text, g.status) for g in aps["goals"]]
        if aps["plan"]:
            p = aps["plan"]
            aps_plan = fhir.Section("Aktiv Patientstøtte", p.text,
                                    p.written_by.get_full_name() or p.written_by.username, p.written_at)
    return fhir.care_plan(
        plan_id=str(plan.public_id), version=current.number, last_updated=current.created_at,
        created=plan.created_at, title=_("Shared plan"), cpr=person.cpr, name=person.name, author=author,
        sections=sections, activities=activities, goals=goals, aps_plan=aps_plan)
