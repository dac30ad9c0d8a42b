"""The citizen's shared plan as a FHIR R4 **CarePlan** (docs/shared-plan.md).

Built with the ``fhir.resources`` R4B models, as :mod:`opspor.fhir.medcom`: CarePlan, Goal and
Annotation have the same elements and cardinalities in R4 (4.0.1) as in R4B for everything filled
in here, so the R4B models check the base rules of the R4 resources. No Danish profile of CarePlan
is followed (MedCom has none for a shared plan); the identifiers are dk-core's.

The plan's version is ``meta.versionId`` (every change of the shared plan is a new version); its
sections are ``note`` annotations (title, text, the version's author and time); the tasks after the
MDT are ``activity.detail`` (kind Task: what, status, due as the end of ``scheduledPeriod``, the
owner as ``performer``); the Aktiv Patientstøtte goals are contained ``Goal`` resources referred to
by ``goal``, its plan in force a note of its own. Plain Python: the caller gives plain values.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from dataclasses import dataclass

from fhir.resources.R4B.careplan import CarePlan
from pydantic import ValidationError

from opspor.fhir.medcom import CPR_SYSTEM, BuildError

PLAN_ID_SYSTEM = "urn:ietf:rfc:3986"  # the plan's identifier is its urn:uuid
TASK_STATUS = {"open": "not-started", "in_progress": "in-progress", "done": "completed", "cancelled": "cancelled"}
GOAL_STATUS = {"open": ("active", "in-progress"), "achieved": ("completed", "achieved"),
               "dropped": ("cancelled", "not-achieved")}
ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"


@dataclass(frozen=True)
class Section:
    title: str
    text: str
    author: str = ""
    time: dt.datetime | None = None


@dataclass(frozen=True)
class Activity:
    title: str
    status: str  # a task status: open, in_progress, done, cancelled
    due: dt.date
    performer: str  # the owner: profession, organisation
    detail: str = ""


@dataclass(frozen=True)
class GoalItem:
    text: str
    status: str  # an Aktiv Patientstøtte goal's status: open, achieved, dropped


def _iso(when: dt.datetime) -> str:
    if when.tzinfo is None:
        raise BuildError("times in a CarePlan must carry a time zone")
    return when.isoformat(timespec="seconds")


def _note(section: Section) -> dict:
    note = {"text": f"**{section.title}**\n\n{section.text}"}
    if section.author:
        note["authorString"] = section.author
    if section.time:
        note["time"] = _iso(section.time)
    return note


def care_plan(*, plan_id: str, version: int, last_updated: dt.datetime, created: dt.datetime, title: str,
              cpr: str, name: str, author: str, sections: Sequence[Section], activities: Sequence[Activity],
              goals: Sequence[GoalItem] = (), aps_plan: Section | None = None) -> dict:
    """The CarePlan as a JSON-ready ``dict``; :class:`BuildError` when the models refuse it."""
    contained = []
    for i, goal in enumerate(goals, start=1):
        lifecycle, achievement = GOAL_STATUS[goal.status]
        contained.append({
            "resourceType": "Goal", "id": f"goal-{i}", "lifecycleStatus": lifecycle,
            "achievementStatus": {"coding": [{"system": ACHIEVEMENT, "code": achievement}]},
            "description": {"text": goal.text},
            "subject": {"identifier": {"system": CPR_SYSTEM, "value": cpr}, "display": name},
        })
    notes = [_note(s) for s in sections if s.text]
    if aps_plan is not None and aps_plan.text:
        notes.append(_note(aps_plan))
    body = "".join(f"<h3>{html.escape(s.title)}</h3><p>{html.escape(s.text)}</p>" for s in sections if s.text)
    body += "".join(f"<p>{html.escape(a.title)} ({html.escape(a.performer)}; {a.due.isoformat()}; "
                    f"{TASK_STATUS[a.status]})</p>" for a in activities)
    resource = {
        "resourceType": "CarePlan", "id": plan_id,
        "meta": {"versionId": str(version), "lastUpdated": _iso(last_updated)},
        "text": {"status": "generated",
                 "div": f'<div xmlns="http://www.w3.org/1999/xhtml"><h2>{html.escape(title)}</h2>{body}</div>'},
        "identifier": [{"system": PLAN_ID_SYSTEM, "value": f"urn:uuid:{plan_id}"}],
        "status": "active", "intent": "plan", "title": title,
        "subject": {"identifier": {"system": CPR_SYSTEM, "value": cpr}, "display": name},
        "created": _iso(created), "author": {"display": author},
        "contained": contained,
        "goal": [{"reference": f"#{g['id']}"} for g in contained],
        "activity": [{"detail": {
            "kind": "Task", "code": {"text": a.title}, "status": TASK_STATUS[a.status],
            "scheduledPeriod": {"end": a.due.isoformat()}, "performer": [{"display": a.performer}],
            **({"description": a.detail} if a.detail else {}),
        }} for a in activities],
        "note": notes,
    }
    resource = {k: v for k, v in resource.items() if v != []}
    try:
        model = CarePlan.model_validate(resource)
    except ValidationError as e:
        raise BuildError(f"the FHIR models refused the CarePlan: {e}") from None
    return model.model_dump(mode="json", exclude_none=True, by_alias=True)
