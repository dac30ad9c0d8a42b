"""Reading the programme as its pages show it. Nothing here changes state or writes the audit
log: the views record the reads, ``actions`` owns the changes."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Count, Exists, Max, Min, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from opspor import reference
from opspor.web.accounts.models import User
from opspor.web.accounts.roles import Role
from opspor.web.aps import risk_words, rules
from opspor.web.aps.models import (
    Case,
    CaseMessage,
    CaseQuerySet,
    EligibilityEntry,
    QuestionnaireRequest,
    QuestionnaireResponse,
    Session,
)
from opspor.web.people.models import Person
from opspor.web.people.scope import visible_persons
from opspor.web.worklists.models import ListRun

log = logging.getLogger(__name__)

RANKING_RISK, RANKING_ADMISSIONS = "risk", "acute_admissions"


# --- eligibility and the region's pool --------------------------------------------------------

def newest_eligibility_run() -> ListRun | None:
    """The newest published run that carries eligibility (``opspor web publish`` keeps one)."""
    has_entries = Exists(EligibilityEntry.objects.filter(run=OuterRef("pk")))
    return ListRun.objects.filter(has_entries).order_by("-as_of", "-published_at").first()


def eligible_entries(region_code: str, run: ListRun | None = None) -> QuerySet[EligibilityEntry]:
    """The region's eligible, not excluded persons of the newest run."""
    run = run or newest_eligibility_run()
    if run is None:
        return EligibilityEntry.objects.none()
    return EligibilityEntry.objects.filter(run=run, region_code=region_code, excluded=False)


def eligibility_of(person: Person, region_code: str, run: ListRun | None = None) -> EligibilityEntry | None:
    """The person's entry of the newest run (or ``run``) in ``region_code`` (excluded or not)."""
    run = run or newest_eligibility_run()
    if run is None:
        return None
    return EligibilityEntry.objects.filter(run=run, region_code=region_code, person=person).first()


@dataclass
class Ranking:
    """How the pool is ordered: by the risk model's scores, or by acute admissions until one exists."""

    source: str
    model_id: str = ""
    scores: dict[str, float] = field(default_factory=dict)  # person_key → score (0-100)
    explanations: dict[str, str] = field(default_factory=dict)  # person_key → stored top factors
    facts: risk_words.ModelFacts | None = None  # what the scores predict, the model's report
    key: tuple = ()  # the score set's identity (see _score_ranking); empty when ranked by admissions

    @property
    def by_risk(self) -> bool:
        return self.source == RANKING_RISK


def ranking(region_code: str) -> Ranking:
    """The selected risk model's newest scores for the region (``opspor.risk.api``); until a
    model has scored, the number of acute admissions in the last 12 months."""
    try:
        from opspor.risk import api

        found = api.latest_scores()
        if found is None:
            return Ranking(RANKING_ADMISSIONS)
        return _score_ranking(found, region_code)
    except Exception:  # the risk store must never take the programme page down
        log.warning("the risk scores could not be read; ranking by acute admissions", exc_info=True)
        return Ranking(RANKING_ADMISSIONS)


_RANKINGS: dict[tuple, Ranking] = {}
_RANKINGS_LOCK = threading.Lock()  # gunicorn's threads share a worker's cache


def _score_ranking(found, region_code: str) -> Ranking:
    """The ranking of one stored score set for one region, read once per process: a score set
    is never changed after it is written (a new scoring is a new ``score_id``; the file's identity
    is in the key as well), and reading a region's scores and explanations takes longer than the
    rest of the page."""
    stat = found.path.stat()
    key = (found.score_id, str(found.path), stat.st_mtime_ns, stat.st_size, region_code)
    with _RANKINGS_LOCK:
        made = _RANKINGS.get(key)
    if made is None:
        table = found.table(region_code, columns=["person_key", "score", "explanation"])
        keys, values = table.column("person_key").to_pylist(), table.column("score").to_pylist()
        scores = {k: 100 * v for k, v in zip(keys, values, strict=True) if v is not None}
        explanations = {k: e for k, e in zip(keys, table.column("explanation").to_pylist(), strict=True) if e}
        made = (Ranking(RANKING_RISK, found.model_id, scores, explanations, risk_words.model_facts(found.model_id), key)
                if scores else Ranking(RANKING_ADMISSIONS))
        with _RANKINGS_LOCK:
            if len(_RANKINGS) >= 8:  # a few regions and the newest scorings; the oldest goes first
                _RANKINGS.pop(next(iter(_RANKINGS)))
            _RANKINGS[key] = made
    return made


@dataclass
class PoolRow:
    rank: int
    entry: EligibilityEntry
    score: float | None
    case: Case | None = None  # the newest case of the person, any state

    @property
    def person(self) -> Person:
        return self.entry.person




@dataclass(frozen=True)
class Pool:
    """The lead's region's pool as the programme page shows it."""

    run: ListRun | None  # the newest run with eligibility
    eligible: int  # the region's eligible, not excluded persons of the run (whatever the filters)
    order: Sequence[tuple[int, int, float | None]]  # (rank, entry id, score), best first, filtered


_POOLS: dict[tuple, tuple] = {}
_POOLS_LOCK = threading.Lock()


def pool(user, r: Ranking, *, municipality: str = "", status: str = "") -> Pool:
    """The lead's region's pool in the order of ``r``; rank is over the whole region (before the
    filters), so a filtered page still shows each person's place.

    The order is made once per process for a run, score set and region (:func:`_ranked`): a
    run's pool is written once, in the transaction that publishes the run (``aps/publish.py``),
    and never changed; a score set neither (:func:`_score_ranking`). The number and highest id
    of the region's entries are in the key too (read for the page anyway), so entries added to a
    run are never missed. What can change is read on every request: who of the pool the lead may
    see (:func:`_hidden`) and, for the status filter, the cases."""
    run = newest_eligibility_run()
    if run is None:
        return Pool(None, 0, ())
    entries = eligible_entries(user.region_code, run)
    found = entries.aggregate(n=Count("pk"), last=Max("pk"))
    places, numbered = _ranked(entries, r, (run.pk, run.run_id, run.published_at, r.key, user.region_code,
                                            found["n"], found["last"]))
    hidden = _hidden(user, entries)
    if not (hidden or municipality or status):
        return Pool(run, found["n"], numbered)
    if hidden:
        places = [p for p in places if p[0] not in hidden]
    ranked = list(enumerate(places, start=1))
    if municipality:
        ranked = [(n, p) for n, p in ranked if p[2] == municipality]
    if status:
        person_ids = [p[1] for _, p in ranked]
        with_open = set(_chunked_ids(Case.objects.filter(state__in=Case.OPEN_STATES), person_ids))
        with_any = set(_chunked_ids(Case.objects.all(), person_ids))
        keep = {
            "new": lambda pid: pid not in with_any,
            "open": lambda pid: pid in with_open,
            "closed": lambda pid: pid in with_any and pid not in with_open,
        }[status]
        ranked = [(n, p) for n, p in ranked if keep(p[1])]
    return Pool(run, found["n"], [(n, p[0], p[3]) for n, p in ranked])


def _ranked(entries: QuerySet[EligibilityEntry], r: Ranking, key: tuple) -> tuple:
    """(places, numbered) of ``entries`` best first: places (entry id, person id, municipality,
    score), numbered (rank, entry id, score); made once per process per ``key``."""
    with _POOLS_LOCK:
        made = _POOLS.get(key)
    if made is None:
        rows = list(entries.values_list("pk", "person_id", "person__person_key", "acute_admissions_12m",
                                        "municipality_code"))
        if r.by_risk:
            rows.sort(key=lambda x: (-(r.scores.get(x[2], -1.0)), -x[3], x[2]))
        else:
            rows.sort(key=lambda x: (-x[3], x[2]))
        places = tuple((pk, person, municipality, r.scores.get(person_key) if r.by_risk else None)
                       for pk, person, person_key, _n, municipality in rows)
        made = (places, tuple((n, p[0], p[3]) for n, p in enumerate(places, start=1)))
        with _POOLS_LOCK:
            if len(_POOLS) >= 8:  # a few regions and the newest runs and scorings; the oldest goes first
                _POOLS.pop(next(iter(_POOLS)))
            _POOLS[key] = made
    return made


def _hidden(user, entries: QuerySet[EligibilityEntry]) -> set[int]:
    """The entries whose person the lead may not see, read fresh. The pool's persons are the
    lead's by scope's rule (eligible and not excluded on the newest run) while they live in the
    region; a later snapshot (a referral, a hospital notification) can move one, so only persons
    now living elsewhere are put to ``visible_persons`` (asking it about the whole pool costs
    four times as much)."""
    moved = dict(entries.exclude(person__region_code=user.region_code).values_list("person_id", "pk"))
    if not moved:
        return set()
    seen = set(visible_persons(user).filter(pk__in=list(moved)).values_list("pk", flat=True))
    return {pk for person_id, pk in moved.items() if person_id not in seen}


def _chunked_ids(qs: QuerySet[Case], person_ids: list[int], chunk: int = 5000) -> Iterable[int]:
    for i in range(0, len(person_ids), chunk):
        yield from qs.filter(person_id__in=person_ids[i:i + chunk]).values_list("person_id", flat=True)


def pool_rows(order: Sequence[tuple[int, int, float | None]]) -> list[PoolRow]:
    """The rows of one page of ``pool().order``, with persons and their newest case."""
    entries = (EligibilityEntry.objects.select_related("person").defer("exclusion_reasons")  # never shown to the lead
               .in_bulk([pk for _, pk, _ in order]))
    rows = [PoolRow(rank, entries[pk], score) for rank, pk, score in order if pk in entries]
    cases: dict[int, Case] = {}
    for case in (Case.objects.filter(person_id__in=[r.entry.person_id for r in rows]).select_related("nurse")
                 .only("person_id", "state", "nurse__first_name", "nurse__last_name", "nurse__username")
                 .order_by("invited_at", "id")):
        cases[case.person_id] = case  # the newest wins
    for row in rows:
        row.case = cases.get(row.entry.person_id)
    return rows


def region_state_counts(region_code: str) -> dict[str, int]:
    counts = dict(Case.objects.filter(region_code=region_code).values_list("state").annotate(n=Count("id")))
    return {state: counts.get(state, 0) for state in Case.State.values}


def region_referral_counts(region_code: str) -> dict[str, int]:
    """The region's cases taken in by referral, by who referred (the programme page counts them apart)."""
    counts = dict(Case.objects.filter(region_code=region_code, intake=Case.Intake.REFERRAL)
                  .values_list("referral_source").annotate(n=Count("id")))
    return {source: counts.get(source, 0) for source in Case.ReferralSource.values}


def region_municipalities(region_code: str) -> list[reference.Municipality]:
    return sorted((m for m in reference.municipalities() if m.region_code == region_code), key=lambda m: m.name)


def municipality_name(code: str) -> str:
    found = reference.municipality_by_code().get(code)
    return found.name if found else code


def age_band(person: Person, today: dt.date | None = None) -> str:
    """Ten-year age band (``70–79`` with an en dash, which no spreadsheet takes for a date; ``90+``): enough to rank, too coarse to identify."""
    age = person.age_on(today or timezone.localdate())
    if age is None:
        return "–"
    if age >= 90:
        return "90+"
    low = age // 10 * 10
    return f"{low}–{low + 9}"


# --- nurses and capacity ----------------------------------------------------------------------

@dataclass
class NurseLoad:
    nurse: User
    invited: int = 0
    consented: int = 0
    active: int = 0

    @property
    def open_cases(self) -> int:
        return self.invited + self.consented + self.active

    @property
    def free(self) -> int:
        return max(self.nurse.capacity - self.open_cases, 0)

    @property
    def over_capacity(self) -> bool:
        return self.open_cases > self.nurse.capacity


def region_nurses(region_code: str) -> QuerySet[User]:
    return (User.objects.filter(role=Role.NURSE, is_active=True, organisation__region_code=region_code)
            .select_related("organisation").order_by("first_name", "last_name", "username"))


# A trial's control case, once consent revealed its arm, takes no support place: usual care and
# three questionnaire calls a year are not the weekly support the capacity is set for. An
# invitation counts whatever its (concealed) arm: it may become an intervention case.
REVEALED_CONTROL = Q(allocation__arm="control", allocation__revealed_at__isnull=False)


def open_case_count(nurse: User) -> int:
    """Open cases that take a support place (see ``REVEALED_CONTROL``)."""
    return Case.objects.filter(nurse=nurse, state__in=Case.OPEN_STATES).exclude(REVEALED_CONTROL).count()


def nurse_loads(region_code: str) -> list[NurseLoad]:
    nurses = list(region_nurses(region_code))
    loads = {n.pk: NurseLoad(n) for n in nurses}
    for nurse_id, state, n in (Case.objects.filter(nurse__in=nurses, state__in=Case.OPEN_STATES)
                               .exclude(REVEALED_CONTROL)
                               .values_list("nurse_id", "state").annotate(n=Count("id"))):
        setattr(loads[nurse_id], state, n)
    return list(loads.values())


# --- cases ------------------------------------------------------------------------------------

def cases_visible_to(user) -> QuerySet[Case]:
    """A nurse's own cases; a programme lead's region's cases; nothing for anyone else."""
    if not user.is_authenticated or not user.is_active:
        return Case.objects.none()
    if user.role == Role.NURSE:
        return Case.objects.filter(nurse=user)
    if user.role == Role.PROGRAMME_LEAD and user.region_code:
        return Case.objects.filter(region_code=user.region_code)
    return Case.objects.none()


def get_case(user, pk) -> Case:
    """The case if ``user`` may see it (404 otherwise, whether it exists or not)."""
    try:
        return cases_visible_to(user).select_related("person", "nurse", "invited_by", "allocation").get(pk=pk)
    except (Case.DoesNotExist, ValueError):
        raise Http404("not found") from None


def caseload(nurse: User, state: str = "", *, search: str = "", sort: str = "") -> list[Case]:
    """The nurse's cases (of ``state``), whose name or CPR number holds ``search``, ordered by
    ``sort`` (a column of :data:`CASELOAD_SORTS`, ``-`` before it for descending; default: name)."""
    cases = Case.objects.filter(nurse=nurse).select_related("person", "allocation")
    if state:
        cases = cases.filter(state=state)
    if search.strip():
        cases = cases.filter(_search(search))
    cases = list(cases.order_by("person__name", "id"))
    next_planned: dict[int, dt.datetime] = {}  # the earliest planned session
    last_held: dict[int, dt.datetime] = {}  # the newest held session
    for case_id, status, planned_for, held_at in (
            Session.objects.filter(case__in=cases, status__in=(Session.Status.PLANNED, Session.Status.HELD))
            .values_list("case_id", "status", "planned_for", "held_at")):
        if status == Session.Status.PLANNED:
            if case_id not in next_planned or planned_for < next_planned[case_id]:
                next_planned[case_id] = planned_for
        elif held_at is not None and (case_id not in last_held or held_at > last_held[case_id]):
            last_held[case_id] = held_at
    due = dict(questionnaire_tasks(cases, dt.date.max))
    for case in cases:
        case.next_session_at = next_planned.get(case.pk)
        case.last_contact_at = last_held.get(case.pk)
        case.next_questionnaire = due.get(case.pk)
    return _sorted(cases, sort)


def _search(text: str) -> Q:
    """A name containing ``text`` (any case), or a CPR number starting with its digits (a dash
    or space allowed: 010742-0762)."""
    text = text.strip()
    digits = text.replace("-", "").replace(" ", "")
    found = Q(person__name__icontains=text)
    if digits.isdigit():
        found |= Q(person__cpr__startswith=digits)
    return found


# "My caseload"'s columns that order it: the value of a case for each (None: last, either way)
CASELOAD_SORTS = {
    "name": lambda c: c.person.name.casefold(),
    "age": lambda c: c.person.age,
    "state": lambda c: Case.OPEN_STATES.index(c.state) if c.state in Case.OPEN_STATES else len(Case.OPEN_STATES)
    + ("refused", "ended").index(c.state),
    "invited": lambda c: c.invited_at,
    "started": lambda c: c.started_at,
    "next": lambda c: c.next_session_at,
    "last": lambda c: c.last_contact_at,
}


def _sorted(cases: list[Case], sort: str) -> list[Case]:
    descending = sort.startswith("-")
    key = CASELOAD_SORTS.get(sort.lstrip("-") or "name")
    having = [c for c in cases if key(c) is not None]
    return sorted(having, key=key, reverse=descending) + [c for c in cases if key(c) is None]


def caseload_counts(nurse: User) -> tuple[dict[str, int], int]:
    """The nurse's cases by state, and her open cases that take a support place
    (``open_case_count``), in one query."""
    counts, places = dict.fromkeys(Case.State.values, 0), 0
    for state, n, control in (Case.objects.filter(nurse=nurse).values_list("state")
                              .annotate(n=Count("id"), control=Count("id", filter=REVEALED_CONTROL))):
        counts[state] = n
        if state in Case.OPEN_STATES:
            places += n - control
    return counts, places


# --- the nurse's day --------------------------------------------------------------------------

@dataclass
class DayRow:
    case: Case
    session: Session | None = None
    since: dt.date | None = None  # the date the row is about (planned, invited, end due)
    response: QuestionnaireResponse | None = None  # a red or yellow questionnaire answer
    request: QuestionnaireRequest | None = None  # a questionnaire not answered by its deadline


@dataclass
class Day:
    today: dt.date
    calls: list[DayRow]          # sessions planned for the day
    overdue: list[DayRow]        # planned sessions before the day, still planned
    new_invitations: list[DayRow]  # invitations of the last INVITATION_REMINDER_DAYS days
    unanswered: list[DayRow]     # invitations older than INVITATION_REMINDER_DAYS
    startup_to_plan: list[DayRow]  # consented, no start-up session planned
    no_session: list[DayRow]     # active, no session planned
    end_due: list[DayRow]        # active, 6-9 months since the start
    end_overdue: list[DayRow]    # active, 9 months or more since the start
    questionnaires_due: list[DayRow] = field(default_factory=list)  # every case's follow-up questionnaire due
    unread_messages: list[DayRow] = field(default_factory=list)  # the citizen wrote; not read yet
    questionnaire_alerts: list[DayRow] = field(default_factory=list)  # red/yellow answers not seen yet
    questionnaires_unanswered: list[DayRow] = field(default_factory=list)  # past the deadline, not seen yet

    @property
    def buckets(self) -> list[tuple[str, list[DayRow]]]:
        return [("calls", self.calls), ("overdue", self.overdue), ("new_invitations", self.new_invitations),
                ("unanswered", self.unanswered),
                ("startup_to_plan", self.startup_to_plan), ("no_session", self.no_session),
                ("end_overdue", self.end_overdue), ("end_due", self.end_due)] + (
                    [("questionnaires_due", self.questionnaires_due)] if self.questionnaires_due else []) + (
                    [("unread_messages", self.unread_messages)] if self.unread_messages else []) + (
                    [("questionnaire_alerts", self.questionnaire_alerts)] if self.questionnaire_alerts else []) + (
                    [("questionnaires_unanswered", self.questionnaires_unanswered)]
                    if self.questionnaires_unanswered else [])

    @property
    def cases(self) -> list[Case]:
        return [row.case for _, rows in self.buckets for row in rows]

    @property
    def empty(self) -> bool:
        return not any(rows for _, rows in self.buckets)


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time(), tzinfo=tz)
    return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=tz)


def day_view(nurse: User, today: dt.date) -> Day:
    """Who to call on ``today``: the buckets of the nurse's day view. The nurse's cases (with
    their persons) and her planned sessions are read once each and sorted into the buckets here
    (the page is the one a nurse opens most)."""
    start, end = _day_bounds(today)
    reminder_start, _ = _day_bounds(today - dt.timedelta(days=rules.INVITATION_REMINDER_DAYS))
    cases = list(Case.objects.filter(nurse=nurse).select_related("person__contact_choice", "allocation"))  # the model's order
    by_pk = {c.pk: c for c in cases}
    # (a case given to the nurse since the line above waits for the next page: ``in by_pk`` here and below)
    planned = [s for s in Session.objects.filter(case__nurse=nurse, status=Session.Status.PLANNED)
               .order_by("planned_for", "pk") if s.case_id in by_pk]
    has_planned = {s.case_id for s in planned}
    has_planned_startup = {s.case_id for s in planned if s.kind == Session.Kind.STARTUP}
    due_by_end = [s for s in planned if s.planned_for < end and by_pk[s.case_id].state in Case.OPEN_STATES]
    calls = [DayRow(by_pk[s.case_id], s, today) for s in due_by_end if s.planned_for >= start]
    overdue = [DayRow(by_pk[s.case_id], s, timezone.localdate(s.planned_for)) for s in due_by_end
               if s.planned_for < start]
    invited = sorted((c for c in cases if c.state == Case.State.INVITED and c.invited_at and c.invited_at < end),
                     key=lambda c: (c.invited_at, c.pk))
    unanswered = [DayRow(c, since=timezone.localdate(c.invited_at)) for c in invited if c.invited_at < reminder_start]
    new_invitations = [DayRow(c, since=timezone.localdate(c.invited_at)) for c in invited
                       if c.invited_at >= reminder_start]
    startup_to_plan = [DayRow(c, since=timezone.localdate(c.answered_at) if c.answered_at else None) for c in
                       _by_time(c for c in cases if c.state == Case.State.CONSENTED
                                and c.pk not in has_planned_startup and not _revealed_control(c))]
    end_due, end_overdue, no_session = [], [], []
    for case in _by_time((c for c in cases if c.state == Case.State.ACTIVE), "started_at"):
        start = case.start_date  # Case.end_due_on and end_overdue_on, with the start worked out once
        overdue_on = rules.end_overdue_on(start) if start else None
        due_on = rules.end_due_on(start) if start else None
        if overdue_on and overdue_on <= today:
            end_overdue.append(DayRow(case, since=overdue_on))
        elif due_on and due_on <= today:
            end_due.append(DayRow(case, since=due_on))
        if case.pk not in has_planned:
            no_session.append(DayRow(case, since=start))
    included = [c for c in cases if c.state in CaseQuerySet.INCLUDED]
    questionnaires_due = [DayRow(by_pk[pk], since=due.on) for pk, due in questionnaire_tasks(included, today)]
    # messages from the citizen not read yet (so that none is overlooked), the oldest first
    unread = (CaseMessage.objects.filter(case__nurse=nurse, from_citizen=True, read_at__isnull=True)
              .values("case").annotate(first=Min("sent_at")).order_by("first"))
    unread_messages = [DayRow(by_pk[u["case"]], since=timezone.localdate(u["first"])) for u in unread
                       if u["case"] in by_pk]
    return Day(today, calls, overdue, new_invitations, unanswered, startup_to_plan, no_session, end_due, end_overdue,
               questionnaires_due, unread_messages, questionnaire_alerts(nurse, end, by_pk),
               questionnaires_unanswered(nurse, today, by_pk))


def _revealed_control(case: Case) -> bool:
    """``REVEALED_CONTROL`` of one loaded case (its allocation selected with it)."""
    a = case.allocation if case.allocation_id else None
    return a is not None and a.arm == "control" and a.revealed_at is not None


def _by_time(cases: Iterable[Case], attr: str = "answered_at") -> list[Case]:
    """``cases`` oldest ``attr`` first, those without one last, then by id."""
    never = dt.datetime.min.replace(tzinfo=dt.UTC)
    return sorted(cases, key=lambda c: (getattr(c, attr) is None, getattr(c, attr) or never, c.pk))


def questionnaires_unanswered(nurse: User, today: dt.date, cases: dict[int, Case]) -> list[DayRow]:
    """The questionnaires of the nurse's open cases not answered by a deadline before ``today``
    and not marked seen, the oldest deadline first: the seed's flag when a check is not used
    (002, lines 8580-8606). ``cases``: the nurse's cases by id, read already."""
    found = (QuestionnaireRequest.objects.filter(case__nurse=nurse, case__state__in=Case.OPEN_STATES,
                                                 state=QuestionnaireRequest.State.EXPIRED, reviewed_at__isnull=True,
                                                 deadline__lt=today).order_by("deadline", "id"))
    return [DayRow(cases[r.case_id], since=r.deadline, request=r) for r in found if r.case_id in cases]


TRIAGE_ORDER = {"red": 0, "yellow": 1}


def questionnaire_alerts(nurse: User, before: dt.datetime, cases: dict[int, Case]) -> list[DayRow]:
    """The red and yellow questionnaire answers of the nurse's cases not marked seen, stored
    before ``before``: red first, then the oldest first (the rule that fired is on the row).
    ``cases``: the nurse's cases by id, read already."""
    found = QuestionnaireResponse.objects.filter(case__nurse=nurse, triage__in=list(TRIAGE_ORDER),
                                                 reviewed_at__isnull=True, recorded_at__lt=before)
    rows = sorted(found, key=lambda r: (TRIAGE_ORDER[r.triage], r.recorded_at, r.pk))
    return [DayRow(cases[r.case_id], since=r.taken_on, response=r) for r in rows if r.case_id in cases]


@dataclass(slots=True)
class WeekCall:
    """One session of the week as the page shows it, read as plain values (no model instances):
    the week holds dozens of them."""

    case_id: int
    kind: str
    status: str
    planned_for: dt.datetime  # in the current time zone
    retry: bool  # a new try after "not reached"
    name: str
    person_key: str


@dataclass
class WeekDay:
    day: dt.date
    sessions: list[WeekCall]


def week_view(nurse: User, day: dt.date) -> list[WeekDay]:
    """The nurse's sessions planned in the week (Monday to Sunday) of ``day``, by day and time:
    the planned calls of open cases, and those of the week already recorded (held, not reached,
    cancelled) so the week reads as it went."""
    monday = day - dt.timedelta(days=day.weekday())
    start, _end = _day_bounds(monday)
    end, _ = _day_bounds(monday + dt.timedelta(weeks=1))
    sessions = (Session.objects.filter(case__nurse=nurse, planned_for__gte=start, planned_for__lt=end)
                .filter(Q(status=Session.Status.PLANNED, case__state__in=Case.OPEN_STATES)
                        | ~Q(status=Session.Status.PLANNED))
                .order_by("planned_for", "id")
                .values_list("case_id", "kind", "status", "planned_for", "retry_of_id", "case__person__name",
                             "case__person__person_key"))
    days = [WeekDay(monday + dt.timedelta(days=i), []) for i in range(7)]
    for case_id, kind, status, planned_for, retry_of_id, name, person_key in sessions:
        local = timezone.localtime(planned_for)
        days[(local.date() - monday).days].sessions.append(
            WeekCall(case_id, kind, status, local, retry_of_id is not None, name, person_key))
    return days


@dataclass(frozen=True)
class QuestionnaireDue:
    timepoint: str
    on: dt.date


def questionnaire_tasks(cases: list[Case], today: dt.date) -> list[tuple[int, QuestionnaireDue]]:
    """(case id, the earliest questionnaire due by ``today``) of ``cases`` in follow-up (consented
    or active, or ended as completed), without a response yet:

    * a trial's control case: the control arm's outcome questionnaire at its time points (months
      after consent, ``rules.TRIAL.control_timepoints``);
    * every other case once support has started: the programme's questionnaire
      (``questionnaires:`` of the programme file) at its follow-up time points (months after the
      start-up session; the baseline, month 0, is taken at the start-up session itself), unless
      it was sent to the citizen to answer at home (a request not cancelled).

    Without a ``questionnaires:`` section only the trial's control cases have reminders."""
    trial, schedule = rules.TRIAL, rules.QUESTIONNAIRES
    in_follow_up = [c for c in cases if c.state in CaseQuerySet.INCLUDED
                    and (c.state != Case.State.ENDED or c.end_reason == Case.EndReason.COMPLETED)]
    controls = [c for c in in_follow_up if c.answered_at and c.allocation_id and c.allocation.shown_arm == "control"
                and c.state != Case.State.ACTIVE]
    control_pks = {c.pk for c in controls}
    supported = [] if schedule is None else [c for c in in_follow_up if c.started_at and c.pk not in control_pks]
    if not controls and not supported:
        return []
    instruments_ = {trial.control_instrument} | ({schedule.instrument} if schedule else set())
    done = set(QuestionnaireResponse.objects.filter(case_id__in=[c.pk for c in controls + supported],
                                                    instrument__in=instruments_)
               .values_list("case_id", "instrument", "timepoint"))
    if supported:
        done |= set(QuestionnaireRequest.objects.filter(case_id__in=[c.pk for c in supported],
                                                        instrument=schedule.instrument)
                    .exclude(state=QuestionnaireRequest.State.CANCELLED).values_list("case_id", "instrument", "timepoint"))
    out = []
    plans = [(c, trial.control_instrument, timezone.localdate(c.answered_at), trial.control_timepoints) for c in controls]
    plans += [(c, schedule.instrument, c.start_date, tuple((t, m) for t, m in schedule.timepoints if m > 0))
              for c in supported]
    for case, instrument, first_day, timepoints in plans:
        for timepoint, months in timepoints:
            on = rules.add_months(first_day, months)
            if (case.pk, instrument, timepoint) not in done and on <= today:
                out.append((case.pk, QuestionnaireDue(timepoint, on)))
                break
    return out


def persons_of(cases: Iterable[Case]) -> list[str]:
    return sorted({c.person.person_key for c in cases})
