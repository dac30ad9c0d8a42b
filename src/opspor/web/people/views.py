"""A person's page: facts, list history, decisions; each role sees the parts of its relation."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from opspor import reference
from opspor.web.accounts.roles import Role
from opspor.web.audit import actions as audit
from opspor.web.people.scope import get_person
from opspor.web.worklists.models import ListEntry, MdtConference, Screening


@require_GET
def detail(request, pk: int):
    person = get_person(request.user, pk)
    user = request.user
    entries = ListEntry.objects.filter(person=person).select_related("run", "department").order_by("-run__as_of", "position")
    screenings = Screening.objects.filter(person=person).select_related("department", "decided_by", "run")
    conferences = MdtConference.objects.filter(person=person).select_related("department")
    if user.role == Role.SPECIALIST:  # their own department's part of the history
        entries = entries.filter(department=user.organisation)
        screenings = screenings.filter(department=user.organisation)
        conferences = conferences.filter(department=user.organisation)
    elif user.role not in (Role.MUNICIPALITY,):
        entries, screenings, conferences = entries.none(), screenings.none(), conferences.none()
    lists: dict = {}
    for e in entries:
        lists.setdefault((e.run, e.department), []).append(e)
    audit.record(request, audit.Event.PERSON, action=audit.READ, why=_("Person's page"), persons=[person.person_key])
    municipality = reference.municipality_by_code().get(person.municipality_code)
    return render(request, "people/detail.html", {
        "person": person, "municipality": municipality, "lists": lists,
        "screenings": screenings if user.role == Role.SPECIALIST else screenings.filter(decision="include"),
        "conferences": conferences,
    })
