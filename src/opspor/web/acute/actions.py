"""Every change of a referral to the municipal acute function: the referral, the team's decision,
a place booked from the directory, a change in the citizen's condition (to the responsible
doctor), closure (to the GP) and the clarification phase's reminders. Each checks who may do it,
changes the rows, queues its messages and writes its audit entry in one transaction.

Who refers (001_5497481f8cd3c36e.txt 4395-4420): a GP (a GP practice's users and doctors) or a
hospital doctor (a department's specialists and doctors); the on-call doctor cannot send a
written referral. Who decides: the acute team (acute-team nurse) of the citizen's municipality,
which "til enhver tid har visitationsretten".
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opspor import reference
from opspor.web.accounts.roles import OrgKind, Role
from opspor.web.acute import routing
from opspor.web.acute.models import ConditionChange, Outcome, Referral, ReferrerKind
from opspor.web.audit import actions as audit
from opspor.web.directory import actions as directory
from opspor.web.directory.models import Booking, Offer, OfferKind
from opspor.web.messaging import actions as messages
from opspor.web.messaging.models import RecipientKind
from opspor.web.people.models import Person
from opspor.web.people.scope import visible_persons

REMINDER = audit.system("opspor web acute-reminders")
# clock skew allowed between the referrer's device and the server for "the call was now"
CALL_SKEW = dt.timedelta(minutes=5)


def referrer_kind(user) -> str | None:
    """``gp`` or ``hospital`` for a user who may refer; None otherwise."""
    org = getattr(user, "organisation", None)
    if org is None or not user.is_active:
        return None
    if org.kind == OrgKind.GP_PRACTICE and user.role in (Role.MUNICIPALITY, Role.DOCTOR):
        return ReferrerKind.GP
    if org.kind == OrgKind.DEPARTMENT and user.role in (Role.SPECIALIST, Role.DOCTOR):
        return ReferrerKind.HOSPITAL
    return None


def find_patient(user, cpr: str) -> Person | None:
    """The person with CPR number ``cpr`` among those the referrer treats: a GP practice's listed
    patients; a department's patients (``people.scope``). None when not found (the same answer
    whether the person exists elsewhere or not)."""
    kind = referrer_kind(user)
    if kind == ReferrerKind.GP:
        persons = Person.objects.filter(gp_provider_number=user.organisation.code)
    elif kind == ReferrerKind.HOSPITAL:
        persons = visible_persons(user)
    else:
        return None
    return persons.filter(cpr=cpr).first()


def is_team(user, referral: Referral) -> bool:
    org = getattr(user, "organisation", None)
    return (user.has_role(Role.ACUTE_NURSE) and org is not None and org.kind == OrgKind.MUNICIPALITY
            and org.code == referral.municipality_code)


def _check_team(user, referral: Referral) -> None:
    if not is_team(user, referral):
        raise PermissionDenied


def _locked(referral: Referral) -> Referral:
    return Referral.objects.select_for_update(of=("self",)).select_related("person", "referrer_org").get(pk=referral.pk)


def _need_state(referral: Referral, *states: str) -> None:
    if referral.state not in states:
        raise ValidationError(_("The referral is %(state)s; this cannot be done now.")
                              % {"state": referral.get_state_display().lower()})


def team_of(municipality_code: str) -> str:
    """The acute team's name: the municipality's acute-team offer in the directory, else
    "Akutfunktionen, <municipality>"."""
    offer = team_offer(municipality_code)
    if offer:
        return offer.name
    municipality = reference.municipality_by_code().get(municipality_code)
    return f"Akutfunktionen, {municipality.name if municipality else municipality_code}"


def team_offer(municipality_code: str) -> Offer | None:
    return (Offer.objects.filter(active=True, kind=OfferKind.ACUTE_TEAM, owner_kind="municipality",
                                 owner_code=municipality_code).order_by("name").first())


# --------------------------------------------------------------------------- the referral

@transaction.atomic
def refer(user, person: Person, *, called_at: dt.datetime, reason: str, horizon_days: int, phone: str) -> Referral:
    """The written referral after the telephone call at ``called_at`` (the web form)."""
    kind = referrer_kind(user)
    if kind is None:
        raise PermissionDenied
    if find_patient(user, person.cpr) != person:
        raise PermissionDenied
    return open_referral(user, person, kind=kind, organisation=user.organisation, referrer=user, called_at=called_at,
                         reason=reason, horizon_days=horizon_days, phone=phone)


def open_referral(actor, person: Person, *, kind: str, organisation, called_at: dt.datetime, reason: str,
                  horizon_days: int, phone: str, referrer=None, referrer_name: str = "",
                  via_message=None) -> Referral:
    """A referral by ``referrer`` (a user; or ``referrer_name``, the author of the MedCom message
    ``via_message``) of ``organisation``: the responsible doctor is routed for the call's moment;
    the team's decision is due ``deadline_hours`` after it. Audited as ``actor``. Call inside a
    transaction, after checking that the referrer may refer the person."""
    rules = routing.rules()
    clar = rules.clarification
    now = timezone.now()
    if called_at > now + CALL_SKEW:
        raise ValidationError({"called_at": _("The telephone call cannot be in the future.")})
    if called_at < now - dt.timedelta(hours=clar.call_within_hours):
        raise ValidationError({"called_at": _("The telephone call was more than %(hours)s hours ago: call the acute "
                                              "team again before you refer.") % {"hours": clar.call_within_hours}})
    if not 1 <= horizon_days <= clar.horizon_days_max:
        raise ValidationError({"horizon_days": _("Agree a time horizon of 1 to %(max)s days with the acute team.")
                                               % {"max": clar.horizon_days_max}})
    if not person.municipality_code:
        raise ValidationError(_("No municipality is known for the citizen, so no acute team can be found."))
    if Referral.objects.filter(person=person, state__in=(Referral.State.CLARIFICATION, Referral.State.ACCEPTED)).exists():
        raise ValidationError(_("The citizen already has an open referral to the acute function."))
    route = rules.responsible(kind, called_at)
    municipality = reference.municipality_by_code().get(person.municipality_code)
    referral = Referral.objects.create(
        person=person, municipality_code=person.municipality_code, team_name=team_of(person.municipality_code)[:200],
        region_code=(municipality.region_code if municipality else person.region_code),
        referrer=referrer, referrer_name=referrer_name[:200], via_message=via_message, referrer_kind=kind,
        referrer_org=organisation, referrer_phone=phone.strip()[:40],
        called_at=called_at, reason=reason.strip(), horizon_days=horizon_days,
        clarification_deadline=called_at + dt.timedelta(hours=clar.deadline_hours),
        responsible=route.responsible, responsible_rule=route.rule, rules_version=route.version,
    )
    audit.record(actor, audit.Event.ACUTE_REFER, action=audit.CHANGE, why=_("Referral to the acute function"),
                 persons=[person.person_key],
                 detail={"referral": str(referral.public_id), "team": referral.municipality_code,
                         "referrer_kind": kind, "referrer_org": organisation.code,
                         "by": "message" if via_message else "form", "called_at": called_at.isoformat(), "responsible": route.responsible,
                         "rule": route.rule, "rules_version": route.version, "holiday": route.holiday})
    return referral


@transaction.atomic
def decide(user, referral: Referral, *, accept: bool, reason: str) -> Referral:
    """The acute team accepts or declines in the clarification phase; a decline needs a reason."""
    referral = _locked(referral)
    _check_team(user, referral)
    _need_state(referral, Referral.State.CLARIFICATION)
    reason = reason.strip()
    if not accept and not reason:
        raise ValidationError({"reason": _("Give the reason for declining (e.g. admission instead).")})
    referral.state = Referral.State.ACCEPTED if accept else Referral.State.DECLINED
    referral.decided_at, referral.decided_by, referral.decision_reason = timezone.now(), user, reason
    referral.save(update_fields=["state", "decided_at", "decided_by", "decision_reason"])
    if not accept:
        messages.on_acute_declined(user, referral)
    audit.record(user, audit.Event.ACUTE_ACCEPT if accept else audit.Event.ACUTE_DECLINE, action=audit.CHANGE,
                 why=_("Referral accepted by the acute team") if accept else _("Referral declined by the acute team"),
                 persons=[referral.person.person_key],
                 detail={"referral": str(referral.public_id), "reason": reason[:200],
                         "late": referral.decided_at > referral.clarification_deadline})
    return referral


def bookable_offers(user, referral: Referral) -> list[Offer]:
    """The directory's offers the team may book for the referral (its own municipality's, and
    the region's), with a free place today."""
    offers = Offer.objects.filter(active=True, region_code=referral.region_code).exclude(kind=OfferKind.ACUTE_TEAM)
    return [o for o in offers if directory.may_book(user, o) and directory.free_places(o) > 0]


@transaction.atomic
def book_place(user, referral: Referral, offer: Offer) -> Booking:
    """Book a free place of ``offer`` for the citizen of an accepted referral (audited by the
    directory's booking)."""
    referral = _locked(referral)
    _check_team(user, referral)
    _need_state(referral, Referral.State.ACCEPTED)
    return directory.book(user, offer, person=referral.person, source=referral.source)


def bookings(referral: Referral):
    return Booking.objects.filter(source=referral.source).select_related("offer").order_by("booked_at")


def recipient_of(referral: Referral, responsible: str) -> tuple[str, str]:
    """The outbox's recipient for the responsible doctor by the routing rules."""
    if responsible == "referring_gp":
        return RecipientKind.GP_PRACTICE, referral.referrer_org.code
    if responsible == "on_call":
        return RecipientKind.ON_CALL, referral.region_code
    return RecipientKind.DEPARTMENT, referral.referrer_org.code


@transaction.atomic
def record_change(user, referral: Referral, text: str) -> ConditionChange:
    """A change in the citizen's condition (001 4540-4555): recorded and sent to the doctor
    responsible now, by the routing rules, through the outbox."""
    referral = _locked(referral)
    _check_team(user, referral)
    _need_state(referral, Referral.State.ACCEPTED)
    if not text.strip():
        raise ValidationError({"text": _("Describe the change in the citizen's condition.")})
    now = timezone.now()
    route = routing.rules().responsible(referral.referrer_kind, now)
    change = ConditionChange.objects.create(referral=referral, text=text.strip(), recorded_at=now, recorded_by=user,
                                            responsible=route.responsible, responsible_rule=route.rule,
                                            rules_version=route.version)
    kind, code = recipient_of(referral, route.responsible)
    [message] = messages.on_acute_change(user, change, recipient_kind=kind, recipient_id=code)
    change.message, change.recipient_name = message, message.recipient_name or route.title_da
    change.save(update_fields=["message", "recipient_name"])
    audit.record(user, audit.Event.ACUTE_CHANGE, action=audit.CHANGE,
                 why=_("Change in the citizen's condition sent to the responsible doctor"),
                 persons=[referral.person.person_key],
                 detail={"referral": str(referral.public_id), "change": change.pk, "responsible": route.responsible,
                         "rule": route.rule, "rules_version": route.version, "message": str(message.message_id),
                         "message_state": message.state})
    return change


@transaction.atomic
def close(user, referral: Referral, *, outcome: str, note: str) -> Referral:
    """End the stay: places booked for it are released, and the GP gets a CareCommunication
    (patient responsibility returns to the GP, 001 4600-4615)."""
    referral = _locked(referral)
    _check_team(user, referral)
    _need_state(referral, Referral.State.ACCEPTED)
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": _("Choose how the stay ends.")})
    for booking in bookings(referral).filter(released_at__isnull=True):
        directory.release(user, booking, why=_("Stay in the acute function ended"))
    referral.state, referral.closed_at, referral.closed_by = Referral.State.CLOSED, timezone.now(), user
    referral.outcome, referral.closure_note = outcome, note.strip()
    [message] = messages.on_acute_closed(user, referral)
    referral.closure_message = message
    referral.save(update_fields=["state", "closed_at", "closed_by", "outcome", "closure_note", "closure_message"])
    audit.record(user, audit.Event.ACUTE_CLOSE, action=audit.CHANGE, why=_("Stay in the acute function ended"),
                 persons=[referral.person.person_key],
                 detail={"referral": str(referral.public_id), "outcome": outcome, "message": str(message.message_id),
                         "message_state": message.state})
    return referral


@transaction.atomic
def send_reminders(now: dt.datetime | None = None) -> list[Referral]:
    """Mark the referrals in clarification whose decision is due within ``reminder_before_hours``
    (or overdue) and not yet reminded; the team's list shows them first. Audited by the system
    actor of ``opspor web acute-reminders``."""
    now = now or timezone.now()
    before = dt.timedelta(hours=routing.rules().clarification.reminder_before_hours)
    due = list(Referral.objects.select_for_update(of=("self",)).select_related("person").filter(
        state=Referral.State.CLARIFICATION, reminded_at__isnull=True, clarification_deadline__lte=now + before))
    for referral in due:
        referral.reminded_at = now
        referral.save(update_fields=["reminded_at"])
        audit.record(REMINDER, audit.Event.ACUTE_REMINDER, action=audit.CHANGE,
                     why=_("Reminder: the acute team's decision is due"), persons=[referral.person.person_key],
                     detail={"referral": str(referral.public_id), "team": referral.municipality_code,
                             "deadline": referral.clarification_deadline.isoformat()})
    return due
