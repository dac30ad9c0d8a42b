"""The department specialist's pages: today's list, earlier lists, screening, MDT, exports."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opspor.lists.status import lists_status
from opspor.web.accounts.decorators import role_required
from opspor.web.accounts.roles import Role
from opspor.web.audit import actions as audit
from opspor.web.core import params
from opspor.web.people.scope import get_person, get_person_by_pk
from opspor.web.worklists import actions, explain, exports, queries
from opspor.web.worklists.forms import MdtForm, ScreeningForm
from opspor.web.worklists.models import Category, ListRun, MdtConference, Screening

specialist_only = role_required(Role.SPECIALIST)
CHOICES = {"decisions": Screening.Decision.choices, "categories": Category.choices}


SORT_VALUES = [s for name in queries.SORTS for s in (name, f"-{name}")]
SORT_LABELS = {"name": _l("Patient"), "age": _l("Age"), "new": _l("New today"),
               "last_contact": _l("Latest contact"), "counted": _l("Counting contacts"), "decision": _l("Decision")}


def _list_params(request) -> tuple[str, set[str], str]:
    """(view, filters, sort) of the worklist's query; a bad one is a 400 naming it."""
    view = params.choice_param(request.GET, "view", ("table", "cards")) or "cards"
    filters = set()
    for value in request.GET.getlist("filter"):
        filters.add(params.choice_param({"filter": value}, "filter", queries.FILTERS))
    return view, filters - {""}, params.choice_param(request.GET, "sort", SORT_VALUES)


def _query(**values) -> str:
    return urlencode([(k, v) for k, vs in values.items() for v in ([vs] if isinstance(vs, str) else vs) if v])


def _render_list(request, run: ListRun | None, is_today: bool):
    view, filters, sort = _list_params(request)
    department = request.user.organisation
    blocks = queries.department_list(department, run) if run else []
    audit.record(request, audit.Event.WORKLIST, action=audit.READ, why=_("Department worklist"),
                 persons=[b.person.person_key for b in blocks],
                 detail={"run": run.run_id if run else None, "view": view, "filters": sorted(filters), "sort": sort})
    shown = queries.shown(blocks, filters, sort)
    if view == "cards":
        for b in shown:
            b.form = ScreeningForm.for_block(b)
    status = lists_status(timezone.localdate()) if is_today else None
    current = sort
    columns = [{"key": key, "label": label, "sort": key if current != key else f"-{key}",
                "aria": "ascending" if current == key else "descending" if current == f"-{key}" else ""}
               for key, label in SORT_LABELS.items()]
    filter_links = [{"value": value, "label": label, "on": value in filters,
                     "query": _query(view=view if view == "table" else "", sort=sort,
                                     filter=sorted(filters ^ {value}))}
                    for value, label in (("new", _("New today")), ("unscreened", _("Not screened")))]
    return render(request, "worklists/list.html", {
        "department": department, "run": run, "blocks": shown, "all_blocks": blocks, "is_today": is_today,
        "lists_missing": bool(status and status.alarm), "deadline": status.deadline if status else None,
        **CHOICES,
        "today": timezone.localdate(),
        "screened": sum(1 for b in blocks if b.screening), "new": sum(1 for b in blocks if b.new_today),
        "view": view, "filters": filters, "sort": sort, "columns": columns, "filter_links": filter_links,
        "keep": _query(view="table", filter=sorted(filters)),
        "cards_query": _query(filter=sorted(filters)), "table_query": _query(view="table", filter=sorted(filters), sort=sort),
        "rule_text": explain.rule_text(), "rule_version": explain.rule_version(),
        "run_rule_version": (run.rules.get("repeated_acute", {}).get("version") if run else None),
    })


@specialist_only
@require_GET
def today(request):
    run = queries.latest_run_for(request.user.organisation)
    return _render_list(request, run, is_today=True)


@specialist_only
@require_GET
def run_list(request, run_pk: int):
    return _render_list(request, get_object_or_404(ListRun, pk=run_pk), is_today=False)


@specialist_only
@require_GET
def history(request):
    return render(request, "worklists/history.html", {"runs": queries.runs_of(request.user.organisation)})


@specialist_only
@require_POST
def screen(request, run_pk: int, public_id):
    run = get_object_or_404(ListRun, pk=run_pk)
    person = get_person(request.user, public_id)
    department = request.user.organisation
    form = ScreeningForm(request.POST, prefix_id=str(person.pk))
    if form.is_valid():
        try:
            actions.screen(request.user, person=person, department=department, run=run, **form.cleaned_data)
        except ValidationError as e:
            form.add_error(None, e)
    if not request.htmx:
        if form.errors:
            messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect("worklists:run", run_pk=run.pk)
    block = next((b for b in queries.department_list(department, run) if b.person.pk == person.pk), None)
    if block is None:
        return HttpResponse(status=404)
    block.form = form if form.errors else ScreeningForm.for_block(block)
    return render(request, "worklists/_patient.html", {"b": block, "run": run, "saved": not form.errors, **CHOICES})


@specialist_only
@require_POST
def mdt_open(request, public_id):
    person = get_person(request.user, public_id)
    conference = actions.open_mdt(request.user, person=person, department=request.user.organisation)
    return redirect("worklists:mdt", pk=conference.pk)


@specialist_only
@require_http_methods(["GET", "POST"])
def mdt(request, pk: int):
    conference = get_object_or_404(MdtConference, pk=pk, department=request.user.organisation)
    person = get_person_by_pk(request.user, conference.person_id)
    form = MdtForm(request.POST or None, instance=conference)
    if request.method == "POST" and conference.status == MdtConference.Status.OPEN and form.is_valid():
        values = {f: form.cleaned_data[f] for f in MdtForm.Meta.fields}
        try:
            actions.save_mdt(request.user, MdtConference.objects.get(pk=conference.pk), values,
                             conclude=form.cleaned_data["conclude"])
        except ValidationError as e:
            form.add_error(None, e)
        else:
            messages.success(request, _("The MDT conference is concluded.") if form.cleaned_data["conclude"]
                             else _("Saved."))
            return redirect("worklists:mdt", pk=conference.pk)
    else:
        audit.record(request, audit.Event.MDT, action=audit.READ, why=_("MDT conference"),
                     persons=[person.person_key], detail={"mdt": conference.pk})
    run, lines, why = queries.newest_lines(conference.department, person)
    return render(request, "worklists/mdt.html", {"conference": conference, "person": person, "form": form,
                                                  "list_run": run, "lines": lines, "why": why})


@specialist_only
@require_GET
def export(request, run_pk: int, fmt: str):
    """The list as a file; audited after the file is made, never for a format not offered (404)."""
    event = audit.export_event("worklist", fmt)
    run = get_object_or_404(ListRun, pk=run_pk)
    department = request.user.organisation
    blocks = queries.department_list(department, run)
    response = exports.response(blocks, run, department, fmt)
    audit.record(request, event, action=audit.EXPORT, why=_("Export of the department list"),
                 persons=[b.person.person_key for b in blocks], detail={"run": run.run_id})
    return response
