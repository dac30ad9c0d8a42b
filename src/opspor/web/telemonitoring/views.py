"""Telemonitoring pages: the patients in telemonitoring, enrolment, a patient's page (plan,
thresholds in force, measurements with their triage, adjustments). Persons come through
people.scope; the part through the role scope policy (``telemonitoring``); every read audited."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from opspor.i18n import localized
from opspor.telemonitoring import kinds, protocols
from opspor.web.accounts.decorators import role_required
from opspor.web.accounts.roles import Role
from opspor.web.audit import actions as audit
from opspor.web.core.language import current
from opspor.web.core.params import choice_param
from opspor.web.core.tables import table_response
from opspor.web.people.policy import scope_of
from opspor.web.people.scope import get_person, shows_identity, visible_persons
from opspor.web.telemonitoring import actions
from opspor.web.telemonitoring.forms import AdjustForm, EndForm, EnrolForm
from opspor.web.telemonitoring.models import Alarm, AlarmEvent, Enrolment, Evaluation, Measurement

CLINICIANS = (Role.NURSE, Role.SPECIALIST)
# the evaluation report: figures of the region, no person data; the roles that see rollout and monitoring
EVALUATION_ROLES = (Role.SECRETARIAT, Role.PROGRAMME_LEAD)
READERS = (Role.NURSE, Role.SPECIALIST, Role.MONITORING_NURSE)
MEASUREMENTS_SHOWN = 200


def _granted(request) -> None:
    if not scope_of(request.user).may("telemonitoring"):
        raise PermissionDenied


def _active(person) -> Enrolment | None:
    return (Enrolment.objects.filter(person=person, state=Enrolment.State.ACTIVE)
            .select_related("enrolled_by", "organisation").first())


@role_required(*READERS)
def patients(request):
    """The patients in telemonitoring whom the user reaches, with their open alarms."""
    _granted(request)
    enrolments = list(Enrolment.objects.filter(person__in=visible_persons(request.user), state=Enrolment.State.ACTIVE)
                      .select_related("person").order_by("-enrolled_at"))
    open_alarms: dict[int, dict[str, int]] = {}
    for enrolment_id, colour in (Alarm.objects.filter(enrolment__in=enrolments)
                                 .exclude(state=Alarm.State.CLOSED).values_list("enrolment_id", "colour")):
        counts = open_alarms.setdefault(enrolment_id, {})
        counts[colour] = counts.get(colour, 0) + 1
    rows = [{"e": e, "red": open_alarms.get(e.pk, {}).get("red", 0),
             "yellow": open_alarms.get(e.pk, {}).get("yellow", 0),
             "identity": shows_identity(request, e.person)} for e in enrolments]
    audit.record(request, audit.Event.TELEMONITORING_PATIENTS, action=audit.READ, why=_("Telemonitoring patients"),
                 persons=[e.person.person_key for e in enrolments])
    return render(request, "telemonitoring/patients.html", {"rows": rows})


@role_required(*CLINICIANS)
@require_http_methods(["GET", "POST"])
def enrol(request, public_id):
    person = get_person(request.user, public_id)
    _granted(request)
    if _active(person) is not None:
        return redirect("telemonitoring:patient", person.public_id)
    condition = request.POST.get("condition") or request.GET.get("condition") or next(iter(protocols.shipped().conditions))
    if condition not in protocols.shipped().conditions:
        raise Http404("unknown condition")
    departments = actions.departments(request.user)
    own = request.user.organisation if departments.filter(pk=request.user.organisation_id).exists() else None
    form = EnrolForm(request.POST or None, condition=condition, lang=current(), departments=departments,
                     initial_department=own)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            actions.enrol(request.user, person, condition=d["condition"], source=d["source"], equipment=d["equipment"],
                          usability_passed=d["usability_passed"], usability_note=d["usability_note"],
                          plan=[actions.PlanChoice(*p) for p in form.plan()], department=d["department"])
        except actions.EnrolmentError as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, _("Enrolled in telemonitoring."))
            return redirect("telemonitoring:patient", person.public_id)
    audit.record(request, audit.Event.TELEMONITORING_PATIENT, action=audit.READ, why=_("Enrolment in telemonitoring"),
                 persons=[person.person_key])
    return render(request, "telemonitoring/enrol.html", {
        "person": person, "form": form, "condition": condition, "show_identity": shows_identity(request, person),
        "conditions": [(c, localized(v, "title", current())) for c, v in protocols.shipped().conditions.items()]})


def _limits_shown(enrolment: Enrolment, lang: str) -> list[dict]:
    condition = protocols.shipped().conditions[enrolment.condition]
    latest = {}
    for a in enrolment.adjustments.order_by("at", "id"):
        latest[a.rule] = a
    catalogue = kinds.shipped()
    out = []
    for rule in condition.rules:
        adjusted = latest.get(rule.id)
        out.append({"rule": rule, "kind": localized(catalogue.kinds[rule.kind], "title", lang),
                    "threshold": adjusted.threshold if adjusted else rule.threshold, "adjusted": adjusted,
                    "unit": next(p.unit for p in catalogue.kinds[rule.kind].parts
                                 if p.name == rule.part or rule.part == kinds.VALUE)})
    return out


CURVE_POINTS = 120


def _curves(person, enrolment: Enrolment, limits: list[dict], titles: dict[str, str]) -> list[dict]:
    """Per planned kind: the newest measurements (the current version of each identifier, not
    withdrawn) as a curve with the thresholds in force, and the same rows for its table."""
    from opspor.telemonitoring import charts

    curves = []
    catalogue = kinds.shipped()
    for item in enrolment.plan.all():
        rows = list(Measurement.objects.filter(person=person, kind=item.kind)
                    .order_by("-effective", "-version")[:CURVE_POINTS * 2])
        current, seen = [], set()
        for m in sorted(rows, key=lambda m: -m.version):  # the newest version of an identifier decides
            if (m.identifier_system, m.identifier_value) not in seen:
                seen.add((m.identifier_system, m.identifier_value))
                if m.status != actions.ENTERED_IN_ERROR:
                    current.append(m)
        current.sort(key=lambda m: m.effective, reverse=True)
        current = current[:CURVE_POINTS]
        if not current:
            continue
        lines = [(f'{x["rule"].id} {x["threshold"]:g}', x["threshold"], x["rule"].colour) for x in limits
                 if x["rule"].kind == item.kind and x["rule"].test != "rise"]
        svg = charts.curve([(m.effective, m.value, m.value2, m.colour) for m in current], lines, titles[item.kind],
                           catalogue.kinds[item.kind].unit)
        curves.append({"kind": item.kind, "title": titles[item.kind], "svg": svg, "rows": current,
                       "unit": catalogue.kinds[item.kind].unit})
    return curves


@role_required(*READERS)
def patient(request, public_id):
    """A patient's telemonitoring: enrolment, plan, the thresholds in force, the measurements with
    their colour and the rule that fired, the adjustments."""
    person = get_person(request.user, public_id)
    _granted(request)
    enrolment = _active(person)
    if enrolment is None:
        raise Http404("not enrolled")
    lang = current()
    catalogue = kinds.shipped()
    titles = {k: localized(v, "title", lang) for k, v in catalogue.kinds.items()}
    measurements = list(Measurement.objects.filter(person=person).order_by("-effective", "-version")[:MEASUREMENTS_SHOWN])
    for m in measurements:
        m.title = titles.get(m.kind, m.kind)
        m.unit = catalogue.kinds[m.kind].unit if m.kind in catalogue.kinds else ""
    limits = _limits_shown(enrolment, lang)
    curves = _curves(person, enrolment, limits, titles)
    form = AdjustForm(rules=[(x["rule"].id, f'{x["rule"].id} ({x["kind"]})') for x in limits])
    audit.record(request, audit.Event.TELEMONITORING_PATIENT, action=audit.READ, why=_("Telemonitoring patient's page"),
                 persons=[person.person_key])
    return render(request, "telemonitoring/patient.html", {
        "person": person, "enrolment": enrolment, "show_identity": shows_identity(request, person),
        "plan": [(titles.get(i.kind, i.kind), i) for i in enrolment.plan.all()],
        "condition": localized(protocols.shipped().conditions[enrolment.condition], "title", lang),
        "limits": limits, "measurements": measurements, "form": form, "curves": curves,
        "may_adjust": request.user.role in CLINICIANS, "may_end": request.user.role in actions.ENROLLING_ROLES,
        "end_form": EndForm(), "adjustments": enrolment.adjustments.select_related("by")})


@role_required(*actions.ENROLLING_ROLES)
@require_http_methods(["GET", "POST"])
def end(request, public_id):
    """End a patient's telemonitoring: asks for the reason and a confirmation (the open alarms close)."""
    person = get_person(request.user, public_id)
    _granted(request)
    enrolment = _active(person)
    if enrolment is None:
        raise Http404("not enrolled")
    form = EndForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and request.POST.get("confirmed") == "1":
        try:
            actions.end_enrolment(request.user, enrolment, form.cleaned_data["reason"])
        except actions.EnrolmentError as e:
            messages.error(request, str(e))
            return redirect("telemonitoring:patient", person.public_id)
        messages.success(request, _("The telemonitoring has ended."))
        return redirect("people:detail", person.public_id)
    open_alarms = Alarm.objects.filter(enrolment=enrolment).exclude(state=Alarm.State.CLOSED).count()
    audit.record(request, audit.Event.TELEMONITORING_PATIENT, action=audit.READ, why=_("End of telemonitoring"),
                 persons=[person.person_key])
    return render(request, "telemonitoring/end.html", {
        "person": person, "enrolment": enrolment, "form": form, "open_alarms": open_alarms,
        "show_identity": shows_identity(request, person),
        "confirm": request.method == "POST" and form.is_valid()})


@role_required(*CLINICIANS)
@require_POST
def adjust(request, public_id):
    person = get_person(request.user, public_id)
    _granted(request)
    enrolment = _active(person)
    if enrolment is None:
        raise Http404("not enrolled")
    rules = [(r.id, r.id) for r in protocols.shipped().conditions[enrolment.condition].rules]
    form = AdjustForm(request.POST, rules=rules)
    if form.is_valid():
        d = form.cleaned_data
        try:
            actions.adjust_threshold(request.user, enrolment, rule_id=d["rule"], baseline=d["baseline"],
                                     offset=d["offset"], reason=d["reason"])
        except actions.EnrolmentError as e:
            messages.error(request, str(e))
        else:
            messages.success(request, _("Threshold adjusted for this patient."))
    else:
        messages.error(request, _("The adjustment was not saved: fill in rule, baseline, offset and reason."))
    return redirect("telemonitoring:patient", person.public_id)


# --------------------------------------------------------------------------- the monitoring centre

def _worklist_order(alarm: Alarm) -> tuple:
    """Red first, then yellow, then missing measurements; the oldest first within each."""
    group = 2 if alarm.category == Alarm.Category.MISSING else (0 if alarm.colour == "red" else 1)
    return group, alarm.raised_at, alarm.pk


def _minutes(delta) -> int:
    return round(delta.total_seconds() / 60)


def response_times(alarms) -> dict:
    """Red alarms: minutes from raised to acknowledged (median and the longest) over those given."""
    minutes = sorted(_minutes(a.acknowledged_at - a.raised_at) for a in alarms
                     if a.colour == "red" and a.category != Alarm.Category.MISSING and a.acknowledged_at)
    if not minutes:
        return {"n": 0}
    mid = len(minutes) // 2
    median = minutes[mid] if len(minutes) % 2 else (minutes[mid - 1] + minutes[mid]) / 2
    return {"n": len(minutes), "median": median, "longest": minutes[-1]}


def minutes_text(minutes: float) -> str:
    """``1 minut``, ``2 minutter``, ``2,5 minutter``: the number in the page's format, the noun in
    its grammatical number."""
    from django.utils.translation import ngettext

    from opspor.i18n import decimal

    digits = 0 if float(minutes).is_integer() else 1
    return ngettext("%(n)s minute", "%(n)s minutes", 1 if minutes == 1 else 2) % {
        "n": decimal(minutes, digits, current())}


def _visible_alarms(user):
    return Alarm.objects.filter(person__in=visible_persons(user)).select_related("person", "enrolment")


@role_required(Role.MONITORING_NURSE)
def worklist(request):
    """The region's open alarms: red, then yellow, then missing; acknowledged and escalated ones
    stay until closed. The red alarms' response times of the last days (protocols.yaml) above."""
    _granted(request)
    alarms = sorted(_visible_alarms(request.user).exclude(state=Alarm.State.CLOSED), key=_worklist_order)
    titles = {k: localized(v, "title", current()) for k, v in kinds.shipped().kinds.items()}
    for a in alarms:
        a.title = titles.get(a.kind, a.kind)
        a.identity = shows_identity(request, a.person)
        a.waited = _minutes((a.acknowledged_at or timezone.now()) - a.raised_at)
    days = protocols.shipped().response_time_days
    recent = _visible_alarms(request.user).filter(raised_at__gte=timezone.now() - dt.timedelta(days=days))
    audit.record(request, audit.Event.TELEMONITORING_WORKLIST, action=audit.READ, why=_("Monitoring-centre worklist"),
                 persons={a.person.person_key for a in alarms})
    times = response_times(recent)
    if times["n"]:
        times["median_text"], times["longest_text"] = minutes_text(times["median"]), minutes_text(times["longest"])
    return render(request, "telemonitoring/worklist.html", {"alarms": alarms, "times": times,
                                                             "days": days})


@role_required(*READERS)
@require_http_methods(["GET", "POST"])
def alarm(request, pk: int):
    """One alarm: the measurement, what was done, and (monitoring-centre nurse) acknowledge, note,
    contact, escalate to the GP, close."""
    _granted(request)
    try:
        item = _visible_alarms(request.user).select_related("measurement", "acknowledged_by").get(pk=pk)
    except Alarm.DoesNotExist:
        raise Http404("not found") from None
    if request.method == "POST":
        if request.user.role != Role.MONITORING_NURSE:
            raise PermissionDenied
        step, text = request.POST.get("step", ""), request.POST.get("text", "")
        try:
            if step == "acknowledge":
                actions.acknowledge(request.user, item)
            elif step in ("note", "contact"):
                actions.note(request.user, item, text, contact=step == "contact")
            elif step in ("escalate", "escalate_department"):
                actions.escalate(request.user, item, text,
                                 to="department" if step == "escalate_department" else "gp_practice")
            elif step == "close":
                actions.close(request.user, item, text)
            else:
                raise Http404("unknown step")
        except actions.EnrolmentError as e:
            messages.error(request, str(e))
        else:
            messages.success(request, _("Saved."))
        return redirect("telemonitoring:alarm", item.pk)
    item.title = localized(kinds.shipped().kinds[item.kind], "title", current()) if item.kind in kinds.shipped().kinds else item.kind
    audit.record(request, audit.Event.TELEMONITORING_ALARM, action=audit.READ, why=_("Telemonitoring alarm"),
                 persons=[item.person.person_key], detail={"alarm": item.pk})
    return render(request, "telemonitoring/alarm.html", {
        "alarm": item, "person": item.person, "show_identity": shows_identity(request, item.person),
        "events": item.events.select_related("by", "message"),
        "response": _minutes(item.acknowledged_at - item.raised_at) if item.acknowledged_at else None,
        "may_act": request.user.role == Role.MONITORING_NURSE})


# --------------------------------------------------------------------------- the evaluation

@role_required(*EVALUATION_ROLES)
def evaluation(request):
    """The newest published evaluation of the user's region (``opspor telemonitoring evaluate
    --publish``): MAST-style figures per condition, no person named."""
    from opspor.telemonitoring import evaluation as ev

    lang = current()
    region = request.user.organisation.region_code
    result = Evaluation.objects.filter(region_code=region).first()
    fmt = choice_param(request.GET, "format", EVALUATION_FORMATS)
    if fmt and result is not None:
        return _evaluation_file(request, result, fmt, lang)
    context = {"result": result, "region": region, "formats": EVALUATION_FORMATS}
    if result is not None:
        report = result.report
        steps = dict(AlarmEvent.Kind.choices)
        context.update({"table": ev.table(report, lang), "report": report,
                        "first": dt.datetime.fromisoformat(report["first_enrolment"]),
                        "end": dt.datetime.fromisoformat(report["end"]),
                        "acted_on": ", ".join(str(steps.get(s, s)) for s in report["acted_on"]),
                        "admission": report["concept"][f"label_{lang}"],
                        "limits": effect_limits(lang), "below": ev.shipped().export_suppression_below})
    audit.record(request, audit.Event.TELEMONITORING_EVALUATION, action=audit.READ,
                 why=_("Telemonitoring evaluation"), detail={"region": region, "evaluation": result.pk if result else None})
    return render(request, "telemonitoring/evaluation.html", context)


EVALUATION_FORMATS = ["csv", "xlsx", "pdf"]
EVALUATION_EVENTS = {"csv": audit.Event.TELEMONITORING_EVALUATION_CSV, "xlsx": audit.Event.TELEMONITORING_EVALUATION_XLSX,
                     "pdf": audit.Event.TELEMONITORING_EVALUATION_PDF}


def _evaluation_file(request, result: Evaluation, fmt: str, lang: str):
    """The report as a file that may leave the app: small groups hidden (``for_export``); audited."""
    from opspor.telemonitoring import evaluation as ev
    from opspor.web.telemonitoring import evaluation_pdf

    below = ev.shipped().export_suppression_below
    table = ev.for_export(result.report, lang, below)
    name = f"telemonitorering_evaluering_{result.region_code}_{timezone.localtime(result.made_at):%Y-%m-%d}"
    if fmt == "pdf":
        notes = [_("The ratio of admissions after and before enrolment is not an effect estimate:")]
        notes += list(effect_limits(lang))
        response = HttpResponse(evaluation_pdf.evaluation(result, table, notes, below), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    else:
        header = ["MAST", _("Figure"), *table["header"]]
        rows = ([r["domain"], r["label"], *r["cells"]] for r in table["rows"])
        response = table_response(header, rows, name, fmt, _("Evaluation"))
    audit.record(request, EVALUATION_EVENTS[fmt], action=audit.EXPORT,
                 why=_("Telemonitoring evaluation exported"),
                 detail={"region": result.region_code, "evaluation": result.pk, "hidden_groups": table["hidden"]})
    return response


def effect_limits(lang: str) -> list[str]:
    from opspor.monitor import effect

    return effect.before_after_limits(lang)
