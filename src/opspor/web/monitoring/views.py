"""Monitoring pages: aggregates only (no person), so reads are not audited; register changes
are (``actions``). Thin views: queries, rollout, register and charts do the work."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from opspor import reference as ref
from opspor.i18n import localized
from opspor.monitor import targets as tg
from opspor.monitor import tasks as T
from opspor.web.accounts.decorators import role_required
from opspor.web.accounts.roles import Role
from opspor.web.core import language, params
from opspor.web.core.tables import table_response
from opspor.web.monitoring import actions, charts, committee_reports, queries
from opspor.web.monitoring import register as reg
from opspor.web.monitoring import rollout as ro
from opspor.web.monitoring.forms import IntakePlanForm, RegisterFilter, ReportForm, TaskForm
from opspor.web.monitoring.models import FollowUpGroup, MonitoringTask

REGISTER_ROLES = (Role.SECRETARIAT, Role.PROGRAMME_LEAD)
PERIOD_KINDS = ("year", "month")


def _region_name(code: str) -> str:
    for r in ref.regions():
        if r.code == code:
            return localized(r, "name", language.current())
    return code


# --------------------------------------------------------------------------- indicators


@role_required(*queries.DASHBOARD_ROLES)
@require_GET
def dashboard(request):
    pub = queries.latest()
    v = queries.viewer(request.user)
    context = {"pub": pub, "viewer": v, "region_name": _region_name(v.region)}
    if pub is not None:
        context["indicators"] = queries.indicator_index(pub, v, language.current())
        context["targets"] = queries.target_summary(pub, v, language.current())
    return render(request, "monitoring/dashboard.html", context)


def _series_or_404(request, indicator_id: str, version: str, period_kind: str):
    pub = queries.latest()
    if pub is None or period_kind not in PERIOD_KINDS:
        raise Http404
    v = queries.viewer(request.user)
    s = queries.series(pub, v, indicator_id, version, period_kind, language.current())
    if s is None:
        raise Http404
    return pub, v, s


def _target_chart(pub, v, target_rows: list, lang: str, key: str) -> dict | None:
    if not target_rows:
        return None
    first = target_rows[0]
    try:
        target = tg.load_targets().get(first.target_id)
    except KeyError:
        target = None
    path_points = [(t.year, t.path_value) for t in target_rows if t.path_value is not None]
    if not path_points:
        return None
    actual = [(t.year, t.actual, t.actual_low, t.actual_high) for t in target_rows if t.actual is not None]
    rule = tg.rule_rebased(target) if target else None
    old = target.rebased_from.path if target and target.rebased_from else None
    title = localized(first, "title", lang)
    svg = _cached_svg(key, lambda: charts.target(
        path_points, actual, title,
        {"path": _("Target path"), "actual": _("Actual (95 % CI)"), "rule": _("What the rebasing rule gives"),
         "old": _("Earlier definition")},
        [(y, rule.value(y)[0]) for y in rule.years()] if rule else None,
        [(y, old.value(y)[0]) for y in old.years()] if old else None))
    return {"title": title, "svg": svg, "rows": target_rows, "target": target, "rule": rule}


CHART_SECONDS = 24 * 3600


def _cached_svg(key: str, draw) -> str:
    """A chart of a publication never changes: draw it once per process and key (matplotlib
    takes ~0.5 s a chart); the key holds the publication, the viewer's units and the language."""
    from django.core.cache import cache

    return cache.get_or_set(f"monitoring:svg:{key}", draw, CHART_SECONDS)


@role_required(*queries.DASHBOARD_ROLES)
@require_GET
def indicator(request, indicator_id: str, version: str):
    pub, v, years = _series_or_404(request, indicator_id, version, "year")
    lang = language.current()
    months = queries.series(pub, v, indicator_id, version, "month", lang)
    region_label = _region_name(v.region)
    title = f"{years.title} – {years.label}"
    region_years = years.region_rows(v.region)
    munis = years.municipality_rows()
    # the municipality drawn against the region: chosen on the page, else a municipality user's own
    names = {r["unit_code"]: r["unit_name"] for r in munis}
    chosen = params.choice_param(request.GET, "kommune", sorted(names)) or (
        v.municipality if v.municipality in names else "")
    highlight = names.get(chosen)
    base = (f"{pub.pk}-{pub.published_at.timestamp()}:{indicator_id}:{version}:{v.region}:{v.municipality}:"
            f"{int(v.outside_region)}:{lang}:{chosen}")
    chart_crude = _cached_svg(f"{base}:crude", lambda: charts.rates(
        region_years, munis, "crude", region_label, years.unit, _("Crude, %(title)s") % {"title": years.title},
        highlight, lang))
    chart_std = _cached_svg(f"{base}:std", lambda: charts.rates(
        region_years, munis, "standardised", region_label, years.unit,
        _("Age-standardised (%(std)s), %(title)s") % {"std": pub.standard_population.upper(), "title": years.title},
        highlight, lang))
    chart_months = None
    if months is not None:
        region_months = months.region_rows(v.region)
        own = [r for r in months.municipality_rows() if r["unit_code"] == chosen]
        if region_months:
            chart_months = _cached_svg(f"{base}:months", lambda: charts.rates(
                region_months, own, "crude", region_label, years.unit,
                _("Month by month, %(title)s") % {"title": years.title}, highlight, lang))
    latest_year = max((r["period"] for r in region_years if r["period_complete"]), default=None)
    target_rows = [t for t in queries.targets(pub, v, indicator_id) if t.indicator_version == version]
    by_target: dict[str, list] = {}
    for t in target_rows:
        by_target.setdefault(t.target_id, []).append(t)
    target_charts = [c for tid, rows in by_target.items() if (c := _target_chart(pub, v, rows, lang, f"{base}:{tid}"))]
    return render(request, "monitoring/indicator.html", {
        "pub": pub, "viewer": v, "series": years, "title": title, "region_label": region_label,
        "region_rows": region_years, "municipality_rows": [r for r in munis if r["period"] == latest_year],
        "latest_year": latest_year, "chart_crude": chart_crude, "chart_std": chart_std,
        "chart_months": chart_months, "month_rows": months.region_rows(v.region) if months else [],
        "target_charts": target_charts, "standard": pub.standard_population.upper(),
        "municipalities": sorted(names.items(), key=lambda kv: kv[1]), "chosen": chosen, "highlight": highlight,
        "chosen_rows": [r for r in munis if r["unit_code"] == chosen],
        "chosen_months": [r for r in months.municipality_rows() if r["unit_code"] == chosen] if months else [],
    })


# The export's columns: the row's key and the column's name as the reader reads it
EXPORT_COLUMNS = (
    ("indicator_id", gettext_lazy("Indicator")), ("indicator_version", gettext_lazy("Indicator version")),
    ("level", gettext_lazy("Level")), ("unit_code", gettext_lazy("Unit code")), ("unit_name", gettext_lazy("Unit")),
    ("period", gettext_lazy("Period")), ("numerator", gettext_lazy("Numerator")),
    ("denominator", gettext_lazy("Denominator")), ("crude", gettext_lazy("Crude rate")),
    ("crude_low", gettext_lazy("Crude rate, lower limit")), ("crude_high", gettext_lazy("Crude rate, upper limit")),
    ("standardised", gettext_lazy("Standardised rate")),
    ("standardised_low", gettext_lazy("Standardised rate, lower limit")),
    ("standardised_high", gettext_lazy("Standardised rate, upper limit")),
    ("period_complete", gettext_lazy("Period complete")), ("hidden", gettext_lazy("Hidden (small numbers)")),
)
LEVELS = {"region": gettext_lazy("Region"), "municipality": gettext_lazy("Municipality")}


@role_required(*queries.DASHBOARD_ROLES)
@require_GET
def indicator_export(request, indicator_id: str, version: str, period_kind: str, fmt: str):
    pub, _viewer, s = _series_or_404(request, indicator_id, version, period_kind)
    header = [label for _key, label in EXPORT_COLUMNS] + [_("Standard population")]
    rows = [[LEVELS.get(r[c], r[c]) if c == "level" else r[c] for c, _label in EXPORT_COLUMNS]
            + [pub.standard_population.upper()] for r in s.rows]
    return table_response(header, rows, f"{indicator_id}-v{version}-{period_kind}", fmt, indicator_id)


# --------------------------------------------------------------------------- rollout


STAGES = {"listed": gettext_lazy("Listed"), "screened": gettext_lazy("Screened"),
          "included": gettext_lazy("Included"), "invited": gettext_lazy("Invited"),
          "consented": gettext_lazy("Consented"), "started": gettext_lazy("Started"),
          "active": gettext_lazy("Active"), "ended": gettext_lazy("Ended")}


@role_required(*queries.REGION_ROLES)
@require_GET
def rollout(request):
    return _rollout_page(request, None)


@role_required(Role.SECRETARIAT)
@require_http_methods(["POST"])
def rollout_plan(request):
    """The secretariat sets the region's own intake plan (the form on the rollout page)."""
    form = IntakePlanForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            actions.set_intake_plan(request.user, request.user.region_code, form.by_year(), d["start"], d["end"],
                                    d["source"])
        except actions.PlanError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            messages.success(request, _("The region's intake plan is saved: the rollout figures use it now."))
            return redirect("monitoring:rollout")
    return _rollout_page(request, form, status=400)


def _rollout_page(request, form: IntakePlanForm | None, status: int = 200):
    region = request.user.region_code
    r = ro.rollout(region)
    if form is None and request.user.role == Role.SECRETARIAT:
        form = IntakePlanForm(initial={"start": r.plan.start, "end": r.plan.end, "source": r.plan.source,
                                       **{f"year_{y}": n for y, n in r.plan.by_year}} if r.own_plan else None)
    stages = {k: str(v) for k, v in STAGES.items()}
    package = [(stages[k], n) for k, n in r.package_funnel]
    aps = [(stages[k], n) for k, n in r.aps_funnel]
    shown_intake = r.intake[-12:]
    return render(request, "monitoring/rollout.html", {
        "r": r, "region_name": _region_name(region), "package": package, "aps": aps,
        "package_svg": charts.funnel(package, _("The package: from list to inclusion")) if r.package_funnel[0][1] else None,
        "aps_svg": charts.funnel(aps, _("Aktiv Patientstøtte: from invitation to end")) if r.aps_funnel[0][1] else None,
        "intake_svg": charts.intake([i.month for i in r.intake], [i.planned_cumulative for i in r.intake],
                                    [i.started_cumulative for i in r.intake], _("Intake against plan"),
                                    {"planned": _("Planned (cumulative)"), "started": _("Started (cumulative)"),
                                     "ylabel": _("Patients")}) if r.intake else None,
        "intake_rows": shown_intake, "capacity": r.capacity, "routes": ro.intake_routes(region),
        "plan_form": form,
    }, status=status)


@role_required(*queries.REGION_ROLES)
@require_GET
def rollout_export(request, table: str, fmt: str):
    r = ro.rollout(request.user.region_code)
    if table == "weeks":
        header = [_("Department"), _("Week"), _("Week start"), _("Listed"), _("Screened"), _("Included"),
                  _("No action")]
        rows = [[w.department, w.week, w.week_start, w.listed, w.screened, w.included, w.no_action] for w in r.weeks]
    elif table == "nurses":
        header = [_("Region"), _("Nurse"), _("Invited"), _("Consented"), _("Declined"), _("Started"), _("Active"),
                  _("Ended"), _("Capacity")]
        rows = [[_region_name(n.region), n.nurse, n.invited, n.consented, n.declined, n.started, n.active, n.ended,
                 r.capacity.get(n.nurse)] for n in r.nurses]
    elif table == "intake":
        header = [_("Month"), _("Month end"), _("Planned (cumulative)"), _("Started (cumulative)"),
                  _("Consented (cumulative)"), _("Share of plan (%)")]
        rows = [[i.month, i.month_end, round(i.planned_cumulative, 1), i.started_cumulative, i.consented_cumulative,
                 None if i.share_of_plan is None else round(100 * i.share_of_plan, 1)] for i in r.intake]
    elif table == "sessions":
        header = [_("Region"), _("Nurse"), _("Planned"), _("Held"), _("Missed"), _("Held (%)")]
        rows = [[_region_name(s.region), s.nurse, s.planned, s.held, s.missed,
                 None if s.held_share is None else round(100 * s.held_share, 1)] for s in r.sessions]
    elif table == "questionnaires":
        header = [_("Questionnaire"), _("Nurse"), _("Sent"), _("Answered by the citizen"), _("Answered on paper"),
                  _("Not answered by the deadline"), _("Still open"), _("Response rate (%)")]
        rows = [[q.questionnaire, q.nurse, q.sent, q.by_citizen, q.on_paper, q.not_answered, q.still_open,
                 None if q.rate is None else round(100 * q.rate, 1)] for q in r.questionnaires]
    else:
        raise Http404
    return table_response(header, rows, f"rollout-{table}", fmt, table)


# --------------------------------------------------------------------------- the task register


def _as_of(request) -> dt.date:
    return timezone.localdate()


@role_required(*REGISTER_ROLES)
@require_GET
def register(request):
    form = RegisterFilter(request.GET or None)
    rows = MonitoringTask.objects.select_related("group")
    state = ""
    if form.is_valid():
        if form.cleaned_data["group"]:
            rows = rows.filter(group=form.cleaned_data["group"])
        if form.cleaned_data["weight"]:
            rows = rows.filter(weight=form.cleaned_data["weight"])
        state = form.cleaned_data["state"]
    rows = list(rows)
    if form.is_valid() and form.cleaned_data["status"]:
        rows = [r for r in rows if form.cleaned_data["status"] in r.status.split("/")]
    as_of = _as_of(request)
    lang = language.current()
    items = []
    for row in rows:
        due = T.due_state(reg.as_task(row), as_of)
        if state and due.state != state:
            continue
        items.append({"row": row, "due": due, "state": T.state_labels(lang)[due.state],
                      "frequency": T.Frequency.parse(row.frequency).label(lang),
                      "weight": T.Weight.parse(row.weight).label(lang) if row.weight else "",
                      "monitoring": T.Monitoring.parse(row.monitoring).label(lang)})
    order = {T.OVERDUE: 0, T.DUE: 1, T.UPCOMING: 2, T.ONGOING: 3, T.UNRESOLVED: 4, T.DONE: 5}
    items.sort(key=lambda i: (i["row"].group.name, order[i["due"].state], i["row"].key))
    return render(request, "monitoring/register.html", {
        "form": form, "items": items, "as_of": as_of, "groups": FollowUpGroup.objects.all(),
        "can_edit": request.user.has_role(Role.SECRETARIAT)})


@role_required(*REGISTER_ROLES)
@require_GET
def due(request):
    as_of = _as_of(request)
    lang = language.current()
    labels = T.state_labels(lang)
    rows = {r.key: r for r in MonitoringTask.objects.select_related("group")}
    items = [{"item": i, "row": rows[i.task.id], "state": labels[i.state]}
             for i in T.due_list([reg.as_task(r) for r in rows.values()], as_of)
             if i.state in (T.OVERDUE, T.DUE)]
    return render(request, "monitoring/due.html", {"items": items, "as_of": as_of,
                                                   "within": T.DEFAULT_DUE_WITHIN_DAYS})


@role_required(Role.SECRETARIAT)
@require_http_methods(["GET", "POST"])
def task_edit(request, pk: int):
    row = get_object_or_404(MonitoringTask.objects.select_related("group"), pk=pk)
    form = TaskForm(request.POST or None, instance=MonitoringTask.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        try:
            changed = actions.update_task(request, row, form.changes())
        except actions.TaskError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            if changed:
                messages.success(request, _("Saved: %(task)s.") % {"task": row.title})
            else:
                messages.info(request, _("Nothing changed."))
            return redirect("monitoring:register")
    return render(request, "monitoring/task_edit.html", {"form": form, "row": row},
                  status=400 if request.method == "POST" else 200)


@role_required(*REGISTER_ROLES)
@require_GET
def aarshjul(request):
    today = _as_of(request)
    year = params.int_param(request.GET, "year", today.year, low=2000, high=2100)
    rows = {r.key: r for r in MonitoringTask.objects.select_related("group")}
    wheel = T.aarshjul([reg.as_task(r) for r in rows.values()], year, reg.meetings())
    groups: dict[str, list] = {}
    for w in wheel.rows:
        groups.setdefault(w.group, []).append({"row": rows[w.task_id], "cells": [(T.SYMBOLS[c], c) for c in w.cells]})
    meeting_months = {g: sorted({d.month for d in ds}) for g, ds in wheel.meetings.items()}
    return render(request, "monitoring/aarshjul.html", {
        "year": year, "groups": [(g, rs, meeting_months.get(g, [])) for g, rs in groups.items()],
        "months": range(1, 13), "previous": year - 1, "next": year + 1})


@role_required(*REGISTER_ROLES)
@require_GET
def group_pdf(request, pk: int):
    group = get_object_or_404(FollowUpGroup, pk=pk)
    tasks = reg.all_tasks()
    if not any(t.group == group.name for t in tasks):
        raise Http404
    from opspor.monitor import tasks_pdf  # reportlab, on the first PDF

    as_of = _as_of(request)
    meetings = reg.meetings()
    with tempfile.TemporaryDirectory(prefix="opspor-group-") as folder:
        path = Path(folder) / "group.pdf"
        tasks_pdf.write_group_pdf(tasks, group.name, path, as_of, as_of.year, meetings, language.current())
        body = path.read_bytes()
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="foelgegruppe-{group.pk}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


# --------------------------------------------------------------------------- committee reports


@role_required(Role.SECRETARIAT)
@require_http_methods(["GET", "POST"])
def reports(request):
    """The reports made, and (POST) a new one made by the secretariat: one year, one language."""
    data = committee_reports.data_range()
    form = ReportForm(request.POST or None, initial={
        "year": committee_reports.default_year(data, timezone.localdate()), "lang": language.current()})
    if request.method == "POST" and form.is_valid():
        try:
            made = committee_reports.make(request, request.user.region_code, form.cleaned_data["year"],
                                          form.cleaned_data["lang"])
        except committee_reports.ReportError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("The committee report for %(year)s is made: download it below.")
                             % {"year": made.year})
            return redirect(f"{request.path}#report-{made.name}")
    return render(request, "monitoring/reports.html", {
        "reports": committee_reports.listing(), "form": form, "data": data,
        "region_name": _region_name(request.user.region_code)},
        status=400 if request.method == "POST" else 200)


@role_required(Role.SECRETARIAT)
@require_GET
def report_file(request, name: str, file: str):
    if file not in committee_reports.FILES or name not in {r["name"] for r in committee_reports.listing()}:
        raise Http404
    path = committee_reports.folder() / name / file
    response = FileResponse(path.open("rb"), content_type=committee_reports.FILES[file],
                            as_attachment=file.endswith(".pdf"), filename=f"{name}-{file}")
    response["Cache-Control"] = "no-store"
    return response


# --------------------------------------------------------------------------- effect


@role_required(*queries.REGION_ROLES)
@require_GET
def effect(request):
    """The trial's ITT estimates (published by ``opspor monitor publish --effect``) with the
    published figures of the pilot and the national trial as reference lines, never as results."""
    from opspor.monitor import effect as eff
    from opspor.monitor.references import references
    from opspor.web.monitoring.models import EffectResult

    lang = language.current()
    refs = references()
    pilot, trial = refs["pilot"], refs["national_trial"]
    result = EffectResult.objects.first()
    estimates = list(result.estimates.all()) if result else []
    itt = [e for e in estimates if e.outcome != "before_after"]
    before_after = [e for e in estimates if e.outcome == "before_after"]
    names = {"admissions": _("Acute admissions"), "bed_days": _("Bed-days"), "who5": _("Well-being (WHO-5)")}
    forest = None
    ratios = [e for e in itt if e.measure == "rate_ratio" and e.estimate is not None]
    if ratios:
        forest = charts.effects(
            [(_("{outcome}, {months} months").format(outcome=names[e.outcome], months=e.months), e.estimate, e.low,
              e.high) for e in ratios],
            [(_("Pilot: admissions %(rr)s") % {"rr": pilot["admissions_rate_ratio"]}, pilot["admissions_rate_ratio"],
              "orange"),
             (_("Pilot: bed-days %(rr)s") % {"rr": pilot["bed_days_rate_ratio"]}, pilot["bed_days_rate_ratio"],
              "red"),
             (_("National trial: no overall effect on admissions (6 months)"), trial["admissions_6m_rate_ratio"],
              "green")],
            _("Rate ratios, intervention against control (95 % CI)"), _("Rate ratio (log scale)"))
    return render(request, "monitoring/effect.html", {
        "result": result, "itt": [{"e": e, "name": names.get(e.outcome, e.outcome)} for e in itt],
        "before_after": before_after, "limits": eff.before_after_limits(lang), "forest": forest,
        "pilot": pilot, "trial": trial, "pilot_label": pilot[f"label_{lang}"], "trial_label": trial[f"label_{lang}"],
        "trial_admissions": trial[f"admissions_6m_text_{lang}"],
        "pilot_qol": round(100 * pilot["quality_of_life_relative"]),
        "pilot_adm": round(100 * (1 - pilot["admissions_rate_ratio"])),
        "pilot_bed": round(100 * (1 - pilot["bed_days_rate_ratio"])),
    })
