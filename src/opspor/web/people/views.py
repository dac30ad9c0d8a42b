"""A person's page. Which parts a role sees is the role scope policy (policy.py): a part not
granted is neither queried nor rendered, and the page shows the legal basis of each part shown.
Whose rows within a part (the specialist's own department, the municipality's own
recommendations) is the relation of the user to the person."""

from __future__ import annotations

from django.db.models import Q
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from opspor import reference
from opspor.web.accounts.roles import OrgKind, Role
from opspor.web.audit import actions as audit
from opspor.web.people.policy import scope_of
from opspor.web.people.scope import get_person, shows_identity
from opspor.web.worklists.models import ListEntry, MdtConference, Screening


def _own_department(user, rows):
    return rows.filter(department=user.organisation) if user.role == Role.SPECIALIST else rows


def _hospital_contacts(user, person) -> dict:
    entries = ListEntry.objects.filter(person=person).select_related("run", "department").order_by("-run__as_of", "position")
    lists: dict = {}
    for e in _own_department(user, entries):
        lists.setdefault((e.run, e.department), []).append(e)
    return lists


def _inclusions(person) -> list[dict]:
    """That the citizen is included, where and since when; no category, no note."""
    out = [{"programme": "Aktiv Patientstøtte", "since": c.answered_at, "contact": c.nurse,
            "contact_role": _("support nurse")}
           for c in person.aps_cases.included().select_related("nurse")]
    out += [{"programme": _("Package for repeated admissions"), "since": s.decided_at, "contact": s.decided_by, "contact_role": _("specialist, %(department)s") % {"department": s.department}}
            for s in Screening.objects.filter(person=person, decision=Screening.Decision.INCLUDE)
            .select_related("department", "decided_by")]
    return sorted(out, key=lambda i: i["since"].timestamp() if i["since"] else 0, reverse=True)


def _recommendations(user, person):
    """Concluded MDT recommendations that ask this municipality's (or this practice's) action."""
    org = user.organisation
    addressed = Q(action_by_municipality=True) if org.kind == OrgKind.MUNICIPALITY else Q(action_by_gp=True)
    return (MdtConference.objects.filter(addressed, person=person, status=MdtConference.Status.CONCLUDED)
            .select_related("department", "concluded_by").order_by("-concluded_at"))


@require_GET
def detail(request, public_id):
    user = request.user
    person = get_person(user, public_id)
    scope = scope_of(user)
    context = {"person": person, "scope": scope, "grants": list(scope.grants.values()),
               "show_identity": shows_identity(request, person)}
    if scope.may("facts"):
        context["municipality"] = reference.municipality_by_code().get(person.municipality_code)
    if scope.may("hospital_contacts"):
        context["lists"] = _hospital_contacts(user, person)
    if scope.may("screenings"):
        screenings = Screening.objects.filter(person=person).select_related("department", "decided_by", "run")
        context["screenings"] = _own_department(user, screenings)
    if scope.may("mdt_conferences"):
        context["conferences"] = _own_department(user, MdtConference.objects.filter(person=person).select_related("department"))
    if scope.may("inclusion") or scope.may("contact_person"):
        context["inclusions"] = _inclusions(person)
    if scope.may("recommendation") and user.role == Role.MUNICIPALITY:
        context["recommendations"] = _recommendations(user, person)
    audit.record(request, audit.Event.PERSON, action=audit.READ, why=_("Person's page"), persons=[person.person_key],
                 detail={"parts": list(scope.grants), "identity": context["show_identity"],
                         "policy": scope.version})
    return render(request, "people/detail.html", context)
