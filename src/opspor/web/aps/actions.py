"""Every change of Aktiv Patientstøtte: validated here, audited here (one CHANGE entry per change,
in the same transaction). Views parse the request, call one of these, and render.

The rules (issue 4):

* **Who.** Only the case's own support nurse changes a case. The programme lead sets the
  capacity of their own region's nurses, assigns invitations and reassigns a case to another
  nurse of the region. Anyone else: ``PermissionDenied``.
* **Invitation.** The person is eligible on the newest run with eligibility, in the lead's
  region, not excluded and alive; has no open case (invited, consented or active); the nurse is
  an active support nurse of the region whose open cases are fewer than her capacity. A person
  who refused or ended earlier may be invited again (the programme page shows it).
* **Answer.** Only an invited case is answered: consent, or refusal with a reason (a note when
  the reason is "other"). Not reaching the person is no refusal: it is recorded as a call "not
  reached" and a new try is planned (``missed_call_retry_days`` working days later, at the same
  time); an answer cancels the calls still planned.
* **Referral.** The programme lead may take in a person of the region referred by a GP or a
  hospital department outside the eligibility criteria: source, referrer, date and reason are
  recorded on the case (``intake`` "referral") and audited; no trial randomisation (the trial's
  population is the criteria's).
* **Start-up.** Only a consented case; the session's time is not in the future and not before
  the invitation. The case becomes active; support starts at the session.
* **Sessions.** A start-up session can be planned for a consented case, telephone sessions for
  an active one, for today or later; a planned session is recorded once: held (time not in the
  future), not reached, or cancelled. Recording a start-up session as held is the start-up; a
  session not reached gets a new try of the same kind (as the invitation call above).
* **Goals and plan** on consented or active cases; **notes** on any case; **questionnaires**
  on consented, active or ended cases (the 12-month follow-up comes after the end).
* **End.** A consented or active case. "Support completed" needs an active case and at least
  6 months since the start; before that another reason is needed (a note with "other").
  After 9 months ending is still allowed (the day view has shown it as overdue). The case's
  planned sessions are cancelled.
* **Messages** between the citizen and the case's own nurse, on a consented or active case (and
  read on any): the citizen writes on their own page (their account linked to the case's person),
  the nurse on the case page; a comment of the citizen on the plan in force is a message naming
  it. The recipient's reading marks the other side's unread messages read (the read receipt).
* **Trial** (``trial:`` of the programme file switched on; ``opspor.web.trial``): the invitation
  randomises each person (stratum: the region) in its transaction; recording consent reveals
  the arm. A revealed control case gets usual care: no start-up, sessions, goals or plan (the
  questionnaires are recorded), takes no support place of the nurse's capacity, and may be
  ended "completed" from 6 months after consent. With the trial off nothing of this applies.

Illegal changes raise ``ValidationError`` with a message for the user (English msgid, Danish
in the catalogue).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from opspor.dates import add_months
from opspor import cpr as cprlib
from opspor import engines
from opspor.store import StoreError
from opspor.store.key import pseudonym_key
from opspor.web.accounts.models import User
from opspor.web.accounts.roles import Role
from opspor.web.aps import channels, consent, instruments, queries, rules
from opspor.web.aps.models import (
    Case,
    CaseMessage,
    CaseQuerySet,
    ConsentRecord,
    Goal,
    Note,
    Plan,
    QuestionnaireRequest,
    QuestionnaireResponse,
    Session,
)
from opspor.web.aps.triage import triage
from opspor.web.audit import actions as audit
from opspor.web.messaging import actions as messaging
from opspor.web.people import publish as people_publish
from opspor.web.people.models import Person
from opspor.web.people.scope import visible_persons
from opspor.web.trial import actions as trial_actions


log = logging.getLogger(__name__)

# --- checks -----------------------------------------------------------------------------------

def _check_lead(user) -> None:
    if not user.has_role(Role.PROGRAMME_LEAD) or not user.region_code:
        raise PermissionDenied


def _check_own_case(user, case: Case) -> None:
    if not user.has_role(Role.NURSE) or case.nurse_id != user.pk:
        raise PermissionDenied


def _check_nurse_of_region(nurse: User, region_code: str) -> None:
    if not (nurse.has_role(Role.NURSE) and nurse.region_code == region_code):
        raise ValidationError(_("Choose a support nurse of your region."))


def _require_state(case: Case, states: Sequence[str], message: str) -> None:
    if case.state not in states:
        raise ValidationError(message)


def _nurse_name(nurse: User) -> str:
    return nurse.get_full_name() or nurse.username


def _log(user, event: audit.Event, why: str, case: Case, **detail) -> None:
    audit.record(user, event, action=audit.CHANGE, why=why, persons=[case.person.person_key],
                 detail={"case": case.pk, **detail})


def _locked(case: Case) -> Case:
    """The case re-read under a row lock, so two changes of one case cannot cross."""
    return Case.objects.select_for_update().select_related("person", "nurse").get(pk=case.pk)


def _not_control(case: Case) -> None:
    """The control arm of a trial gets usual care: no sessions, goals or plan (questionnaires only)."""
    if trial_actions.is_control(case):
        raise ValidationError(_("The patient is in the trial's control group (usual care): no support sessions, "
                                "goals or plan; record the questionnaires only."))


def _not_future(when: dt.datetime, what: str) -> None:
    if when > timezone.now() + dt.timedelta(minutes=5):
        raise ValidationError(_("%(what)s cannot be in the future.") % {"what": what})


# --- programme lead ---------------------------------------------------------------------------

@transaction.atomic
def set_capacity(lead, nurse: User, capacity: int) -> User:
    """Set how many open cases ``nurse`` can have. A capacity below her open cases is allowed
    (it stops new invitations); the view warns about it."""
    _check_lead(lead)
    _check_nurse_of_region(nurse, lead.region_code)
    if not 0 <= capacity <= rules.MAX_CAPACITY:
        raise ValidationError(_("Capacity must be between 0 and %(max)s patients.") % {"max": rules.MAX_CAPACITY})
    nurse = User.objects.select_for_update().get(pk=nurse.pk)
    old = nurse.capacity
    nurse.capacity = capacity
    nurse.save(update_fields=["capacity"])
    audit.record(lead, audit.Event.APS_CAPACITY, action=audit.CHANGE, why=_("Nurse capacity set"),
                 detail={"nurse": nurse.username, "old": old, "new": capacity})
    return nurse


def _check_capacity(nurse: User, adding: int) -> None:
    """Raise unless ``nurse`` (locked by the caller) has room for ``adding`` more open cases."""
    free = nurse.capacity - queries.open_case_count(nurse)
    if adding > free:
        raise ValidationError(
            ngettext("%(nurse)s has %(free)s free place (capacity %(capacity)s) and cannot take %(n)s more. "
                     "Choose fewer persons, another nurse, or raise the capacity on the Nurses page.",
                     "%(nurse)s has %(free)s free places (capacity %(capacity)s) and cannot take %(n)s more. "
                     "Choose fewer persons, another nurse, or raise the capacity on the Nurses page.", max(free, 0))
            % {"nurse": _nurse_name(nurse), "free": max(free, 0), "capacity": nurse.capacity, "n": adding})


def _check_invitable(lead, person, run) -> None:
    entry = queries.eligibility_of(person, lead.region_code, run) if run else None
    if entry is None:
        raise ValidationError(_("Person %(key)s is not eligible in your region on the newest list run.")
                              % {"key": person.short_key})
    if entry.excluded:
        raise ValidationError(_("Person %(key)s is excluded (%(reasons)s) and cannot be invited.")
                              % {"key": person.short_key, "reasons": ", ".join(entry.exclusion_reasons)})
    if person.death_date:
        raise ValidationError(_("Person %(key)s has died and cannot be invited.") % {"key": person.short_key})
    if Case.objects.filter(person=person, state__in=Case.OPEN_STATES).exists():
        raise ValidationError(_("Person %(key)s already has an open case in the programme.") % {"key": person.short_key})


@transaction.atomic
def invite(lead, person, nurse: User, *, risk_score: float | None = None, risk_model_id: str = "") -> Case:
    """Assign one invitation to ``nurse``."""
    return invite_many(lead, [person], nurse, scores={person.person_key: risk_score} if risk_score is not None else {},
                       risk_model_id=risk_model_id)[0]


@transaction.atomic
def invite_many(lead, persons: Sequence, nurse: User, *, scores: Mapping[str, float] | None = None,
                risk_model_id: str = "") -> list[Case]:
    """Assign invitations of ``persons`` to ``nurse``: all of them or, if one cannot be invited
    or the nurse has too few free places, none (with the reason)."""
    _check_lead(lead)
    if not persons:
        raise ValidationError(_("Choose at least one person to invite."))
    _check_nurse_of_region(nurse, lead.region_code)
    nurse = User.objects.select_for_update().get(pk=nurse.pk)  # serialises invitations per nurse
    if not nurse.is_active:
        raise ValidationError(_("Choose a support nurse of your region."))
    run = queries.newest_eligibility_run()
    for person in persons:
        _check_invitable(lead, person, run)
    _check_capacity(nurse, len(persons))
    scores = scores or {}
    cases = []
    try:
        with transaction.atomic():
            for person in persons:
                cases.append(Case.objects.create(
                    person=person, region_code=lead.region_code, nurse=nurse, invited_by=lead,
                    risk_score=scores.get(person.person_key), risk_model_id=risk_model_id if person.person_key in scores else "",
                ))
    except IntegrityError:  # a parallel invitation got there first
        raise ValidationError(_("One of the persons was invited by someone else just now. Reload the page.")) from None
    trial_actions.allocate_invited(lead, cases)  # a trial: randomised now, concealed until consent
    audit.record(lead, audit.Event.APS_INVITE, action=audit.CHANGE, why=_("Invitation assigned to a nurse"),
                 persons=[p.person_key for p in persons],
                 detail={"nurse": nurse.username, "cases": [c.pk for c in cases], "risk_model": risk_model_id})
    return cases


@transaction.atomic
def reassign(lead, case: Case, nurse: User) -> Case:
    """Move an open case to another support nurse of the lead's region."""
    _check_lead(lead)
    case = _locked(case)
    if case.region_code != lead.region_code:
        raise PermissionDenied
    _require_state(case, Case.OPEN_STATES, _("Only an open case can be given to another nurse."))
    _check_nurse_of_region(nurse, lead.region_code)
    if nurse.pk == case.nurse_id:
        raise ValidationError(_("The case is already %(nurse)s's.") % {"nurse": _nurse_name(nurse)})
    nurse = User.objects.select_for_update().get(pk=nurse.pk)
    _check_capacity(nurse, 1)
    old = case.nurse
    case.nurse = nurse
    case.save(update_fields=["nurse"])
    _log(lead, audit.Event.APS_REASSIGN, _("Case given to another nurse"), case, old=old.username, new=nurse.username)
    return case


def find_referred_person(lead, cpr: str) -> Person | None:
    """The person with CPR number ``cpr`` living in the lead's region: from the web database,
    else from the current snapshot (a person referred outside the criteria is on no list, so
    not published yet), written into the web database. None when the newest data has no such
    person in the region (the same answer whether the person lives elsewhere or not at all)."""
    _check_lead(lead)
    person = Person.objects.filter(cpr=cpr).first()
    if person is None:
        key = cprlib.pseudonym(cpr, pseudonym_key())
        try:
            with engines.connect() as con:
                rows = people_publish.read(con, [key])
                snapshot_id = con.snapshot_id or ""
        except (StoreError, engines.EngineError):
            log.warning("the current snapshot could not be read for a referral", exc_info=True)
            raise ValidationError(_("The newest data cannot be read, so a person who is on no list cannot be found. "
                                    "Ask the administrator to load the data.")) from None
        if not rows:
            return None
        person = people_publish.upsert(rows, snapshot_id)[key]
    return person if person.region_code == lead.region_code else None


@transaction.atomic
def invite_referred(lead, person, nurse: User, *, source: str, referrer: str, referred_on: dt.date,
                    reason: str) -> Case:
    """Take a person referred by a GP or a hospital department into the programme, outside the
    eligibility criteria: an invitation to ``nurse`` with the referral recorded."""
    _check_lead(lead)
    if person.region_code != lead.region_code:
        raise PermissionDenied
    if source not in Case.ReferralSource.values:
        raise ValidationError(_("Choose who referred the person."))
    if not referrer.strip() or not reason.strip():
        raise ValidationError(_("Name the referrer and give the reason for the referral."))
    if referred_on > timezone.localdate():
        raise ValidationError(_("%(what)s cannot be in the future.") % {"what": _("The date of the referral")})
    _check_nurse_of_region(nurse, lead.region_code)
    nurse = User.objects.select_for_update().get(pk=nurse.pk)
    if not nurse.is_active:
        raise ValidationError(_("Choose a support nurse of your region."))
    if person.death_date:
        raise ValidationError(_("Person %(key)s has died and cannot be invited.") % {"key": person.short_key})
    if Case.objects.filter(person=person, state__in=Case.OPEN_STATES).exists():
        raise ValidationError(_("Person %(key)s already has an open case in the programme.") % {"key": person.short_key})
    _check_capacity(nurse, 1)
    try:
        with transaction.atomic():
            case = Case.objects.create(
                person=person, region_code=lead.region_code, nurse=nurse, invited_by=lead,
                intake=Case.Intake.REFERRAL, referral_source=source, referrer=referrer.strip(),
                referred_on=referred_on, referral_reason=reason.strip())
    except IntegrityError:  # a parallel invitation got there first
        raise ValidationError(_("One of the persons was invited by someone else just now. Reload the page.")) from None
    _log(lead, audit.Event.APS_REFERRAL, _("Referred person taken into the programme"), case,
         nurse=nurse.username, source=source, referred_on=referred_on.isoformat())
    return case


# --- the nurse's case -------------------------------------------------------------------------

@transaction.atomic
def record_consent(nurse, case: Case) -> Case:
    """The nurse records the consent the citizen gave her (on the phone or in person), to the
    consent text in force."""
    _check_own_case(nurse, case)
    return _consent(nurse, _locked(case), ConsentRecord.How.NURSE)


def _consent_record(user, case: Case, kind: str, how: str, texts: consent.ConsentTexts | None = None) -> ConsentRecord:
    texts = texts or consent.texts()
    return ConsentRecord.objects.create(case=case, kind=kind, how=how, text_version=texts.version,
                                        text_digest=texts.digest, text=texts.as_text("da"), recorded_by=user)


def _consent(user, case: Case, how: str) -> Case:
    """``case`` (locked) consented: its state, the record, the audit entry, the trial's reveal,
    and the GP and municipality told (by the case's nurse, the sender of the programme's
    messages, also when the citizen said yes on their page)."""
    _require_state(case, [Case.State.INVITED], _("Only an invitation without an answer can be answered."))
    case.state, case.answered_at = Case.State.CONSENTED, timezone.now()
    case.save(update_fields=["state", "answered_at"])
    _cancel_planned(case, Session.Kind.INVITATION)
    record = _consent_record(user, case, ConsentRecord.Kind.GIVEN, how)
    _log(user, audit.Event.APS_CONSENT, _("Consent to Aktiv Patientstøtte"), case, how=how,
         text_version=record.text_version, record=str(record.public_id))
    trial_actions.reveal_on_consent(user, case)  # a trial: the arm is shown from now on
    messaging.on_aps_consent(case.nurse, case)  # GP and municipality told (transactional outbox)
    return case


@transaction.atomic
def citizen_consent(citizen, case: Case, text_version: str) -> Case:
    """The citizen says yes on their own page to the consent text of ``text_version`` (the one
    they read: a text changed since is refused, to be read again)."""
    _citizen_of(citizen, case)
    if text_version != consent.texts().version:
        raise ValidationError(_("The consent text has changed since you opened the page. Read it again."))
    return _consent(citizen, _locked(case), ConsentRecord.How.CITIZEN)


@transaction.atomic
def citizen_withdraw(citizen, case: Case) -> Case:
    """The citizen withdraws their consent on their own page: support ends (reason: the patient
    withdrew), as when the nurse ends it so."""
    _citizen_of(citizen, case)
    return _end(citizen, _locked(case), Case.EndReason.WITHDREW, "", ConsentRecord.How.CITIZEN)


@transaction.atomic
def record_refusal(nurse, case: Case, reason: str, note: str = "") -> Case:
    _check_own_case(nurse, case)
    case = _locked(case)
    _require_state(case, [Case.State.INVITED], _("Only an invitation without an answer can be answered."))
    if reason == Case.RefusalReason.NO_CONTACT:
        raise ValidationError(_("Not reaching the person is no refusal: record \"Not reached\", and a new try is "
                                "planned."))
    if reason not in Case.RefusalReason.values:
        raise ValidationError(_("Choose the reason for the refusal."))
    if reason == Case.RefusalReason.OTHER and not note.strip():
        raise ValidationError(_("Describe the reason in the note when the reason is \"other\"."))
    case.state, case.answered_at = Case.State.REFUSED, timezone.now()
    case.refusal_reason, case.refusal_note = reason, note.strip()
    case.save(update_fields=["state", "answered_at", "refusal_reason", "refusal_note"])
    _cancel_planned(case, Session.Kind.INVITATION)
    _log(nurse, audit.Event.APS_REFUSAL, _("Refusal of Aktiv Patientstøtte"), case, reason=reason)
    return case


def _hold_startup(nurse, case: Case, held_at: dt.datetime, note: str) -> Session:
    _not_control(case)
    _require_state(case, [Case.State.CONSENTED],
                   _("The start-up session can only be held when the patient has consented and support has not started."))
    _not_future(held_at, _("The time of the start-up session"))
    if held_at < case.invited_at - dt.timedelta(days=1):
        raise ValidationError(_("The start-up session cannot be before the invitation."))
    session = case.sessions.filter(kind=Session.Kind.STARTUP, status=Session.Status.PLANNED).order_by("planned_for").first()
    if session is None:
        session = Session(case=case, kind=Session.Kind.STARTUP, planned_for=held_at)
    session.status, session.held_at, session.note = Session.Status.HELD, held_at, note.strip()
    session.recorded_at = timezone.now()
    session.save()
    case.state, case.started_at = Case.State.ACTIVE, held_at
    case.save(update_fields=["state", "started_at"])
    _log(nurse, audit.Event.APS_STARTUP, _("Start-up session held; support started"), case, session=session.pk)
    return session


def _cancel_planned(case: Case, kind: str) -> None:
    """The case's planned sessions of ``kind`` cancelled (an answer ends the calls about the invitation)."""
    case.sessions.filter(kind=kind, status=Session.Status.PLANNED).update(
        status=Session.Status.CANCELLED, recorded_at=timezone.now())


def _plan_retry(missed: Session) -> Session | None:
    """The new try after ``missed`` (not reached): the same kind, ``rules.retry_on`` from today at
    the missed call's time of day; None when the programme file sets no retry."""
    planned = timezone.localtime(missed.planned_for)
    base = timezone.localtime().replace(hour=planned.hour, minute=planned.minute, second=0, microsecond=0)
    when = rules.retry_on(base)
    if when is None:
        return None
    return Session.objects.create(case=missed.case, kind=missed.kind, planned_for=when, retry_of=missed)


@transaction.atomic
def record_not_reached(nurse, case: Case, note: str = "") -> Session:
    """The call about the invitation did not reach the person: recorded (the planned call, or one
    made now) and a new try planned. The invitation stays open; it is no refusal."""
    _check_own_case(nurse, case)
    case = _locked(case)
    _require_state(case, [Case.State.INVITED], _("Only an invitation without an answer can be answered."))
    now = timezone.now()
    call = (case.sessions.select_for_update().filter(kind=Session.Kind.INVITATION, status=Session.Status.PLANNED)
            .order_by("planned_for").first()) or Session(case=case, kind=Session.Kind.INVITATION, planned_for=now)
    call.status, call.recorded_at, call.note = Session.Status.MISSED, now, note.strip()
    call.save()
    retry = _plan_retry(call)
    _log(nurse, audit.Event.APS_NOT_REACHED, _("Not reached; a new try is planned"), case, session=call.pk,
         retry=retry.pk if retry else None)
    return call


@transaction.atomic
def hold_startup(nurse, case: Case, held_at: dt.datetime, note: str = "") -> Session:
    """Record the physical start-up session: the case becomes active and support starts."""
    _check_own_case(nurse, case)
    return _hold_startup(nurse, _locked(case), held_at, note)


@transaction.atomic
def plan_session(nurse, case: Case, kind: str, planned_for: dt.datetime) -> Session:
    _check_own_case(nurse, case)
    case = _locked(case)
    _not_control(case)
    if kind == Session.Kind.STARTUP:
        _require_state(case, [Case.State.CONSENTED],
                       _("A start-up session can be planned when the patient has consented, before support starts."))
    elif kind == Session.Kind.PHONE:
        _require_state(case, [Case.State.ACTIVE],
                       _("Telephone sessions can be planned once the start-up session has been held."))
    elif kind == Session.Kind.INVITATION:
        _require_state(case, [Case.State.INVITED], _("The call about the invitation is planned before the answer."))
    else:
        raise ValidationError(_("Choose the kind of session."))
    if timezone.localdate(planned_for) < timezone.localdate():
        raise ValidationError(_("A session cannot be planned in the past. Plan it for today and record it."))
    session = Session.objects.create(case=case, kind=kind, planned_for=planned_for)
    _log(nurse, audit.Event.APS_SESSION_PLAN, _("Session planned"), case, session=session.pk, kind=kind)
    return session


@transaction.atomic
def record_session(nurse, session: Session, status: str, note: str = "", held_at: dt.datetime | None = None) -> Session:
    """Record how a planned session went: held, not reached (missed) or cancelled."""
    case = session.case
    _check_own_case(nurse, case)
    case = _locked(case)
    session = Session.objects.select_for_update().get(pk=session.pk, case=case)
    if session.status != Session.Status.PLANNED:
        raise ValidationError(_("This session has already been recorded."))
    if status not in (Session.Status.HELD, Session.Status.MISSED, Session.Status.CANCELLED):
        raise ValidationError(_("Choose whether the session was held, the patient was not reached, or it was cancelled."))
    if session.kind == Session.Kind.STARTUP and status == Session.Status.HELD:
        return _hold_startup(nurse, case, held_at or timezone.now(), note)
    _require_state(case, Case.OPEN_STATES, _("The case is closed; its sessions can no longer be recorded."))
    if status == Session.Status.HELD:
        held_at = held_at or timezone.now()
        _not_future(held_at, _("The time of the session"))
        session.held_at = held_at
    session.status, session.note, session.recorded_at = status, note.strip(), timezone.now()
    session.save()
    retry = _plan_retry(session) if status == Session.Status.MISSED else None
    _log(nurse, audit.Event.APS_SESSION_RECORD, _("Session recorded"), case, session=session.pk, status=status,
         retry=retry.pk if retry else None)
    return session


_GOAL_STATES = (Case.State.CONSENTED, Case.State.ACTIVE)


@transaction.atomic
def add_goal(nurse, case: Case, text: str) -> Goal:
    _check_own_case(nurse, case)
    case = _locked(case)
    _require_state(case, _GOAL_STATES, _("Goals can be set while the patient is in the programme."))
    _not_control(case)
    if not text.strip():
        raise ValidationError(_("Write the goal."))
    goal = Goal.objects.create(case=case, text=text.strip())
    _log(nurse, audit.Event.APS_GOAL_ADD, _("Goal set"), case, goal=goal.pk)
    return goal


@transaction.atomic
def update_goal(nurse, goal: Goal, *, status: str | None = None, text: str | None = None) -> Goal:
    case = goal.case
    _check_own_case(nurse, case)
    case = _locked(case)
    _require_state(case, _GOAL_STATES, _("Goals can be changed while the patient is in the programme."))
    _not_control(case)
    goal = Goal.objects.select_for_update().get(pk=goal.pk, case=case)
    if status is not None:
        if status not in Goal.Status.values:
            raise ValidationError(_("Choose the goal's status."))
        goal.status = status
    if text is not None:
        if not text.strip():
            raise ValidationError(_("Write the goal."))
        goal.text = text.strip()
    goal.save()
    _log(nurse, audit.Event.APS_GOAL_UPDATE, _("Goal updated"), case, goal=goal.pk, status=goal.status)
    return goal


@transaction.atomic
def save_plan(nurse, case: Case, text: str) -> Plan:
    """Save a new version of the self-management plan (earlier versions stay as history)."""
    _check_own_case(nurse, case)
    case = _locked(case)
    _require_state(case, _GOAL_STATES, _("The plan can be written while the patient is in the programme."))
    _not_control(case)
    text = text.strip()
    if not text:
        raise ValidationError(_("Write the plan."))
    current = case.plans.order_by("-written_at", "-id").first()
    if current and current.text == text:
        raise ValidationError(_("The plan is unchanged; nothing was saved."))
    plan = Plan.objects.create(case=case, text=text, written_by=nurse)
    _log(nurse, audit.Event.APS_PLAN, _("Self-management plan saved"), case, plan=plan.pk)
    return plan


@transaction.atomic
def add_note(nurse, case: Case, text: str) -> Note:
    _check_own_case(nurse, case)
    case = _locked(case)
    if not text.strip():
        raise ValidationError(_("Write the note."))
    note = Note.objects.create(case=case, text=text.strip(), written_by=nurse)
    _log(nurse, audit.Event.APS_NOTE, _("Note written"), case, note=note.pk)
    return note


@transaction.atomic
def record_questionnaire(nurse, case: Case, instrument_id: str, timepoint: str, answers: Mapping[str, object],
                         taken_on: dt.date | None = None) -> QuestionnaireResponse:
    """Record answers to a configured instrument; the engine computes the score and band."""
    _check_own_case(nurse, case)
    case = _locked(case)
    _require_state(case, CaseQuerySet.INCLUDED, _("Questionnaires are recorded for patients who have consented."))
    instrument = instruments.get(instrument_id)
    if instrument is None:
        raise ValidationError(_("Unknown questionnaire."))
    if timepoint not in QuestionnaireResponse.Timepoint.values:
        raise ValidationError(_("Choose the time point."))
    taken_on = taken_on or timezone.localdate()
    if taken_on > timezone.localdate():
        raise ValidationError(_("%(what)s cannot be in the future.") % {"what": _("The date of the questionnaire")})
    result = _scored(instrument, answers)
    response = _store_response(case, instrument, result, timepoint, taken_on, nurse, QuestionnaireResponse.Source.PAPER)
    # an invitation of the same questionnaire and time point still open is answered on paper
    request = (QuestionnaireRequest.objects.select_for_update(of=("self",))
               .filter(case=case, instrument=instrument.id, timepoint=timepoint,
                       state__in=QuestionnaireRequest.OPEN_STATES).first())
    if request is not None:
        request.state, request.response = QuestionnaireRequest.State.ANSWERED, response
        request.save(update_fields=["state", "response"])
    _log(nurse, audit.Event.APS_QUESTIONNAIRE, _("Questionnaire recorded"), case, response=response.pk,
         instrument=instrument.id, version=instrument.version, score=result.score, missing=list(result.missing),
         source=response.source, triage=response.triage, rule=response.triage_rule,
         request=str(request.public_id) if request else None)
    return response


def _scored(instrument, answers: Mapping[str, object]):
    """The instrument's score of ``answers``; refused when an answer is off the scale or none is given."""
    try:
        result = instrument.score(answers)
    except instruments.AnswerError:
        raise ValidationError(_("An answer is not one of the questionnaire's answers.")) from None
    if not result.answers:
        raise ValidationError(_("Answer at least one question."))
    return result


def _store_response(case: Case, instrument, result, timepoint: str, taken_on: dt.date, user,
                    source: str) -> QuestionnaireResponse:
    """The response row with its score, band and triage (``config/triage.yaml``)."""
    rules_in_force = triage()
    outcome = rules_in_force.of(instrument.id, result.score)
    return QuestionnaireResponse.objects.create(
        case=case, instrument=instrument.id, instrument_version=instrument.version, timepoint=timepoint,
        answers=dict(result.answers), score=result.score, band=result.band.id if result.band else "",
        taken_on=taken_on, recorded_by=user, source=source, triage=outcome.level,
        triage_rule=outcome.rule.id if outcome.rule else "", triage_version=rules_in_force.version,
    )


# --- questionnaires answered at home -----------------------------------------------------------

QUESTIONNAIRE_ROUND = audit.system("opspor web questionnaire-reminders")
SCHEDULE_STATES = ("consented", "active")


def questionnaire_schedule() -> rules.Questionnaires:
    """The programme's questionnaires (``questionnaires:`` of the programme file), or refused."""
    configured = rules.QUESTIONNAIRES
    if configured is None:
        raise ValidationError(_("The programme sends no questionnaires: its programme file has no questionnaires "
                                "section."))
    return configured


@transaction.atomic
def schedule_questionnaires(nurse, case: Case, *, channel: str, address: str, first_day: dt.date,
                            timepoints: Sequence[str]) -> list[QuestionnaireRequest]:
    """The programme's questionnaire at ``timepoints`` (months after ``first_day``), each sent to
    the citizen on its day by ``channel`` to ``address``, open for the configured days."""
    _check_own_case(nurse, case)
    case = _locked(case)
    _require_state(case, SCHEDULE_STATES, _("Questionnaires can be sent while the patient is in the programme."))
    schedule = questionnaire_schedule()
    instrument = instruments.get(schedule.instrument)
    if instrument is None:
        raise ValidationError(_("Unknown questionnaire."))
    months = dict(schedule.timepoints)
    chosen = [t for t in months if t in set(timepoints)]
    if not chosen or len(chosen) != len(set(timepoints)):
        raise ValidationError(_("Choose at least one of the time points offered."))
    if first_day < timezone.localdate():
        raise ValidationError(_("The first questionnaire cannot be sent in the past. Choose today or later."))
    address = channels.clean_address(channel, address)
    taken = set(case.questionnaire_requests.filter(instrument=instrument.id, state__in=QuestionnaireRequest.OPEN_STATES)
                .values_list("timepoint", flat=True))
    if taken & set(chosen):
        raise ValidationError(_("%(points)s is already scheduled and not answered yet.")
                              % {"points": ", ".join(str(QuestionnaireResponse.Timepoint(t).label)
                                                     for t in chosen if t in taken)})
    made = []
    for timepoint in chosen:
        send_on = add_months(first_day, months[timepoint])
        made.append(QuestionnaireRequest.objects.create(
            case=case, instrument=instrument.id, timepoint=timepoint, send_on=send_on,
            deadline=send_on + dt.timedelta(days=schedule.answer_days), channel=channel, address=address,
            scheduled_by=nurse))
    _log(nurse, audit.Event.QUESTIONNAIRE_SCHEDULE, _("Questionnaires scheduled for the citizen"), case,
         instrument=instrument.id, channel=channel, requests=[str(r.public_id) for r in made],
         send_on=[r.send_on.isoformat() for r in made])
    return made


def _citizen_of(user, case: Case) -> None:
    if not (user.has_role(Role.CITIZEN) and visible_persons(user).filter(pk=case.person_id).exists()):
        raise PermissionDenied


def answerable(request: QuestionnaireRequest, today: dt.date | None = None) -> bool:
    """Whether the citizen can answer now: invited, not answered, the deadline not passed."""
    return request.state == QuestionnaireRequest.State.SENT and (today or timezone.localdate()) <= request.deadline


@transaction.atomic
def answer_questionnaire(citizen, request: QuestionnaireRequest, answers: Mapping[str, object]) -> QuestionnaireResponse:
    """The citizen's own answers, from their page: stored, scored and triaged; the invitation
    is answered."""
    _citizen_of(citizen, request.case)
    request = QuestionnaireRequest.objects.select_for_update(of=("self",)).select_related("case__person").get(pk=request.pk)
    case = request.case
    if not answerable(request):
        raise ValidationError(_("This questionnaire can no longer be answered."))
    instrument = instruments.get(request.instrument)
    if instrument is None:
        raise ValidationError(_("Unknown questionnaire."))
    result = _scored(instrument, answers)
    response = _store_response(case, instrument, result, request.timepoint, timezone.localdate(), citizen,
                               QuestionnaireResponse.Source.CITIZEN)
    request.state, request.response = QuestionnaireRequest.State.ANSWERED, response
    request.save(update_fields=["state", "response"])
    audit.record(citizen, audit.Event.QUESTIONNAIRE_ANSWER, action=audit.CHANGE,
                 why=_("Questionnaire answered by the citizen"), persons=[case.person.person_key],
                 detail={"case": case.pk, "request": str(request.public_id), "response": response.pk,
                         "instrument": instrument.id, "version": instrument.version, "score": result.score,
                         "triage": response.triage, "rule": response.triage_rule})
    return response


@transaction.atomic
def review_response(nurse, response: QuestionnaireResponse) -> QuestionnaireResponse:
    """The nurse has seen a red or yellow answer: it leaves her day view."""
    _check_own_case(nurse, response.case)
    response = QuestionnaireResponse.objects.select_for_update(of=("self",)).select_related("case__person").get(pk=response.pk)
    if response.reviewed_at is not None:
        raise ValidationError(_("This answer has already been marked as seen."))
    response.reviewed_at, response.reviewed_by = timezone.now(), nurse
    response.save(update_fields=["reviewed_at", "reviewed_by"])
    _log(nurse, audit.Event.QUESTIONNAIRE_REVIEW, _("Questionnaire answer seen by the nurse"), response.case,
         response=response.pk, triage=response.triage)
    return response


@transaction.atomic
def review_unanswered(nurse, request: QuestionnaireRequest) -> QuestionnaireRequest:
    """The nurse has seen that a questionnaire was not answered by its deadline (she may call,
    or type in a paper answer): it leaves her day view."""
    _check_own_case(nurse, request.case)
    request = (QuestionnaireRequest.objects.select_for_update(of=("self",)).select_related("case__person")
               .get(pk=request.pk))
    if request.state != QuestionnaireRequest.State.EXPIRED or request.reviewed_at is not None:
        raise ValidationError(_("Only a questionnaire not answered by its deadline, and not seen yet, can be marked "
                                "as seen."))
    request.reviewed_at = timezone.now()
    request.save(update_fields=["reviewed_at"])
    _log(nurse, audit.Event.QUESTIONNAIRE_REVIEW, _("Questionnaire answer seen by the nurse"), request.case,
         request=str(request.public_id), state=request.state)
    return request


@dataclass
class Round:
    """What one round of ``opspor web questionnaire-reminders`` did."""

    invited: list[QuestionnaireRequest] = field(default_factory=list)
    reminded: list[QuestionnaireRequest] = field(default_factory=list)
    expired: list[QuestionnaireRequest] = field(default_factory=list)
    cancelled: list[QuestionnaireRequest] = field(default_factory=list)
    failed: list[tuple[QuestionnaireRequest, str]] = field(default_factory=list)


def _due_reminder(request: QuestionnaireRequest, schedule: rules.Questionnaires, today: dt.date) -> bool:
    if request.reminders >= len(schedule.reminder_days) or request.sent_at is None:
        return False
    return today >= timezone.localdate(request.sent_at) + dt.timedelta(days=schedule.reminder_days[request.reminders])


def _invitation(request: QuestionnaireRequest, reminder: bool) -> channels.Invitation:
    instrument = instruments.get(request.instrument)
    return channels.Invitation(request.channel, request.address, channels.link(request.public_id),
                               instrument.name() if instrument else request.instrument,
                               request.deadline.strftime("%d-%m-%Y"), reminder)


def _system_log(event: audit.Event, why: str, request: QuestionnaireRequest, **detail) -> None:
    audit.record(QUESTIONNAIRE_ROUND, event, action=audit.CHANGE, why=why, persons=[request.case.person.person_key],
                 detail={"case": request.case_id, "request": str(request.public_id), **detail})


def _one(pk: int, today: dt.date, schedule: rules.Questionnaires, done: Round) -> None:
    """One open request: cancelled, expired, invited or reminded as due, in its own transaction
    under a row lock (two rounds at once send nothing twice)."""
    with transaction.atomic():
        request = (QuestionnaireRequest.objects.select_for_update(of=("self",)).select_related("case__person")
                   .get(pk=pk))
        states = QuestionnaireRequest.State
        if request.state not in QuestionnaireRequest.OPEN_STATES:
            return
        if request.case.state not in SCHEDULE_STATES:
            request.state = states.CANCELLED
            request.save(update_fields=["state"])
            _system_log(audit.Event.QUESTIONNAIRE_CANCEL, _("Questionnaire cancelled: the course has ended"), request,
                        case_state=request.case.state)
            done.cancelled.append(request)
            return
        if today > request.deadline:
            request.state = states.EXPIRED
            request.save(update_fields=["state"])
            _system_log(audit.Event.QUESTIONNAIRE_EXPIRE, _("Questionnaire not answered by the deadline"), request,
                        deadline=request.deadline.isoformat(), reminders=request.reminders)
            done.expired.append(request)
            return
        reminder = request.state == states.SENT
        if (not reminder and request.send_on > today) or (reminder and not _due_reminder(request, schedule, today)):
            return
        try:
            via = channels.deliver(_invitation(request, reminder))
        except channels.DeliveryError as e:
            request.last_error = str(e)[:500]
            request.save(update_fields=["last_error"])
            _system_log(audit.Event.QUESTIONNAIRE_UNDELIVERED, _("Questionnaire invitation not delivered"), request,
                        channel=request.channel, error=request.last_error, reminder=reminder)
            done.failed.append((request, request.last_error))
            return
        now = timezone.now()
        request.last_error = ""
        if reminder:
            request.reminders, request.reminded_at = request.reminders + 1, now
            request.save(update_fields=["reminders", "reminded_at", "last_error"])
            _system_log(audit.Event.QUESTIONNAIRE_REMIND, _("Questionnaire reminder sent"), request,
                        channel=request.channel, via=via, reminder=request.reminders)
            done.reminded.append(request)
        else:
            request.state, request.sent_at = states.SENT, now
            request.save(update_fields=["state", "sent_at", "last_error"])
            _system_log(audit.Event.QUESTIONNAIRE_INVITE, _("Questionnaire invitation sent"), request,
                        channel=request.channel, via=via, deadline=request.deadline.isoformat())
            done.invited.append(request)


def questionnaire_round(today: dt.date | None = None) -> Round:
    """Send the invitations due, the reminders due, and close what passed its deadline or whose
    course ended (``opspor web questionnaire-reminders``). The texts go out in the site's
    language (Danish). A delivery that fails is recorded and tried again at the next round;
    one killed between sending and saving sends that one again (at least once)."""
    from django.conf import settings
    from django.utils import translation

    today = today or timezone.localdate()
    schedule = rules.QUESTIONNAIRES
    done = Round()
    if schedule is None:
        return done
    pks = list(QuestionnaireRequest.objects.filter(state__in=QuestionnaireRequest.OPEN_STATES, send_on__lte=today)
               .order_by("send_on", "id").values_list("pk", flat=True))
    with translation.override(settings.LANGUAGE_CODE):
        for pk in pks:
            _one(pk, today, schedule, done)
    return done


def check_end_support(nurse, case: Case, reason: str, note: str = "") -> None:
    """Raise what :func:`end_support` would refuse, changing nothing (the page asks for
    confirmation only of an end that can be recorded)."""
    _check_own_case(nurse, case)
    _end_problems(case, reason, note)


def _end_problems(case: Case, reason: str, note: str) -> None:
    _require_state(case, (Case.State.CONSENTED, Case.State.ACTIVE), _("Only a case in the programme can be ended."))
    if reason not in Case.EndReason.values:
        raise ValidationError(_("Choose the reason for ending support."))
    if reason == Case.EndReason.OTHER and not note.strip():
        raise ValidationError(_("Describe the reason in the note when the reason is \"other\"."))
    today = timezone.localdate()
    if reason == Case.EndReason.COMPLETED and trial_actions.is_control(case):
        # the control arm's follow-up runs in parallel with support: from consent, not a start-up
        due = rules.end_due_on(timezone.localdate(case.answered_at))
        if today < due:
            raise ValidationError(_("The control group's follow-up runs 6 months from consent; \"completed\" can be "
                                    "recorded from %(date)s.") % {"date": due.strftime("%d-%m-%Y")})
    elif reason == Case.EndReason.COMPLETED:
        if case.state != Case.State.ACTIVE:
            raise ValidationError(_("Support cannot be completed before the start-up session. Choose another reason."))
        if today < case.end_due_on:
            raise ValidationError(
                _("Support runs 6-9 months; \"support completed\" can be recorded from %(date)s. "
                  "To end earlier, choose the reason that applies (e.g. the patient withdrew).")
                % {"date": case.end_due_on.strftime("%d-%m-%Y")})


@transaction.atomic
def end_support(nurse, case: Case, reason: str, note: str = "") -> Case:
    """End support (see the module's rules on 6 and 9 months); "the patient withdrew" is also a
    withdrawal of consent, recorded as such."""
    _check_own_case(nurse, case)
    return _end(nurse, _locked(case), reason, note, ConsentRecord.How.NURSE)


def _end(user, case: Case, reason: str, note: str, how: str) -> Case:
    _end_problems(case, reason, note)
    today = timezone.localdate()
    months = None
    if case.started_at:
        start = case.start_date
        months = (today.year - start.year) * 12 + today.month - start.month - (today.day < start.day)
    cancelled = list(case.sessions.filter(status=Session.Status.PLANNED).values_list("pk", flat=True))
    Session.objects.filter(pk__in=cancelled).update(status=Session.Status.CANCELLED, recorded_at=timezone.now())
    case.state, case.ended_at = Case.State.ENDED, timezone.now()
    case.end_reason, case.end_note = reason, note.strip()
    case.save(update_fields=["state", "ended_at", "end_reason", "end_note"])
    detail = {}
    if reason == Case.EndReason.WITHDREW:
        record = _consent_record(user, case, ConsentRecord.Kind.WITHDRAWN, how)
        detail = {"how": how, "text_version": record.text_version, "record": str(record.public_id)}
    _log(user, audit.Event.APS_END, _("Support ended"), case, reason=reason, months=months,
         cancelled_sessions=cancelled, **detail)
    messaging.on_aps_end(case.nurse, case)  # GP and municipality told (transactional outbox)
    return case


# --- messages between the citizen and the nurse ------------------------------------------------

MESSAGE_STATES = ("consented", "active")


def _side(user, case: Case) -> bool:
    """True when ``user`` writes as the citizen of ``case``, False as its nurse; else refused."""
    if user.has_role(Role.CITIZEN) and visible_persons(user).filter(pk=case.person_id).exists():
        return True
    _check_own_case(user, case)
    return False


@transaction.atomic
def send_message(user, case: Case, text: str, plan: Plan | None = None) -> CaseMessage:
    from_citizen = _side(user, case)
    _require_state(case, MESSAGE_STATES, _("Messages can be written while the support is under way."))
    text = text.strip()
    if not text:
        raise ValidationError(_("Write a message."))
    if plan is not None and (not from_citizen or plan.case_id != case.pk):
        raise PermissionDenied
    message = CaseMessage.objects.create(case=case, from_citizen=from_citizen, sender=user, text=text, plan=plan)
    audit.record(user, audit.Event.CITIZEN_COMMENT if plan else audit.Event.CITIZEN_MESSAGE, action=audit.CHANGE,
                 why=_("Citizen's comment on the plan") if plan else _("Message between citizen and nurse"),
                 persons=[case.person.person_key],
                 detail={"case": case.pk, "message": message.pk, "from_citizen": from_citizen})
    return message


@transaction.atomic
def mark_read(user, case: Case) -> int:
    """The other side's unread messages of ``case`` marked read by ``user``; how many."""
    from_citizen = _side(user, case)
    unread = list(case.messages.filter(from_citizen=not from_citizen, read_at__isnull=True).values_list("pk", flat=True))
    if not unread:
        return 0
    CaseMessage.objects.filter(pk__in=unread).update(read_at=timezone.now())
    audit.record(user, audit.Event.CITIZEN_MESSAGE_READ, action=audit.CHANGE, why=_("Message read"),
                 persons=[case.person.person_key], detail={"case": case.pk, "messages": unread})
    return len(unread)
