"""Programme rollout from the web app's own rows: the ORM gives plain rows (dates and
organisational fields, no person) to :mod:`opspor.monitor.rollout`, which counts.

The planned intake is the region's own plan set by its secretariat in the app
(:class:`~opspor.web.monitoring.models.IntakePlan`, the newest row, with its patients per year)
when there is one; else the published plan of ``opspor/monitor/data/references.yaml`` (the
seed's 14,194 patients over 2016-2019) unless ``config/rollout.yaml`` (versioned) gives another,
split over the regions by population when ``split: population``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.utils import timezone

from opspor import config_reader
from opspor import reference as ref
from opspor.monitor import rollout as R
from opspor.monitor.references import planned_intake

CONFIG_FILE = Path(__file__).with_name("config") / "rollout.yaml"
SPLITS = ("population", "none")


@dataclass(frozen=True)
class RolloutConfig:
    file: str
    version: str
    plan: R.IntakePlan
    split: str

    def plan_for(self, region: str) -> R.IntakePlan:
        if self.split == "none":
            return self.plan
        munis = ref.municipalities()
        total = sum(m.population for m in munis)
        mine = sum(m.population for m in munis if m.region_code == region)
        return self.plan.scaled(mine / total if total else 1.0)


@cache
def load_config(path: str | Path | None = None) -> RolloutConfig:
    path = Path(path) if path is not None else CONFIG_FILE
    data, _digest = config_reader.read_yaml(path)
    ctx = config_reader.Ctx(str(path))
    top = config_reader.mapping(ctx, data, ("version", "intake", "split"), ("version",))
    version = config_reader.version(ctx.at("version"), top["version"])
    split = config_reader.choice(ctx.at("split"), top.get("split", "population"), SPLITS, "split")
    if "intake" not in top:
        return RolloutConfig(str(path), version, planned_intake(), split)
    ictx = ctx.at("intake")
    body = config_reader.mapping(ictx, top["intake"], ("total", "start", "end", "source"), ("total", "start", "end", "source"))
    start = config_reader.date(ictx.at("start"), body["start"], "2016-01-01")
    end = config_reader.date(ictx.at("end"), body["end"], "2019-12-31")
    if end < start:
        raise ictx.at("end").error(f"{end} is before the start {start}", "write an end on or after the start")
    plan = R.IntakePlan(config_reader.integer(ictx.at("total"), body["total"], 1, "total: 3000"), start, end,
                        source=config_reader.text(ictx.at("source"), body["source"], "source"))
    return RolloutConfig(str(path), version, plan, split)


def own_plan(region: str) -> R.IntakePlan | None:
    """The region's own plan in force (the newest set in the app), or None."""
    from opspor.web.monitoring.models import IntakePlan

    own = IntakePlan.objects.filter(region_code=region).prefetch_related("years").first()
    return None if own is None else R.IntakePlan(own.total, own.start, own.end,
                                                 tuple((y.year, y.patients) for y in own.years.all()), own.source)


def _day(moment) -> dt.date | None:
    return timezone.localdate(moment) if moment else None


def screening_rows(region: str) -> list[R.Screening]:
    """One row per patient and department list day of the region's departments, with the
    department's screening decision for that run (None: not screened)."""
    from opspor.web.worklists.models import ListEntry, Screening

    decisions = {(s["run_id"], s["department_id"], s["person_id"]): s["decision"]
                 for s in Screening.objects.filter(department__region_code=region).order_by("decided_at", "id")
                 .values("run_id", "department_id", "person_id", "decision")}  # the newest decision is in force
    rows = []
    seen = set()
    for e in (ListEntry.objects.filter(department__region_code=region)
              .values("run_id", "run__as_of", "department_id", "department__name", "person_id")):
        key = (e["run_id"], e["department_id"], e["person_id"])
        if key in seen:  # a patient with several contacts is listed once
            continue
        seen.add(key)
        rows.append(R.Screening(e["department__name"], e["run__as_of"], decisions.get(key)))
    return rows


def _nurse_name(first: str, last: str, username: str) -> str:
    return f"{first} {last}".strip() or username


def enrolment_rows(region: str) -> list[R.Enrolment]:
    """The programme's cases of ``region``; a trial's control cases (revealed at consent) get
    usual care, not the programme, and are left out (the trial export counts them)."""
    from opspor.web.aps.models import Case
    from opspor.web.trial.models import Allocation

    control = Case.objects.filter(allocation__arm=Allocation.Arm.CONTROL, allocation__revealed_at__isnull=False)
    rows = []
    for c in Case.objects.filter(region_code=region).exclude(pk__in=control.values("pk")).values(
            "state", "invited_at", "answered_at", "started_at", "ended_at",
            "nurse__first_name", "nurse__last_name", "nurse__username"):
        refused = c["state"] == Case.State.REFUSED
        rows.append(R.Enrolment(
            region, _nurse_name(c["nurse__first_name"], c["nurse__last_name"], c["nurse__username"]),
            invited_on=_day(c["invited_at"]),
            consented_on=None if refused else _day(c["answered_at"]),
            started_on=_day(c["started_at"]), ended_on=_day(c["ended_at"]),
            declined_on=_day(c["answered_at"]) if refused else None))
    return rows


@dataclass(frozen=True)
class IntakeRoute:
    """The programme's cases of a region by how the person came in: found by the criteria, or
    referred by a GP or a hospital department outside them (counted apart)."""

    route: str  # "algorithm", "gp", "department"
    invited: int
    consented: int
    started: int


def intake_routes(region: str) -> list[IntakeRoute]:
    """Invited, consented and started per intake route (a trial's revealed control cases left
    out, as in :func:`enrolment_rows`)."""
    from django.db.models import Count, Q

    from opspor.web.aps.models import Case, CaseQuerySet
    from opspor.web.trial.models import Allocation

    control = Case.objects.filter(allocation__arm=Allocation.Arm.CONTROL, allocation__revealed_at__isnull=False)
    counts = {(r["intake"], r["referral_source"]): r for r in (
        Case.objects.filter(region_code=region).exclude(pk__in=control.values("pk"))
        .values("intake", "referral_source")
        .annotate(invited=Count("id"), consented=Count("id", filter=Q(state__in=CaseQuerySet.INCLUDED)),
                  started=Count("id", filter=Q(started_at__isnull=False))))}
    routes = [("algorithm", (Case.Intake.ALGORITHM, "")), ("gp", (Case.Intake.REFERRAL, Case.ReferralSource.GP)),
              ("department", (Case.Intake.REFERRAL, Case.ReferralSource.DEPARTMENT))]
    return [IntakeRoute(name, *(counts.get(key, {}).get(k, 0) for k in ("invited", "consented", "started")))
            for name, key in routes]


def session_rows(region: str) -> list[R.Session]:
    from opspor.web.aps.models import Session

    return [R.Session(region, _nurse_name(s["case__nurse__first_name"], s["case__nurse__last_name"],
                                          s["case__nurse__username"]),
                      _day(s["planned_for"]), _day(s["held_at"]) if s["status"] == Session.Status.HELD else None,
                      s["kind"])
            for s in Session.objects.filter(case__region_code=region).exclude(status=Session.Status.CANCELLED)
            .exclude(kind=Session.Kind.INVITATION)  # calls about the invitation are no support sessions
            .values("planned_for", "held_at", "status", "kind", "case__nurse__first_name",
                    "case__nurse__last_name", "case__nurse__username")]


@dataclass
class QuestionnaireRate:
    """The questionnaires sent to citizens at home (issue 14 item 3), per questionnaire and
    nurse: how many went out, answered by the citizen, answered on paper instead, not answered
    by the deadline, still open; the response rate counts only those closed (answered or past
    the deadline), as AmbuFlex reports it."""

    questionnaire: str
    nurse: str
    sent: int = 0
    by_citizen: int = 0
    on_paper: int = 0
    not_answered: int = 0
    still_open: int = 0

    @property
    def answered(self) -> int:
        return self.by_citizen + self.on_paper

    @property
    def rate(self) -> float | None:
        closed = self.answered + self.not_answered
        return self.answered / closed if closed else None


def questionnaire_rates(region: str) -> list[QuestionnaireRate]:
    """Per questionnaire and nurse of ``region``: the invitations that went out (cancelled and
    not yet sent ones are not counted)."""
    from opspor.web.aps import instruments
    from opspor.web.aps.models import QuestionnaireRequest, QuestionnaireResponse

    states = QuestionnaireRequest.State
    rows: dict[tuple[str, str], QuestionnaireRate] = {}
    for q in (QuestionnaireRequest.objects.filter(case__region_code=region)
              .exclude(state__in=[states.CANCELLED, states.SCHEDULED])
              .values("instrument", "state", "response__source", "case__nurse__first_name", "case__nurse__last_name",
                      "case__nurse__username")):
        instrument = instruments.get(q["instrument"])
        name = instrument.name() if instrument else q["instrument"]
        nurse = _nurse_name(q["case__nurse__first_name"], q["case__nurse__last_name"], q["case__nurse__username"])
        row = rows.setdefault((name, nurse), QuestionnaireRate(name, nurse))
        row.sent += 1
        if q["state"] == states.ANSWERED:
            if q["response__source"] == QuestionnaireResponse.Source.CITIZEN:
                row.by_citizen += 1
            else:
                row.on_paper += 1
        elif q["state"] == states.EXPIRED:
            row.not_answered += 1
        else:
            row.still_open += 1
    return [rows[k] for k in sorted(rows)]


@dataclass
class Rollout:
    as_of: dt.date
    weeks: list[R.ScreeningWeek]
    package_funnel: list[tuple[str, int]]
    nurses: list[R.NurseRow]
    regions: list[R.NurseRow]
    aps_funnel: list[tuple[str, int]]
    intake: list[R.IntakeRow]
    sessions: list[R.SessionRow]
    plan: R.IntakePlan
    config: RolloutConfig
    capacity: dict[str, int]
    questionnaires: list[QuestionnaireRate]
    own_plan: bool = False  # the region's own plan set in the app (else rollout.yaml's)


def rollout(region: str, as_of: dt.date | None = None) -> Rollout:
    from opspor.web.accounts.models import User
    from opspor.web.accounts.roles import Role

    as_of = as_of or timezone.localdate()
    cfg = load_config()
    screenings = screening_rows(region)
    enrolments = enrolment_rows(region)
    nurses = R.enrolment_by_region_nurse(enrolments, as_of)
    own = own_plan(region)
    plan = own or cfg.plan_for(region)
    intake = R.intake_against_plan(enrolments, plan, as_of)
    capacity = {_nurse_name(u.first_name, u.last_name, u.username): u.capacity
                for u in User.objects.filter(role=Role.NURSE, organisation__region_code=region)}
    return Rollout(as_of, R.screening_by_department_week(screenings), R.package_funnel(screenings), nurses,
                   R.totals_by_region(nurses), R.aps_funnel(enrolments, as_of), intake,
                   R.sessions_against_plan(session_rows(region), as_of), plan, cfg, capacity,
                   questionnaire_rates(region), own_plan=own is not None)
