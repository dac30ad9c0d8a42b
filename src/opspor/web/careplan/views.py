"""After the MDT (the conference's department), the task board (each sector within its scope) and
the citizen's shared plan (read and changed by the roles granted it; history; FHIR CarePlan).
Every read of person data audited here; every change through ``careplan.actions``."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from opspor.fhir import careplan as fhir_careplan
from opspor.i18n import localized
from opspor.web.accounts.decorators import role_required
from opspor.web.accounts.roles import Role
from opspor.web.audit import actions as audit
from opspor.web.careplan import access, actions, checklist, queries
from opspor.web.careplan.forms import ParticipantForm, PlanForm, StatusForm, TaskForm
from opspor.web.careplan.models import Task
from opspor.web.core import language
from opspor.web.directory.models import Booking, Offer, OfferKind
from opspor.web.people.scope import get_person_by_pk, shows_identity
from opspor.web.worklists.models import MdtConference

specialist_only = role_required(Role.SPECIALIST)
board_roles = role_required(Role.SPECIALIST, Role.NURSE, Role.MUNICIPALITY, Role.DOCTOR)


def _conference(request, pk: int) -> MdtConference:
    conference = get_object_or_404(MdtConference.objects.select_related("person", "department"), pk=pk,
                                   department=request.user.organisation)
    get_person_by_pk(request.user, conference.person_id)  # the department reaches the person
    return conference


def _error(request, e: ValidationError) -> None:
    messages.error(request, " ".join(e.messages))


@specialist_only
@require_GET
def follow_up(request, pk: int):
    conference = _conference(request, pk)
    tasks = list(queries.tasks_of_conference(conference))
    audit.record(request, audit.Event.CAREPLAN_FOLLOW_UP, action=audit.READ, why=_("MDT conference"),
                 persons=[conference.person.person_key], detail={"mdt": conference.pk})
    done = {t.checklist_item for t in tasks if t.checklist_item}
    offers, filters = queries.offers_for(conference.person, request.GET)
    return render(request, "careplan/follow_up.html", {
        "places": queries.places_of_conference(conference, actions.mdt_source(conference)),
        "offers": offers, "filters": filters, "kinds": OfferKind.choices,
        "conference": conference, "person": conference.person, "tasks": queries.labelled(tasks),
        "participants": conference.careplan_participants.select_related("organisation"),
        "participant_form": ParticipantForm(),
        "task_form": TaskForm(), "already": done, "config": checklist.config(),
    })


@specialist_only
@require_POST
def add_participant(request, pk: int):
    conference = _conference(request, pk)
    form = ParticipantForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect("careplan:follow_up", pk=pk)
    try:
        actions.add_participant(request.user, conference, **form.cleaned_data)
    except ValidationError as e:
        _error(request, e)
    else:
        messages.success(request, _("Participant added."))
    return redirect("careplan:follow_up", pk=pk)


@specialist_only
@require_POST
def from_checklist(request, pk: int):
    conference = _conference(request, pk)
    try:
        made, skipped = actions.tasks_from_checklist(request.user, conference, request.POST.getlist("items"))
    except ValidationError as e:
        _error(request, e)
    else:
        messages.success(request, _("%(n)d tasks made from the checklist.") % {"n": len(made)}
                         + (" " + _("%(n)d already had a task.") % {"n": len(skipped)} if skipped else ""))
    return redirect("careplan:follow_up", pk=pk)


@specialist_only
@require_POST
def add_task(request, pk: int):
    conference = _conference(request, pk)
    form = TaskForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect("careplan:follow_up", pk=pk)
    try:
        actions.create_task(request.user, conference, **form.cleaned_data)
    except ValidationError as e:
        _error(request, e)
    else:
        messages.success(request, _("Task made."))
    return redirect("careplan:follow_up", pk=pk)


@specialist_only
@require_POST
def book_place(request, pk: int):
    conference = _conference(request, pk)
    offer = get_object_or_404(Offer, key=request.POST.get("offer", ""), active=True)
    try:
        booking = actions.book_place(request.user, conference, offer, note=request.POST.get("note", ""))
    except ValidationError as e:
        _error(request, e)
    else:
        messages.success(request, _("Place booked in %(offer)s.") % {"offer": booking.offer.name})
    return redirect(reverse("careplan:follow_up", kwargs={"pk": pk}) + "#places")


@specialist_only
@require_POST
def release_place(request, pk: int, booking: int):
    conference = _conference(request, pk)
    held = get_object_or_404(Booking, pk=booking, source=actions.mdt_source(conference))
    try:
        actions.release_place(request.user, conference, held)
    except ValidationError as e:
        _error(request, e)
    else:
        messages.success(request, _("Place released."))
    return redirect(reverse("careplan:follow_up", kwargs={"pk": pk}) + "#places")


@board_roles
@require_GET
def board(request):
    show = request.GET.get("vis", "open")
    tasks = access.visible_tasks(request.user).select_related("person", "owner_org", "conference__department")
    if show != "alle":
        show = "open"
        tasks = tasks.filter(status__in=Task.OPEN_STATES)
    tasks = list(tasks.order_by("due_on", "id"))
    audit.record(request, audit.Event.CAREPLAN_TASKS, action=audit.READ, why=_("Task board"),
                 persons=sorted({t.person.person_key for t in tasks}), detail={"tasks": len(tasks), "show": show})
    for t in tasks:
        t.identity = shows_identity(request, t.person)
        t.may_change = request.user.organisation_id == t.owner_org_id
        t.may_cancel = t.may_change or (request.user.role == Role.SPECIALIST and t.conference is not None
                                        and t.conference.department_id == request.user.organisation_id)
    return render(request, "careplan/board.html", {"tasks": queries.labelled(tasks), "show": show,
                                                   "statuses": Task.Status})


@board_roles
@require_POST
def task_status(request, pk: int):
    task = access.get_task(request.user, pk)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            actions.set_status(request.user, task, form.cleaned_data["status"], form.cleaned_data["note"])
        except ValidationError as e:
            _error(request, e)
        else:
            messages.success(request, _("The task's status is saved."))
    else:
        messages.error(request, _("Choose the task's status."))
    return redirect("careplan:board")


def _plan_context(request, person) -> dict:
    plan = access.plan_of(person)
    versions = list(plan.versions.select_related("author")) if plan else []
    config = checklist.config()
    lang = language.current()
    current = versions[0] if versions else None
    sections = [(localized(s, "title", lang), (current.sections.get(s.id, "") if current else ""), s.id)
                for s in config.plan_sections]
    shown = [(*row, actions.owner_label(s.owner)) for row, s in zip(sections, config.plan_sections, strict=True)]
    titles = {s.id: localized(s, "title", lang) for s in config.plan_sections}
    for v in versions:  # a section of an earlier configuration keeps its id as its title
        v.titled = [(titles.get(sid, sid), text) for sid, text in v.sections.items()]
    return {"person": person, "plan": plan, "current": current, "versions": versions, "sections": sections,
            "tasks": queries.labelled(queries.tasks_of_person(person)), "aps": queries.aps_part(person),
            "places": queries.places_of_person(person), "shown": shown,
            "owned": config.owned_by(actions.sector_of(request.user)),
            "show_identity": shows_identity(request, person)}


@board_roles
@require_GET
def plan(request, public_id):
    person = access.plan_person(request.user, public_id)
    context = _plan_context(request, person)
    context["form"] = PlanForm(owned=context["owned"], initial={
        "based_on": context["current"].number if context["current"] else 0,
        **{f"section_{sid}": text for _title, text, sid in context["sections"]}})
    audit.record(request, audit.Event.SHARED_PLAN, action=audit.READ, why=_("Shared plan"),
                 persons=[person.person_key],
                 detail={"version": context["current"].number if context["current"] else 0})
    return render(request, "careplan/plan.html", context)


@board_roles
@require_POST
def plan_save(request, public_id):
    person = access.plan_person(request.user, public_id)
    form = PlanForm(request.POST, owned=checklist.config().owned_by(actions.sector_of(request.user)))
    if form.is_valid():
        try:
            actions.save_plan(request.user, person, form.sections(), form.cleaned_data["change_note"],
                              form.cleaned_data["based_on"])
        except ValidationError as e:
            form.add_error(None, e)
        else:
            messages.success(request, _("The shared plan is saved as a new version."))
            return redirect("careplan:plan", public_id=person.public_id)
    context = _plan_context(request, person)
    context["form"] = form  # the writer's text is kept
    audit.record(request, audit.Event.SHARED_PLAN, action=audit.READ, why=_("Shared plan"),
                 persons=[person.person_key],
                 detail={"version": context["current"].number if context["current"] else 0})
    return render(request, "careplan/plan.html", context, status=400)


@board_roles
@require_GET
def plan_fhir(request, public_id):
    person = access.plan_person(request.user, public_id)
    context = _plan_context(request, person)
    if context["current"] is None:
        return HttpResponse(_("The citizen has no shared plan yet."), status=404, content_type="text/plain; charset=utf-8")
    resource = queries.fhir_resource(context, fhir_careplan)
    response = HttpResponse(json.dumps(resource, ensure_ascii=False, indent=1),
                            content_type="application/fhir+json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="careplan-{context["plan"].public_id}.json"'
    audit.record(request, audit.Event.SHARED_PLAN_FHIR, action=audit.EXPORT, why=_("Shared plan"),
                 persons=[person.person_key], detail={"version": context["current"].number,
                                                      "at": timezone.now().isoformat(timespec="seconds")})
    return response
