"""The Aktiv Patientstøtte pages: the programme lead's pool and nurses, the nurse's day,
caseload and case. Thin: parse, call ``actions``, render; every read of person data is audited.

Forms post to their own URL and work without JavaScript (POST, then redirect back to the case).
With htmx the small forms of the case page swap only their section: the view renders the whole
case page and htmx picks the section (``hx-select``) and the state/timeline (``hx-select-oob``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opspor.web.accounts.decorators import role_required
from opspor.web.accounts.roles import Role
from opspor.web.aps import actions, exports, instruments, queries, risk_words, rules
from opspor.web.aps import consent as consent_config
from opspor.web.aps.forms import (
    CapacityForm,
    CaseloadForm,
    EndForm,
    GoalForm,
    GoalStatusForm,
    InstrumentChoiceForm,
    InviteForm,
    MessageForm,
    NoteForm,
    NotReachedForm,
    PlanForm,
    PlanSessionForm,
    PoolFilterForm,
    QuestionnaireForm,
    ReassignForm,
    RecordSessionForm,
    ReferralForm,
    RefusalForm,
    RevealForm,
    ScheduleQuestionnaireForm,
    StartupForm,
)
from opspor.web.aps.models import Case, Goal, Session
from opspor.web.aps.templatetags.aps_tags import route_labels, state_badge
from opspor.web.audit import actions as audit
from opspor.web.core import params
from opspor.web.core.templatetags.numbers import num
from opspor.web.people.policy import scope_of
from opspor.web.people.scope import (
    get_person,
    get_person_by_pk,
    record_reveal,
    revealed,
    shows_identity,
    visible_persons,
)
from opspor.web.trial import actions as trial_actions

lead_only = role_required(Role.PROGRAMME_LEAD)
nurse_only = role_required(Role.NURSE)
nurse_or_lead = role_required(Role.NURSE, Role.PROGRAMME_LEAD)

PAGE_SIZE = 50


def _errors_text(form) -> str:
    return " ".join(str(e) for errs in form.errors.values() for e in errs)


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


# --- programme lead: the pool -----------------------------------------------------------------

def _pool_filters(request) -> tuple[PoolFilterForm, str, str]:
    region = request.user.region_code
    form = PoolFilterForm(request.GET or None, municipalities=queries.region_municipalities(region))
    if form.is_bound and form.is_valid():
        return form, form.cleaned_data["municipality"], form.cleaned_data["status"]
    return form, "", ""


def _nurse_choices(loads: list[queries.NurseLoad]) -> list[tuple[str, str]]:
    return [(str(load.nurse.pk), _("%(name)s (%(free)s free of %(capacity)s)") % {
        "name": load.nurse.get_full_name() or load.nurse.username, "free": load.free, "capacity": load.nurse.capacity})
        for load in loads]


@lead_only
@require_GET
def programme(request):
    user = request.user
    region = user.region_code
    filter_form, municipality, status = _pool_filters(request)
    ranking = queries.ranking(request.user.region_code)
    pool = queries.pool(user, ranking, municipality=municipality, status=status)
    page = Paginator(pool.order, PAGE_SIZE).get_page(request.GET.get("side"))
    rows = queries.pool_rows(list(page.object_list))
    _pool_cells(request, rows, ranking)
    audit.record(request, audit.Event.APS_PROGRAMME, action=audit.READ, why=_("Programme pool (pseudonymised)"),
                 persons=[r.person.person_key for r in rows], detail={"page": page.number, "ranking": ranking.source})
    query = request.GET.copy()
    query.pop("side", None)
    counts = queries.region_state_counts(region)
    loads = queries.nurse_loads(region)
    return render(request, "aps/programme.html", {
        "run": pool.run, "ranking": ranking, "rows": rows, "page": page,
        "predicts": ranking.facts.sentence(None) if ranking.facts else "",
        "counts": [(value, label, counts[value]) for value, label in Case.State.choices], "total": len(pool.order),
        "eligible": pool.eligible, "filter_form": filter_form,
        "referred": sum(queries.region_referral_counts(region).values()),
        "invite_form": InviteForm(nurse_choices=_nurse_choices(loads)), "query": query.urlencode(), "loads": loads,
        "trial": rules.TRIAL if rules.TRIAL.enabled else None,
        "trial_randomised": trial_actions.randomised_count(region) if rules.TRIAL.enabled else 0,
    })


def _pool_cells(request, rows: list[queries.PoolRow], ranking: queries.Ranking) -> None:
    """What each row of the pool shows, as text made once here rather than by tags and filters
    in the template's loop (the page's largest cost)."""
    today = timezone.localdate()
    states = {value: str(label) for value, label in Case.State.choices}
    routes: dict[tuple, str] = {}
    for row in rows:
        person, case = row.person, row.case
        row.key = person.short_key
        row.pickable = not (case and case.is_open) and not person.death_date
        row.choose = _("Choose person %(key)s") % {"key": row.key}
        row.rank_text = num(row.rank)
        row.age_band = queries.age_band(person, today)
        row.sex = person.sex_label or "–"
        row.municipality = queries.municipality_name(row.entry.municipality_code)
        key = tuple(row.entry.routes or ())
        if key not in routes:
            routes[key] = route_labels(key)
        row.routes = routes[key]
        row.admissions = num(row.entry.acute_admissions_12m)
        row.score_text = num(row.score, 1)
        row.revealed = revealed(request, person)  # looked up with a reason earlier today
        row.risk_text = ranking.facts.sentence(row.score) if ranking.facts and row.score is not None else ""
        row.factors = risk_words.factors(ranking.explanations.get(person.person_key))
        if case:
            row.state, row.badge = states.get(case.state, case.state), state_badge(case.state)
            row.nurse = case.nurse.get_full_name()
            row.case_url = reverse("aps:case", args=[case.pk])


@lead_only
@require_GET
def model_report(request):
    """The evaluation report of the model whose scores rank the pool (the training run's
    report.html: figures only, no person data), shown to the lead as it was written."""
    ranking = queries.ranking(request.user.region_code)
    if ranking.facts is None or ranking.facts.report is None:
        raise Http404(_("No report of the risk model is stored."))
    # one self-contained file: its own styles and PNG images (data: URLs), no script; the app's
    # Content-Security-Policy (core.middleware) allows exactly that
    return HttpResponse(ranking.facts.report.read_bytes(), content_type="text/html; charset=utf-8")


@lead_only
@require_GET
def programme_export(request, fmt: str):
    user = request.user
    _form, municipality, status = _pool_filters(request)
    ranking = queries.ranking(request.user.region_code)
    rows = queries.pool_rows(queries.pool(user, ranking, municipality=municipality, status=status).order)
    event = audit.export_event("aps.programme", fmt)
    response = exports.pool(rows, ranking, user.region_code, fmt)
    audit.record(request, event, action=audit.EXPORT, why=_("Export of the programme pool"),
                 persons=[r.person.person_key for r in rows], detail={"rows": len(rows), "ranking": ranking.source})
    return response


@lead_only
@require_POST
def invite(request):
    user = request.user
    back = _safe_next(request, reverse("aps:programme"))
    form = InviteForm(request.POST, nurse_choices=_nurse_choices(queries.nurse_loads(user.region_code)))
    if not form.is_valid():
        messages.error(request, _errors_text(form))
        return redirect(back)
    persons = list(visible_persons(user).filter(public_id__in=form.cleaned_data["persons"]))
    if len(persons) != len(form.cleaned_data["persons"]):
        messages.error(request, _("One of the chosen persons is not in your region's programme. Reload the page."))
        return redirect(back)
    nurse = get_object_or_404(queries.region_nurses(user.region_code), pk=form.cleaned_data["nurse"])
    ranking = queries.ranking(request.user.region_code)
    scores = {p.person_key: ranking.scores[p.person_key] for p in persons if p.person_key in ranking.scores}
    try:
        cases = actions.invite_many(user, persons, nurse, scores=scores,
                                    risk_model_id=ranking.model_id if ranking.by_risk else "")
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, ngettext("%(n)s invitation assigned to %(nurse)s.",
                                           "%(n)s invitations assigned to %(nurse)s.", len(cases)) % {
            "n": len(cases), "nurse": nurse.get_full_name() or nurse.username})
    return redirect(back)


@lead_only
@require_POST
def reveal(request, public_id):
    """Show one person's CPR number and name to the lead, with a reason that goes into the log;
    the reveal holds for the rest of the day in this session (scope.record_reveal)."""
    person = get_person(request.user, public_id)
    form = RevealForm(request.POST, id_prefix=person.short_key)
    if form.is_valid():
        record_reveal(request, person)
        audit.record(request, audit.Event.APS_REVEAL, action=audit.READ, why=form.cleaned_data["reason"],
                     persons=[person.person_key], detail={"shown": "cpr,name"})
    template = "aps/_reveal.html" if request.htmx else "aps/reveal.html"
    return render(request, template, {"person": person, "form": form, "revealed": form.is_valid(),
                                      "back": _safe_next(request, reverse("aps:programme"))},
                  status=200 if form.is_valid() or request.htmx else 400)


@lead_only
@require_http_methods(["GET", "POST"])
def refer(request):
    """Take in a person referred by a GP or a hospital department outside the criteria."""
    user = request.user
    form = ReferralForm(request.POST or None, nurse_choices=_nurse_choices(queries.nurse_loads(user.region_code)))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            person = actions.find_referred_person(user, d["cpr"])
        except ValidationError as e:
            form.add_error("cpr", e)
            person = False
        if person is None:
            form.add_error("cpr", _("Nobody with this CPR number lives in your region according to the newest data."))
        elif person:
            nurse = get_object_or_404(queries.region_nurses(user.region_code), pk=d["nurse"])
            try:
                case = actions.invite_referred(user, person, nurse, source=d["source"], referrer=d["referrer"],
                                               referred_on=d["referred_on"], reason=d["reason"])
            except ValidationError as e:
                form.add_error(None, e)
            else:
                messages.success(request, _("The referred person is invited; the case is %(nurse)s's.")
                                 % {"nurse": nurse.get_full_name() or nurse.username})
                return redirect("aps:case", pk=case.pk)
    return render(request, "aps/refer.html", {"form": form, "referrals": queries.region_referral_counts(user.region_code)},
                  status=400 if form.errors else 200)


# --- programme lead: nurses -------------------------------------------------------------------

@lead_only
@require_GET
def nurses(request):
    loads = queries.nurse_loads(request.user.region_code)
    for load in loads:
        load.form = CapacityForm(initial={"capacity": load.nurse.capacity}, id_prefix=str(load.nurse.pk))
    return render(request, "aps/nurses.html", {"loads": loads})


@lead_only
@require_POST
def set_capacity(request, nurse_pk: int):
    nurse = get_object_or_404(queries.region_nurses(request.user.region_code), pk=nurse_pk)
    form = CapacityForm(request.POST, id_prefix=str(nurse.pk))
    if form.is_valid():
        try:
            actions.set_capacity(request.user, nurse, form.cleaned_data["capacity"])
        except ValidationError as e:
            form.add_error("capacity", e)
    if form.errors:
        messages.error(request, _errors_text(form))
    else:
        open_cases = queries.open_case_count(nurse)
        name = nurse.get_full_name() or nurse.username
        if open_cases > form.cleaned_data["capacity"]:
            messages.warning(request, ngettext(
                "%(name)s has %(open)s open case, more than the new capacity of %(capacity)s. "
                "No new invitations can be assigned to the nurse until cases end.",
                "%(name)s has %(open)s open cases, more than the new capacity of %(capacity)s. "
                "No new invitations can be assigned to the nurse until cases end.", open_cases)
                             % {"name": name, "open": open_cases, "capacity": form.cleaned_data["capacity"]})
        else:
            messages.success(request, _("Capacity of %(name)s set to %(capacity)s.")
                             % {"name": name, "capacity": form.cleaned_data["capacity"]})
    return redirect("aps:nurses")


def _case_url_maker():
    """``case_url(pk)``: the URL of a case page as ``reverse("aps:case", args=[pk])`` gives it,
    reversed once per page instead of once per row."""
    marker = 2_147_483_647
    head, tail = reverse("aps:case", args=[marker]).split(str(marker))
    return lambda pk: f"{head}{pk}{tail}"


def _labels(choices) -> dict[str, str]:
    """value → label of a model's choices, translated once (for rows built in the view)."""
    return {value: str(label) for value, label in choices.choices}


# --- the nurse: day and caseload --------------------------------------------------------------

def _day_param(request) -> dt.date:
    return params.date_param(request.GET, "dato", timezone.localdate())


@nurse_only
@require_GET
def day(request):
    today = _day_param(request)
    view = queries.day_view(request.user, today)
    audit.record(request, audit.Event.APS_DAY, action=audit.READ, why=_("My day: who to call"),
                 persons=queries.persons_of(view.cases), detail={"day": today.isoformat()})
    return render(request, "aps/day.html", {
        "view": view, "buckets": _day_buckets(view), "today": today, "is_today": today == timezone.localdate(),
        "previous": today - dt.timedelta(days=1), "next": today + dt.timedelta(days=1),
    })


# The day view's buckets in the page's order: key, title, hint (None: the invitations' hints,
# which count the reminder days, are made in ``_day_buckets``).
_DAY_BUCKETS = (
    ("questionnaire_alerts", gettext_lazy("Questionnaire answers to look at"), gettext_lazy(
        "Red and yellow answers by the triage rules, red first: call or act, then mark the answer as seen on the "
        "case.")),
    ("questionnaires_unanswered", gettext_lazy("Questionnaires not answered"), gettext_lazy(
        "Sent to the citizen and not answered by the deadline: call, or type in a paper answer; then mark it as "
        "seen on the case.")),
    ("unread_messages", gettext_lazy("Messages from citizens"), gettext_lazy(
        "The citizen has written to you on their page and you have not read it yet: open the case to read and "
        "answer.")),
    ("calls", gettext_lazy("Calls planned for the day"), gettext_lazy(
        "Sessions planned for this day and not yet recorded.")),
    ("overdue", gettext_lazy("Overdue sessions"), gettext_lazy(
        "Planned before this day and not recorded: call, or record that the patient was not reached.")),
    ("new_invitations", gettext_lazy("New invitations"), None),
    ("unanswered", gettext_lazy("Invitations without an answer"), None),
    ("startup_to_plan", gettext_lazy("Start-up session to plan"), gettext_lazy(
        "The patient has consented; no start-up session is planned.")),
    ("no_session", gettext_lazy("No session planned"), gettext_lazy(
        "Active patients without a planned telephone session.")),
    ("end_overdue", gettext_lazy("End of support overdue"), gettext_lazy(
        "Support started 9 months ago or more: end it.")),
    ("end_due", gettext_lazy("End of support due"), gettext_lazy(
        "Support started 6 months ago or more: plan the end (6-9 months).")),
    ("questionnaires_due", gettext_lazy("Questionnaires due"), gettext_lazy(
        "A follow-up questionnaire of the programme (or of the trial's control group) is due: record it at the "
        "call, or send it to the citizen to answer at home.")),
)
_DAY_WARN = {"overdue", "end_overdue", "unread_messages", "questionnaire_alerts", "questionnaires_unanswered"}
# where a row's "Open case" leads on the case page
_DAY_ANCHORS = {"calls": "#sec-sessions", "overdue": "#sec-sessions", "unread_messages": "#sec-messages",
                "questionnaire_alerts": "#sec-questionnaires", "questionnaires_unanswered": "#sec-questionnaires"}


def _day_buckets(view: queries.Day) -> list[dict]:
    """The buckets the day view shows (those with rows, and the day's calls always), in the
    page's order, with their rows as the tables show them: made here and not in the template's
    loop over every row."""
    n = rules.INVITATION_REMINDER_DAYS
    hints = {
        "new_invitations": ngettext(
            "Invited in the last %(n)s day: call, tell about the programme and record the answer.",
            "Invited in the last %(n)s days: call, tell about the programme and record the answer.", n) % {"n": n},
        "unanswered": ngettext("Invited more than %(n)s day ago: call to hear the answer.",
                               "Invited more than %(n)s days ago: call to hear the answer.", n) % {"n": n},
    }
    by_key = dict(view.buckets)
    case_url, kinds, states = _case_url_maker(), _labels(Session.Kind), _labels(Case.State)
    out = []
    for key, title, hint in _DAY_BUCKETS:
        rows = by_key.get(key, [])
        if not rows and key != "calls":
            continue
        anchor, made = _DAY_ANCHORS.get(key, ""), []
        for row in rows:
            case, person, session = row.case, row.case.person, row.session
            cells = {"name": person.name, "cpr": person.cpr_display, "state": states.get(case.state, case.state),
                     "url": case_url(case.pk) + anchor, "response": row.response}
            if key in ("calls", "overdue"):
                cells["when"] = _local(session.planned_for, "%H:%M" if key == "calls" else "%d-%m-%Y %H:%M")
                cells["kind"] = kinds.get(session.kind, session.kind)
            else:
                cells["when"] = _local(row.since) or "–"
            if key == "calls":
                cells["phone"] = person.contact_phone
                cells["phone_display"] = person.contact_phone_display
            made.append(cells)
        out.append({"key": key, "title": title, "hint": hint if hint is not None else hints[key], "rows": made,
                    "badge": "warn" if key in _DAY_WARN else "new" if rows else "muted",
                    "show_session": key in ("calls", "overdue"), "show_triage": key == "questionnaire_alerts"})
    return out


def _state_param(request) -> str:
    return params.choice_param(request.GET, "state", Case.State.values)


SORT_VALUES = [s for name in CaseloadForm.SORTS for s in (name, f"-{name}")]


def _caseload_params(request) -> tuple[str, str, str]:
    """(state, search, sort) of "My caseload"'s query; a bad one is a 400 naming it."""
    form = CaseloadForm(request.GET)
    if not form.is_valid():
        raise params.BadParameter(_errors_text(form))
    return _state_param(request), form.cleaned_data["q"].strip(), params.choice_param(request.GET, "sort", SORT_VALUES)


@nurse_only
@require_GET
def caseload(request):
    state, search, sort = _caseload_params(request)
    cases = queries.caseload(request.user, state, search=search, sort=sort)
    audit.record(request, audit.Event.APS_CASELOAD, action=audit.READ, why=_("My caseload"),
                 persons=queries.persons_of(cases), detail={"state": state, "search": bool(search), "sort": sort})
    counts, open_cases = queries.caseload_counts(request.user)
    tabs = [("", _("All"), sum(counts.values()))] + [(s, label, counts[s]) for s, label in Case.State.choices]
    current = sort or "name"
    columns = [{"label": label, "sort": key if current != key else f"-{key}",  # a second click turns the order
                "aria": "ascending" if current == key else "descending" if current == f"-{key}" else ""}
               for key, label in CaseloadForm.SORTS.items()]
    columns.insert(1, {"label": _("CPR number")})
    if rules.TRIAL.enabled:
        columns.insert(4, {"label": _("Trial group")})
    keep = {k: v for k, v in (("state", state), ("q", search)) if v}
    return render(request, "aps/caseload.html", {
        "cases": _caseload_rows(cases), "state": state, "tabs": tabs, "capacity": request.user.capacity,
        "trial_on": rules.TRIAL.enabled, "open": open_cases,
        "search_form": CaseloadForm(initial={"q": search}), "search": search, "sort": sort,
        "columns": columns, "keep": urlencode(keep),
        "tab_query": urlencode({k: v for k, v in (("q", search), ("sort", sort)) if v}),
    })


def _local(value, fmt: str = "%d-%m-%Y") -> str:
    """What ``{{ value|date:"d-m-Y" }}`` shows (``fmt`` in strftime's terms): a date, or a
    datetime in the current time zone; "" for None."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.strftime(fmt)


def _caseload_rows(cases: list[Case]) -> list[dict]:
    """The cells of "My caseload" as the table shows them, made here and not in the template's
    loop over every case."""
    case_url, states = _case_url_maker(), _labels(Case.State)
    today = timezone.localdate()
    rows = []
    for c in cases:
        person, due = c.person, c.next_questionnaire
        age = person.age_on(today)
        if c.next_session_at:
            next_ = _local(c.next_session_at, "%d-%m-%Y %H:%M")
        elif due:
            next_ = _("questionnaire %(tp)s, %(day)s") % {"tp": due.timepoint, "day": _local(due.on)}
        else:
            next_ = "–"
        row = {"url": case_url(c.pk), "name": person.name, "referred": c.intake == Case.Intake.REFERRAL,
               "cpr": person.cpr_display, "age": age if age else "–", "badge": state_badge(c.state),
               "state": states.get(c.state, c.state), "invited": _local(c.invited_at),
               "started": _local(c.started_at) or "–", "next": next_,
               "last": _local(c.last_contact_at) if c.last_contact_at else "–"}
        if rules.TRIAL.enabled:
            row["arm"] = (c.allocation.get_arm_display() if c.allocation_id and c.allocation.shown_arm
                          else _("not shown before consent") if c.allocation_id else "–")
        rows.append(row)
    return rows


@nurse_only
@require_GET
def week(request):
    """The nurse's planned calls of a week (Monday to Sunday), by day and time."""
    day = _day_param(request)
    days = queries.week_view(request.user, day)
    calls = [s for d in days for s in d.sessions]
    audit.record(request, audit.Event.APS_WEEK, action=audit.READ, why=_("My week: planned calls"),
                 persons=sorted({s.person_key for s in calls}), detail={"week_of": days[0].day.isoformat()})
    # each call's line as plain strings: the template only prints them (dozens of calls a week)
    case_url, kinds, statuses, new_try = _case_url_maker(), _labels(Session.Kind), _labels(Session.Status), _("new try")
    day_url = reverse("aps:day")
    for d in days:
        d.iso = d.day.isoformat()
        d.url = f"{day_url}?dato={d.iso}"
        d.rows = [{
            "done": s.status != Session.Status.PLANNED, "iso": s.planned_for.isoformat(),
            "time": s.planned_for.strftime("%H:%M"), "name": s.name,
            "url": case_url(s.case_id) + ("#sec-answer" if s.kind == Session.Kind.INVITATION else "#sec-sessions"),
            "what": kinds.get(s.kind, s.kind) + (f" · {statuses.get(s.status, s.status).lower()}"
                                                 if s.status != Session.Status.PLANNED
                                                 else f" · {new_try}" if s.retry else ""),
        } for s in d.sessions]
    monday = days[0].day
    return render(request, "aps/week.html", {
        "days": days, "monday": monday, "sunday": days[-1].day, "week_number": monday.isocalendar().week,
        "previous": monday - dt.timedelta(weeks=1), "next": monday + dt.timedelta(weeks=1),
        "today": timezone.localdate(), "planned": sum(s.status == Session.Status.PLANNED for s in calls),
    })


@nurse_only
@require_GET
def caseload_export(request, fmt: str):
    state, search, sort = _caseload_params(request)
    cases = queries.caseload(request.user, state, search=search, sort=sort)
    event = audit.export_event("aps.caseload", fmt)
    response = exports.caseload(cases, request.user.username, fmt)
    audit.record(request, event, action=audit.EXPORT, why=_("Export of my caseload"),
                 persons=queries.persons_of(cases), detail={"state": state, "rows": len(cases)})
    return response


# --- the case page ----------------------------------------------------------------------------

@dataclass(frozen=True)
class TimelineEvent:
    when: dt.datetime
    what: str
    detail: str = ""
    timed: bool = True  # False: the day is known, not the time (a questionnaire answered on an earlier day)


# Within the same minute the course's own order decides (an invitation before its answer, ...).
_STEP = {"invited": 0, "call": 1, "answered": 2, "session": 3, "plan": 4, "questionnaire": 5, "ended": 9}


def _timeline(case: Case, sessions, plans, responses) -> list[TimelineEvent]:
    """The case's events in the order they happened: each at the moment it happened (a session
    held at its time, one not reached or cancelled when that was recorded, not when it had been
    planned; a questionnaire when it was answered), oldest first."""
    events: list[tuple[dt.datetime, int, TimelineEvent]] = []

    def add(when, step: str, what: str, detail: str = "", timed: bool = True) -> None:
        events.append((when, _STEP[step], TimelineEvent(when, what, detail, timed)))

    invited_by = _("by %(lead)s") % {"lead": case.invited_by.get_full_name() or case.invited_by.username}
    if case.intake == Case.Intake.REFERRAL:
        invited_by += " · " + _("referred by %(referrer)s (%(source)s) on %(day)s") % {
            "referrer": case.referrer, "source": case.get_referral_source_display().lower(),
            "day": case.referred_on.strftime("%d-%m-%Y") if case.referred_on else "–"}
    add(case.invited_at, "invited", _("Invited"), invited_by)
    if case.answered_at:
        if case.state == Case.State.REFUSED:
            add(case.answered_at, "answered", _("Refused"), case.get_refusal_reason_display())
        else:
            add(case.answered_at, "answered", _("Consented"))
    for s in sessions:
        step = "call" if s.kind == Session.Kind.INVITATION else "session"
        if s.status == Session.Status.HELD:
            add(s.held_at, step, s.get_kind_display(), _("held"))
        elif s.status != Session.Status.PLANNED:
            add(s.recorded_at or s.planned_for, step, s.get_kind_display(), s.get_status_display().lower())
    for p in plans:
        add(p.written_at, "plan", _("Self-management plan"), _("new version"))
    tz = timezone.get_current_timezone()
    for r in responses:
        recorded = timezone.localtime(r.recorded_at) if r.recorded_at else None
        same_day = recorded is not None and recorded.date() == r.taken_on
        when = recorded if same_day else dt.datetime.combine(r.taken_on, dt.time(23, 59), tzinfo=tz)
        add(when, "questionnaire", r.instrument_name, _("score %(score)s") % {"score": _fmt_score(r.score)},
            timed=same_day)
    if case.ended_at:
        add(case.ended_at, "ended", _("Support ended"), case.get_end_reason_display())
    return [e for _when, _step, e in sorted(events, key=lambda e: (e[0], e[1]))]


def _fmt_score(score) -> str:
    if score is None:
        return _("none (answers missing)")
    return f"{score:g}"


def _series(instrument, responses) -> dict:
    """Points of one instrument's scores over time, for a small line chart (oldest first)."""
    scored = sorted((r for r in responses if r.score is not None), key=lambda r: (r.taken_on, r.pk))
    low, high = instrument.score_range if instrument else (0, max((r.score for r in scored), default=1))
    width, height, pad = 360, 120, 14
    span = (high - low) or 1
    step = (width - 2 * pad) / max(len(scored) - 1, 1)
    points = [(round(pad + i * step, 1), round(height - pad - (r.score - low) / span * (height - 2 * pad), 1), r)
              for i, r in enumerate(scored)]
    return {"points": points, "polyline": " ".join(f"{x},{y}" for x, y, _r in points), "width": width,
            "height": height, "low": low, "high": high}


def _questionnaire_context(case: Case, chosen: str | None, bound: QuestionnaireForm | None) -> dict:
    configured = instruments.instruments()
    chosen_instrument = configured.get(chosen or "") or next(iter(configured.values()), None)
    responses = list(case.responses.all())
    groups = []
    for iid in dict.fromkeys(r.instrument for r in sorted(responses, key=lambda r: r.instrument)):
        instrument = configured.get(iid)
        own = [r for r in responses if r.instrument == iid]
        groups.append({"instrument": instrument, "id": iid, "responses": own, "series": _series(instrument, own)})
    for r in responses:
        instrument = configured.get(r.instrument)
        r.instrument_name = instrument.name() if instrument else r.instrument
        r.band_obj = instrument.band_by_id(r.band) if instrument and r.band else None
    form = bound or (QuestionnaireForm(chosen_instrument) if chosen_instrument else None)
    requests = list(case.questionnaire_requests.select_related("response"))
    for r in requests:
        instrument = configured.get(r.instrument)
        r.instrument_name = instrument.name() if instrument else r.instrument
    return {"responses": responses, "groups": groups, "q_form": form, "q_items": _questionnaire_items_html(form),
            "q_requests": requests,
            "q_choice": InstrumentChoiceForm(initial={"instrument": chosen_instrument.id if chosen_instrument else ""})}


_ITEMS_HTML: dict[tuple[int, str], tuple[instruments.Instrument, str]] = {}


def _questionnaire_items_html(form: QuestionnaireForm | None) -> str:
    """The answer fields (radio groups) of the questionnaire form, as ``aps/_fields.html`` renders
    them. Those of an empty form are rendered once per instrument and language in this process:
    an instrument is read from its configuration once per process (``instruments.loader``) and
    not changed after, and an empty form's answer fields hold nothing else (no answers, no
    errors; the date and time point, which do change, are not among them). A bound form's (answers
    and errors to show again) are rendered each time."""
    if form is None:
        return ""
    if form.is_bound:
        return render_to_string("aps/_fields.html", {"form": None, "fields": form.item_fields()})
    key = (id(form.spec), get_language())
    found = _ITEMS_HTML.get(key)
    if found is None or found[0] is not form.spec:  # the instrument itself is kept: its id is not reused
        found = _ITEMS_HTML[key] = (form.spec, render_to_string("aps/_fields.html",
                                                                {"form": None, "fields": form.item_fields()}))
    return found[1]


def _error_summary(bound: dict) -> list[str]:
    out = []
    for form in bound.values():
        if isinstance(form, list):
            out += form
        else:
            out += [str(e) for errs in form.errors.values() for e in errs]
    return out


def _render_case(request, case: Case, *, bound: dict | None = None, saved: str = "", status: int = 200,
                 audit_read: bool = True):
    bound = bound or {}
    user = request.user
    person = get_person_by_pk(user, case.person_id)
    can_change = user.has_role(Role.NURSE) and case.nurse_id == user.pk
    sessions = list(case.sessions.all())
    for s in sessions:
        if s.status == Session.Status.PLANNED:
            s.form = bound.get(f"record-{s.pk}") or RecordSessionForm(id_prefix=f"s{s.pk}")
    goals = list(case.goals.all())
    for g in goals:
        g.form = bound.get(f"goal-{g.pk}") or GoalStatusForm(initial={"status": g.status}, id_prefix=f"g{g.pk}")
    plans = list(case.plans.select_related("written_by"))
    notes = list(case.notes.select_related("written_by"))
    chosen = request.GET.get("instrument") or (bound["questionnaire"].spec.id if "questionnaire" in bound else None)
    q = _questionnaire_context(case, chosen, bound.get("questionnaire"))
    today = timezone.localdate()
    arm = trial_actions.shown_arm(case)  # "" until consent reveals it
    context = {
        "arm": arm, "arm_label": case.allocation.get_arm_display() if arm else "",
        "next_questionnaire": dict(queries.questionnaire_tasks([case], dt.date.max)).get(case.pk) if arm else None,
        "case": case, "person": person, "show_identity": shows_identity(request, person), "scope": scope_of(user),
        "municipality": queries.municipality_name(person.municipality_code),
        "eligibility": queries.eligibility_of(person, case.region_code), "can_change": can_change,
        "is_lead": user.has_role(Role.PROGRAMME_LEAD), "sessions": sessions, "goals": goals,
        "current_plan": plans[0] if plans else None, "older_plans": plans[1:], "notes": notes,
        "case_messages": list(case.messages.select_related("sender", "plan")),
        "consent_records": list(case.consent_records.select_related("recorded_by")),
        "consent_texts": consent_config.texts(),
        "can_message": can_change and case.state in actions.MESSAGE_STATES,
        "can_schedule": can_change and case.state in actions.SCHEDULE_STATES and rules.QUESTIONNAIRES is not None,
        "timeline": _timeline(case, sessions, plans, q["responses"]), "saved": saved, "today": today,
        "next_call": next((s for s in sessions if s.kind == Session.Kind.INVITATION
                           and s.status == Session.Status.PLANNED), None),
        "missed_calls": [s for s in sessions if s.kind == Session.Kind.INVITATION and s.status == Session.Status.MISSED],
        "end_due": case.end_due_on is not None and case.end_due_on <= today,
        "end_overdue": case.end_overdue_on is not None and case.end_overdue_on <= today,
        "forms": {
            "refusal": bound.get("refusal") or RefusalForm(),
            "not_reached": bound.get("not_reached") or NotReachedForm(),
            "startup": bound.get("startup") or StartupForm(),
            "plan_startup": bound.get("plan_startup") or PlanSessionForm(id_prefix=Session.Kind.STARTUP),
            "plan_phone": bound.get("plan_phone") or PlanSessionForm(id_prefix=Session.Kind.PHONE),
            "plan_call": bound.get("plan_call") or PlanSessionForm(id_prefix=Session.Kind.INVITATION),
            "goal": bound.get("goal") or GoalForm(id_prefix="new"),
            "plan": bound.get("plan") or PlanForm(initial={"text": plans[0].text if plans else ""}),
            "note": bound.get("note") or NoteForm(),
            "message": bound.get("message") or MessageForm(),
            "schedule": bound.get("schedule") or ScheduleQuestionnaireForm(person=person),
            "end": bound.get("end") or EndForm(),
            # shown to the lead of an open case only (aps/case/_nurse.html): the region's nurses are read for it alone
            "reassign": bound.get("reassign") or (ReassignForm(
                nurses=queries.region_nurses(case.region_code).exclude(pk=case.nurse_id))
                if user.has_role(Role.PROGRAMME_LEAD) and case.is_open else None),
        },
        "consent_error": bound.get("answer"),
        "error_summary": _error_summary(bound),
        **q,
    }
    if audit_read:
        audit.record(request, audit.Event.APS_CASE, action=audit.READ, why=_("Aktiv Patientstøtte case"),
                     persons=[person.person_key], detail={"case": case.pk})
    return render(request, "aps/case.html", context, status=status)


@nurse_or_lead
@require_GET
def case_detail(request, pk: int):
    case = queries.get_case(request.user, pk)
    if request.user.has_role(Role.NURSE) and case.nurse_id == request.user.pk:
        actions.mark_read(request.user, case)  # the read receipt of the citizen's messages
    return _render_case(request, case)


# The page section (``id="sec-…"``) each form belongs to; the form's key in ``bound`` may add ``-<pk>``.
SECTIONS = {"answer": "answer", "refusal": "answer", "not_reached": "answer", "plan_call": "answer", "startup": "startup", "plan_startup": "startup",
            "plan_phone": "sessions", "record": "sessions", "goal": "goals", "plan": "plan", "note": "notes",
            "message": "messages", "schedule": "questionnaires", "review": "questionnaires",
            "questionnaire": "questionnaires", "end": "end", "reassign": "nurse"}


def _section_of(form_key: str) -> str:
    return SECTIONS[form_key.split("-")[0]]


def _change(request, case: Case, section: str, form, do, success: str):
    """Run ``do(cleaned_data)`` if the form is valid; answer with a redirect (plain POST) or the
    re-rendered case page (htmx, or errors)."""
    if form is None or form.is_valid():
        try:
            do(form.cleaned_data if form is not None else {})
        except ValidationError as e:
            if form is None:
                return _render_case(request, case, bound={section: e.messages}, status=200 if request.htmx else 400,
                                    audit_read=False)
            form.add_error(None, e)
        else:
            fresh = queries.get_case(request.user, case.pk)
            if request.htmx:
                return _render_case(request, fresh, saved=_section_of(section), audit_read=False)
            messages.success(request, success)
            return redirect(reverse("aps:case", args=[case.pk]) + f"#sec-{_section_of(section)}")
    return _render_case(request, case, bound={section: form}, status=200 if request.htmx else 400, audit_read=False)


def _confirm(request, case: Case, *, title: str, question: str, button: str, fields: dict, danger: bool = False):
    """The page that asks the nurse to confirm a change that cannot be taken back (consent, end of
    support): the same form again with ``confirmed``; nothing is changed until then."""
    person = get_person_by_pk(request.user, case.person_id)
    audit.record(request, audit.Event.APS_CASE, action=audit.READ, why=_("Aktiv Patientstøtte case"),
                 persons=[person.person_key], detail={"case": case.pk, "confirm": request.path})
    return render(request, "aps/confirm.html", {
        "case": case, "person": person, "show_identity": shows_identity(request, person), "title": title,
        "question": question, "button": button, "fields": fields, "danger": danger, "action": request.path,
    })


def _confirmed(request) -> bool:
    return request.POST.get("confirmed") == "1"


@nurse_only
@require_POST
def consent(request, pk: int):
    case = queries.get_case(request.user, pk)  # a nurse: her own cases only
    if case.state == Case.State.INVITED and not _confirmed(request):
        return _confirm(request, case, title=_("Confirm consent"), button=_("Yes, record consent"), fields={},
                        question=_("The person has consented to Aktiv Patientstøtte and to their GP and "
                                   "municipality being told. Consent is recorded and the messages are sent."))
    return _change(request, case, "answer", None, lambda d: actions.record_consent(request.user, case),
                   _("Consent recorded."))


@nurse_only
@require_POST
def not_reached(request, pk: int):
    case = queries.get_case(request.user, pk)  # a nurse: her own cases only
    return _change(request, case, "not_reached", NotReachedForm(request.POST),
                   lambda d: actions.record_not_reached(request.user, case, d["note"]),
                   _("Not reached: recorded, and a new try is planned."))


@nurse_only
@require_POST
def refuse(request, pk: int):
    case = queries.get_case(request.user, pk)  # a nurse: her own cases only
    return _change(request, case, "refusal", RefusalForm(request.POST),
                   lambda d: actions.record_refusal(request.user, case, d["reason"], d["note"]),
                   _("Refusal recorded."))


@nurse_only
@require_POST
def startup(request, pk: int):
    case = queries.get_case(request.user, pk)  # a nurse: her own cases only
    return _change(request, case, "startup", StartupForm(request.POST),
                   lambda d: actions.hold_startup(request.user, case, d["held_at"], d["note"]),
                   _("Start-up session recorded. Support has started."))


@nurse_only
@require_POST
def plan_session(request, pk: int, kind: str):
    case = queries.get_case(request.user, pk)  # a nurse: her own cases only
    if kind not in Session.Kind.values:
        kind = Session.Kind.PHONE
    section = {Session.Kind.STARTUP: "plan_startup", Session.Kind.INVITATION: "plan_call"}.get(kind, "plan_phone")
    return _change(request, case, section, PlanSessionForm(request.POST, id_prefix=kind),
                   lambda d: actions.plan_session(request.user, case, kind, d["planned_for"]), _("Session planned."))


@nurse_only
@require_POST
def record_session(request, pk: int, session_pk: int):
    case = queries.get_case(request.user, pk)  # a nurse: her own cases only
    session = get_object_or_404(Session, pk=session_pk, case=case)
    return _change(request, case, f"record-{session.pk}", RecordSessionForm(request.POST, id_prefix=f"s{session.pk}"),
                   lambda d: actions.record_session(request.user, session, d["status"], d["note"], d["held_at"]),
                   _("Session recorded."))


@nurse_only
@require_POST
def add_goal(request, pk: int):
    case = queries.get_case(request.user, pk)  # a nurse: her own cases only
    return _change(request, case, "goal", GoalForm(request.POST, id_prefix="new"),
                   lambda d: actions.add_goal(request.user, case, d["text"]), _("Goal added."))


@nurse_only
@require_POST
def update_goal(request, pk: int, goal_pk: int):
    case = queries.get_case(request.user, pk)  # a nurse: her own cases only
    goal = get_object_or_404(Goal, pk=goal_pk, case=case)
    return _change(request, case, f"goal-{goal.pk}", GoalStatusForm(request.POST, id_prefix=f"g{goal.pk}"),
                   lambda d: actions.update_goal(request.user, goal, status=d["status"]), _("Goal updated."))


@nurse_only
@require_POST
def save_plan(request, pk: int):
    case = queries.get_case(request.user, pk)  # a nurse: her own cases only
    return _change(request, case, "plan", PlanForm(request.POST),
                   lambda d: actions.save_plan(request.user, case, d["text"]), _("Plan saved as a new version."))


@nurse_only
@require_POST
def add_note(request, pk: int):
    case = queries.get_case(request.user, pk)  # a nurse: her own cases only
    return _change(request, case, "note", NoteForm(request.POST),
                   lambda d: actions.add_note(request.user, case, d["text"]), _("Note saved."))


@nurse_only
@require_POST
def send_message(request, pk: int):
    case = queries.get_case(request.user, pk)  # a nurse: her own cases only
    return _change(request, case, "message", MessageForm(request.POST),
                   lambda d: actions.send_message(request.user, case, d["text"]), _("Message sent."))


@nurse_only
@require_POST
def record_questionnaire(request, pk: int):
    case = queries.get_case(request.user, pk)  # a nurse: her own cases only
    instrument = instruments.get(request.POST.get("instrument", ""))
    if instrument is None:
        messages.error(request, _("Unknown questionnaire."))
        return redirect(reverse("aps:case", args=[case.pk]) + "#sec-questionnaires")
    form = QuestionnaireForm(instrument, request.POST)

    def do(data):
        response = actions.record_questionnaire(request.user, case, instrument.id, data["timepoint"], form.answers(),
                                                data["taken_on"])
        if response.score is None and not request.htmx:  # the section itself says "no score" with htmx
            messages.warning(request, _("Saved without a score: %(name)s needs all answers to give a score.")
                             % {"name": instrument.name()})

    return _change(request, case, "questionnaire", form, do, _("Questionnaire saved."))


@nurse_only
@require_POST
def schedule_questionnaires(request, pk: int):
    case = queries.get_case(request.user, pk)  # a nurse: her own cases only
    form = ScheduleQuestionnaireForm(request.POST)
    return _change(request, case, "schedule", form, lambda d: actions.schedule_questionnaires(
        request.user, case, channel=d["channel"], address=d["address"], first_day=d["first_day"],
        timepoints=d["timepoints"]), _("Questionnaires scheduled: the citizen gets each on its day."))


@nurse_only
@require_POST
def review_response(request, pk: int, response_pk: int):
    case = queries.get_case(request.user, pk)  # a nurse: her own cases only
    response = get_object_or_404(case.responses, pk=response_pk)
    return _change(request, case, "review", None, lambda d: actions.review_response(request.user, response),
                   _("The answer is marked as seen."))


def consent_pdf_response(request, case: Case, record=None) -> HttpResponse:
    """The PDF receipt of a consent record, or (no ``record``) the written agreement alone
    (``consent_pdf``), audited as an export; for the citizen's page and the nurse's case page."""
    from opspor.web.aps import consent_pdf

    plan = case.plans.first()
    goals, plan_text = [g.text for g in case.goals.all()], plan.text if plan else None
    if record is None:
        body, name = consent_pdf.agreement(case, goals, plan_text), "aftale"
    else:
        body, name = consent_pdf.receipt(record, goals, plan_text), f"samtykke-{record.public_id}"
    audit.record(request, audit.Event.APS_CONSENT_RECEIPT, action=audit.EXPORT,
                 why=_("Receipt of consent downloaded") if record else _("Written agreement downloaded"),
                 persons=[case.person.person_key],
                 detail={"case": case.pk, "record": str(record.public_id) if record else None})
    out = HttpResponse(body, content_type="application/pdf")
    out["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return out


@nurse_or_lead
@require_GET
def consent_receipt(request, pk: int, record_id):
    case = queries.get_case(request.user, pk)
    record = get_object_or_404(case.consent_records.select_related("case__person", "case__nurse", "recorded_by"),
                               public_id=record_id)
    return consent_pdf_response(request, case, record)


@nurse_or_lead
@require_GET
def response_fhir(request, pk: int, response_pk: int):
    """One questionnaire answer as a FHIR QuestionnaireResponse (JSON download), audited as an
    export of the person's data."""
    from opspor.fhir.questionnaire import questionnaire_response

    case = queries.get_case(request.user, pk)
    response = get_object_or_404(case.responses.select_related("recorded_by"), pk=response_pk)
    instrument = instruments.get(response.instrument)
    if instrument is None:
        raise Http404("the questionnaire is no longer configured")
    person = case.person
    body = questionnaire_response(
        instrument, response_id=str(response.pk), version=response.instrument_version, answers=response.answers,
        authored=response.recorded_at, cpr=person.cpr, name=person.name,
        by_citizen=response.source == response.Source.CITIZEN,
        author=response.recorded_by.get_full_name() or response.recorded_by.username,
        score=float(response.score) if response.score is not None else None)
    audit.record(request, audit.Event.APS_QUESTIONNAIRE_FHIR, action=audit.EXPORT,
                 why=_("Questionnaire answer exported (FHIR QuestionnaireResponse)"), persons=[person.person_key],
                 detail={"case": case.pk, "response": response.pk})
    out = JsonResponse(body, content_type="application/fhir+json", json_dumps_params={"ensure_ascii": False})
    out["Content-Disposition"] = f'attachment; filename="questionnaireresponse-{response.pk}.json"'
    out["Cache-Control"] = "no-store"
    return out


@nurse_only
@require_POST
def review_unanswered(request, pk: int, request_id):
    case = queries.get_case(request.user, pk)  # a nurse: her own cases only
    invitation = get_object_or_404(case.questionnaire_requests, public_id=request_id)
    return _change(request, case, "review", None, lambda d: actions.review_unanswered(request.user, invitation),
                   _("Marked as seen."))


@nurse_only
@require_POST
def end(request, pk: int):
    case = queries.get_case(request.user, pk)  # a nurse: her own cases only
    form = EndForm(request.POST)
    if form.is_valid() and not _confirmed(request):
        try:
            actions.check_end_support(request.user, case, form.cleaned_data["reason"], form.cleaned_data["note"])
        except ValidationError as e:
            form.add_error(None, e)
            return _render_case(request, case, bound={"end": form}, status=200 if request.htmx else 400,
                                audit_read=False)
        reason = dict(Case.EndReason.choices)[form.cleaned_data["reason"]]
        return _confirm(request, case, title=_("Confirm the end of support"), button=_("Yes, end support"),
                        fields={"reason": form.cleaned_data["reason"], "note": form.cleaned_data["note"]},
                        danger=True, question=_("End support with the reason “%(reason)s”? Planned "
                                                "sessions are cancelled, and the GP and municipality are told.")
                        % {"reason": reason})
    return _change(request, case, "end", form,
                   lambda d: actions.end_support(request.user, case, d["reason"], d["note"]), _("Support ended."))


@lead_only
@require_POST
def reassign(request, pk: int):
    case = queries.get_case(request.user, pk)
    form = ReassignForm(request.POST, nurses=queries.region_nurses(case.region_code).exclude(pk=case.nurse_id))

    def do(data):
        nurse = get_object_or_404(queries.region_nurses(case.region_code), pk=data["nurse"])
        actions.reassign(request.user, case, nurse)

    return _change(request, case, "reassign", form, do, _("The case has a new nurse."))

