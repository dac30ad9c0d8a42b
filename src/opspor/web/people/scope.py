"""Who may see which person: the one place that decides it. Every view that shows person data
gets its persons through :func:`visible_persons` or :func:`get_person`.

* department specialist: persons who have been on a list of their own department;
* support nurse: persons in their own caseload (invited by the programme to them);
* programme lead: persons of their region who are eligible for, or in, the programme;
* municipality / GP practice: their own citizens / listed patients once included in a programme
  (a consented Aktiv Patientstøtte case or an inclusion at screening);
* monitoring secretariat, auditor, administrator: no persons (aggregates and the audit log).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from opspor.web.accounts.roles import OrgKind, Role
from opspor.web.aps.models import CaseQuerySet
from opspor.web.people.models import Person

def _included() -> Q:
    return Q(aps_cases__state__in=CaseQuerySet.INCLUDED) | Q(screenings__decision="include")


def visible_persons(user) -> QuerySet[Person]:
    persons = Person.objects.all()
    org = getattr(user, "organisation", None)
    if not user.is_authenticated or not user.is_active or org is None:
        return persons.none()
    role = user.role
    if role == Role.SPECIALIST:
        return persons.filter(list_entries__department=org).distinct()
    if role == Role.NURSE:
        return persons.filter(aps_cases__nurse=user).distinct()
    if role == Role.PROGRAMME_LEAD:
        return persons.filter(region_code=org.region_code).filter(
            Q(eligibility__isnull=False) | Q(aps_cases__isnull=False)).distinct()
    if role == Role.MUNICIPALITY:
        if org.kind == OrgKind.MUNICIPALITY:
            mine = Q(municipality_code=org.code)
        elif org.kind == OrgKind.GP_PRACTICE:
            mine = Q(gp_provider_number=org.code)
        else:
            return persons.none()
        return persons.filter(mine).filter(_included()).distinct()
    return persons.none()


def get_person(user, pk) -> Person:
    """The person with primary key ``pk`` if ``user`` may see them; 404 otherwise (the same
    answer whether the person exists or not, so nobody can probe for persons)."""
    try:
        return visible_persons(user).get(pk=pk)
    except (Person.DoesNotExist, ValueError):
        raise Http404("not found") from None
