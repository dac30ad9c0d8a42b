"""Queueing messages to GPs and municipalities, patients' objections, and the retry of failed
messages: every change of the outbox except delivery (``delivery.py``) goes through here, and
writes its audit entry in the same transaction.

The rules:

* **When.** A patient consents to Aktiv Patientstøtte (``aps_included``) or support ends
  (``aps_ended``): the patient's GP and municipality. An MDT conference is concluded with a
  recommendation of action by the GP or the municipality (``mdt_action``): that recipient. A
  data alert (``queue_data_alert``): the municipality or GP practice named.
* **Where to.** The GP practice by the person's provider number (*ydernummer*), the
  municipality by its code, both looked up in the address book (SOR code, EAN number).
* **Whether.** The policy (``config/policy.yaml``) names per event and recipient the purpose,
  the legal basis, whether consent to the programme is needed, and whether the patient may
  object. A message that may not go (no consent, an objection in force, no GP or municipality
  known, no address) is still recorded, as *blocked* with the reason, and audited, but never
  sent. Recording an objection also blocks the queued messages to that recipient.
* **Once.** Each cause has a key (event, source, recipient): queueing it again returns the
  message already there.

The functions are called inside the causing action's transaction (``aps.actions``,
``worklists.actions``, ``web.alerts.actions``), so the message exists if and only if the
action happened.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from opspor.fhir import medcom, medcom_inbound, profiles
from opspor.web.accounts.roles import Role
from opspor.web.audit import actions as audit
from opspor.web.messaging import policy as policies
from opspor.web.messaging.models import (
    BlockReason,
    InboundMessage,
    Objection,
    OutboundMessage,
    RecipientKind,
)

PROFILE_CARE = "medcom-carecommunication"
PROFILE_ALERT = "opspor-data-alert"


ALERTS = audit.system("opspor alerts run")  # data alerts are queued by that command (--publish)


# --------------------------------------------------------------------------- helpers

def _existing(key: str) -> OutboundMessage | None:
    return OutboundMessage.objects.filter(dedupe_key=key).first()


def _audit_queued(actor, message: OutboundMessage) -> None:
    blocked = message.state == OutboundMessage.State.BLOCKED
    audit.record(actor, audit.Event.MESSAGE_BLOCKED if blocked else audit.Event.MESSAGE_QUEUE, action=audit.CHANGE,
                 why=message.purpose, persons=[message.person.person_key] if message.person else [],
                 detail={"message": str(message.message_id), "event": message.event,
                         "recipient": f"{message.recipient_kind}:{message.recipient_id}",
                         "state": message.state, "reason": message.block_reason,
                         "legal_basis": message.legal_basis, "policy": message.policy_version})


def _save(message: OutboundMessage) -> OutboundMessage:
    """Insert ``message``; if a parallel transaction queued the same cause first, return that one."""
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        existing = _existing(message.dedupe_key)
        if existing is None:
            raise
        return existing
    return message


def _has_consent(person) -> bool:
    from opspor.web.aps.models import Case

    return Case.objects.included().filter(person=person).exists()


def _objection(person, kind: str) -> Objection | None:
    return Objection.objects.filter(person=person, recipient_kind=kind, withdrawn_at__isnull=True).first()


def _author(actor, sender: medcom.Party, pol: policies.Policy) -> medcom.Author:
    given = (getattr(actor, "first_name", "") or "").strip()
    family = (getattr(actor, "last_name", "") or "").strip()
    if not family:
        given, family = medcom.split_name(given) if " " in given else ("", given or actor.get_username())
    role = pol.author_roles.get(getattr(actor, "role", ""), "sygeplejerske")
    return medcom.Author(given=given, family=family, role_code=role, phone=sender.phone)


def _recipient_label(kind: str) -> str:
    return {"gp_practice": "egen læge", "municipality": "kommunen", "on_call": "lægevagten",
            "department": "hospitalsafdelingen"}[kind]


def _block(message: OutboundMessage, code: str, reason: str) -> None:
    """Not sent: ``code`` is what users read; ``reason`` the technical detail with the fix (which
    may name a server file), for the administrator and the audit entry."""
    message.state, message.block_code, message.block_reason = OutboundMessage.State.BLOCKED, code, reason[:400]


# --------------------------------------------------------------------------- person messages

def _queue_for_person(actor, event: str, *, person, region_code: str, source: str, kinds: list[str],
                      values: dict[str, str], recipient_ids: dict[str, str] | None = None) -> list[OutboundMessage]:
    """Queue ``event`` about ``person`` to each of ``kinds``: the person's GP practice and
    municipality by default, or the recipient named in ``recipient_ids`` (kind -> code)."""
    pol = policies.policy()
    event_policy = pol.events[event]
    book = policies.addressbook()
    out = []
    for kind in kinds:
        rule = event_policy.recipients.get(kind)
        if rule is None:
            continue
        key = f"{event}:{source}:{kind}"
        existing = _existing(key)
        if existing is not None:
            out.append(existing)
            continue
        if recipient_ids and kind in recipient_ids:
            recipient_id = recipient_ids[kind]
        else:
            recipient_id = person.gp_provider_number if kind == RecipientKind.GP_PRACTICE else person.municipality_code
        message = OutboundMessage(
            kind=OutboundMessage.Kind.CARE_COMMUNICATION, event=event, dedupe_key=key, source=source,
            recipient_kind=kind, recipient_id=recipient_id or "", person=person, purpose=rule.purpose[:300],
            legal_basis=rule.legal_basis[:300], policy_version=pol.version,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        code, reason = "", ""
        if rule.consent == "aps_case" and not _has_consent(person):
            code, reason = BlockReason.NO_CONSENT, "the patient has not consented to Aktiv Patientstøtte (policy: consent required)"
        elif rule.objection_allowed and _objection(person, kind):
            code, reason = BlockReason.OBJECTION, f"the patient objects to informing the {kind.replace('_', ' ')}"
        elif not recipient_id:
            code, reason = {
                RecipientKind.GP_PRACTICE: (BlockReason.NO_GP, "no GP provider number is known for the person"),
                RecipientKind.MUNICIPALITY: (BlockReason.NO_MUNICIPALITY, "no municipality is known for the person"),
            }.get(kind, (BlockReason.NO_ADDRESS, f"no {kind.replace('_', ' ')} is known for the message"))
        if not reason:
            try:
                receiver = book.recipient(kind, recipient_id)
                sender = book.sender(region_code)
            except policies.NoAddress as e:
                code, reason = e.code, str(e)
        if reason:
            _block(message, code, reason)
        else:
            message.recipient_name = receiver.name
            given, family = medcom.split_name(person.name)
            text = event_policy.text.format(**{"recipient": _recipient_label(kind), "phone": sender.phone,
                                                "region": sender.name, **values})
            message.payload = medcom.care_communication(
                message_id=str(message.message_id), sent_at=timezone.now(), sender=sender, receiver=receiver,
                patient=medcom.Patient(person.cpr, given, family), author=_author(actor, sender, pol),
                category=event_policy.category, topic=event_policy.topic, text=text, fhir_base=book.fhir_base,
            )
            profiles.check(message.payload, PROFILE_CARE)
            message.profile = f"MedCom CareCommunication {medcom.CARECOMMUNICATION_IG_VERSION}"
            message.next_attempt_at = timezone.now()
        saved = _save(message)
        if saved is message:
            _audit_queued(actor, message)
        out.append(saved)
    return out


def _control_arm(case) -> bool:
    """A trial's control arm gets usual care: nobody is told of an inclusion in the programme
    (it would be wrong, and could change the usual care the trial compares with)."""
    from opspor.web.trial import actions as trial_actions

    return bool(case.allocation_id) and trial_actions.is_control(case)


def on_aps_consent(actor, case) -> list[OutboundMessage]:
    """The patient consented to Aktiv Patientstøtte: tell the GP and the municipality."""
    if _control_arm(case):
        return []
    return _queue_for_person(actor, "aps_included", person=case.person, region_code=case.region_code,
                             source=f"aps.case:{case.pk}", kinds=list(RecipientKind.values),
                             values={"author": actor.get_full_name() or actor.get_username()})


def on_aps_end(actor, case) -> list[OutboundMessage]:
    """Support ended: tell the GP and the municipality (with the reason, in Danish)."""
    from opspor.web.aps.models import Case

    if _control_arm(case):
        return []
    with translation.override("da"):
        reason = str(Case.EndReason(case.end_reason).label) if case.end_reason else ""
    return _queue_for_person(actor, "aps_ended", person=case.person, region_code=case.region_code,
                             source=f"aps.case:{case.pk}", kinds=list(RecipientKind.values),
                             values={"author": actor.get_full_name() or actor.get_username(), "reason": reason})


def on_mdt_concluded(actor, conference) -> list[OutboundMessage]:
    """A concluded MDT conference recommending action by the GP and/or the municipality."""
    kinds = [k for k, wanted in ((RecipientKind.GP_PRACTICE, conference.action_by_gp),
                                 (RecipientKind.MUNICIPALITY, conference.action_by_municipality)) if wanted]
    if not kinds or conference.status != "concluded":
        return []
    department = conference.department
    return _queue_for_person(
        actor, "mdt_action", person=conference.person, region_code=department.region_code,
        source=f"mdt:{conference.pk}", kinds=kinds,
        values={"department": department.name, "recommendation": conference.recommendation.strip(),
                "date": conference.conference_date.strftime("%d-%m-%Y") if conference.conference_date else ""},
    )


def on_acute_change(actor, change, *, recipient_kind: str, recipient_id: str) -> list[OutboundMessage]:
    """The acute team recorded a change in the citizen's condition: tell the doctor responsible
    at that moment (``recipient_kind``/``recipient_id`` from the acute function's routing rules:
    the referring GP practice, the region's on-call service or the referring department)."""
    referral = change.referral
    return _queue_for_person(
        actor, "acute_change", person=referral.person, region_code=referral.region_code,
        source=f"acute.change:{change.pk}", kinds=[recipient_kind], recipient_ids={recipient_kind: recipient_id},
        values={"team": referral.team_name, "change": change.text.strip(),
                "time": timezone.localtime(change.recorded_at).strftime("%d-%m-%Y %H:%M"),
                "author": actor.get_full_name() or actor.get_username()})


def on_acute_closed(actor, referral) -> list[OutboundMessage]:
    """The citizen's stay in the acute function ended: a CareCommunication to the citizen's GP
    (001_5497481f8cd3c36e.txt 4600-4615: patient responsibility returns to the GP)."""
    return _queue_for_person(
        actor, "acute_closed", person=referral.person, region_code=referral.region_code,
        source=f"acute.referral:{referral.pk}", kinds=[RecipientKind.GP_PRACTICE],
        values={"team": referral.team_name, "outcome": referral.outcome_da, "note": referral.closure_note.strip(),
                "date": timezone.localtime(referral.closed_at).strftime("%d-%m-%Y"),
                "author": actor.get_full_name() or actor.get_username()})


def on_acute_declined(actor, referral) -> list[OutboundMessage]:
    """The acute team declined a referral: the answer goes back to the referrer (the GP practice,
    or the referring department) with the reason."""
    kind = RecipientKind.GP_PRACTICE if referral.referrer_kind == "gp" else RecipientKind.DEPARTMENT
    return _queue_for_person(
        actor, "acute_declined", person=referral.person, region_code=referral.region_code,
        source=referral.source, kinds=[kind], recipient_ids={kind: referral.referrer_org.code},
        values={"team": referral.team_name, "reason": referral.decision_reason.strip(),
                "referred": timezone.localtime(referral.called_at).strftime("%d-%m-%Y %H:%M"),
                "author": actor.get_full_name() or actor.get_username()})


def on_care_task(actor, task, *, profession: str) -> list[OutboundMessage]:
    """A task on the shared board was given to the citizen's municipality or GP practice (its
    owner): a CareCommunication to that organisation. Tasks of the hospital send nothing."""
    kind = {"municipality": RecipientKind.MUNICIPALITY, "general_practice": RecipientKind.GP_PRACTICE}.get(task.sector)
    if kind is None:
        return []
    conference = task.conference
    department = conference.department if conference else task.created_by.organisation
    return _queue_for_person(
        actor, "care_task", person=task.person, region_code=department.region_code, source=f"careplan.task:{task.pk}",
        kinds=[kind], recipient_ids={kind: task.owner_org.code},
        values={"department": department.name, "title": task.title, "detail": task.detail.strip(),
                "profession": profession, "due": task.due_on.strftime("%d-%m-%Y"),
                "author": actor.get_full_name() or actor.get_username()})


def on_telemonitoring_escalation(actor, *, person, region_code: str, source: str, alarm: str, note: str,
                                 kind: str = RecipientKind.GP_PRACTICE,
                                 recipient_id: str | None = None) -> list[OutboundMessage]:
    """A monitoring-centre nurse escalates a telemonitoring alarm to the patient's GP or to the
    department responsible for the enrolment (``recipient_id``: its UNIT/DEPARTMENT code); called
    by ``telemonitoring.actions.escalate``; ``source`` names the alarm, so it goes once per kind."""
    return _queue_for_person(actor, "telemonitoring_alarm", person=person, region_code=region_code, source=source,
                             kinds=[kind], values={"alarm": alarm, "note": note},
                             recipient_ids={kind: recipient_id} if recipient_id else None)


# --------------------------------------------------------------------------- data alerts

def _region_of(recipient_kind: str, recipient_id: str) -> str:
    from opspor.web.accounts.models import Organisation

    org = Organisation.objects.filter(kind=recipient_kind, code=recipient_id).exclude(region_code="").first()
    if org:
        return org.region_code
    if recipient_kind == RecipientKind.GP_PRACTICE:  # the region most of the practice's patients live in
        from django.db.models import Count

        from opspor.web.people.models import Person

        row = (Person.objects.filter(gp_provider_number=recipient_id).exclude(region_code="")
               .values("region_code").annotate(n=Count("id")).order_by("-n", "region_code").first())
        return row["region_code"] if row else ""
    if recipient_kind == RecipientKind.MUNICIPALITY:
        import csv
        from importlib import resources

        with resources.files("opspor.reference").joinpath("data/municipalities.csv").open(encoding="utf-8") as f:
            for row in csv.DictReader(f):
                if row["code"] == recipient_id:
                    return row["region_code"]
    return ""


@transaction.atomic
def queue_data_alert(*, recipient_kind: str, recipient_id: str, month: dt.date, indicator: str, observed: int,
                     expected: float, ratio: float, p_value: float, alert_key: str, reason: str) -> OutboundMessage:
    """Queue an aggregate data alert (opspor's own FHIR message, no person in it) to a
    municipality or GP practice. Queueing the same ``alert_key`` again returns the message
    already queued. A recipient missing from the address book gives a *blocked* message that
    names the file to add it to."""
    if recipient_kind not in RecipientKind.values:
        raise ValueError(f"recipient_kind must be one of {', '.join(RecipientKind.values)}, not {recipient_kind!r}")
    if not alert_key or not recipient_id:
        raise ValueError("alert_key and recipient_id are required")
    key = f"data_alert:{alert_key}"
    existing = _existing(key)
    if existing is not None:
        return existing
    pol = policies.policy()
    rule = pol.rule("data_alert", recipient_kind)
    message = OutboundMessage(
        kind=OutboundMessage.Kind.DATA_ALERT, event=OutboundMessage.Event.DATA_ALERT, dedupe_key=key[:200],
        source=f"alert:{alert_key}"[:80], recipient_kind=recipient_kind, recipient_id=recipient_id,
        purpose=(reason or rule.purpose)[:300], legal_basis=rule.legal_basis[:300], policy_version=pol.version,
    )
    book = policies.addressbook()
    region = _region_of(recipient_kind, recipient_id)
    try:
        receiver = book.recipient(recipient_kind, recipient_id)
        sender = book.sender(region) if region else None
        if sender is None:
            raise policies.NoAddress(f"no region is known for {recipient_kind} {recipient_id}, so no sender: "
                                     f"add the organisation to the web app's organisations", "no_sender")
    except policies.NoAddress as e:
        _block(message, e.code, str(e))
    else:
        message.recipient_name = receiver.name
        text = pol.events["data_alert"].text.format(month=f"{month:%m-%Y}", observed=observed,
                                                    expected=f"{expected:.1f}", ratio=f"{ratio:.2f}",
                                                    p_value=f"{p_value:.3g}")
        message.payload = medcom.data_alert(
            message_id=str(message.message_id), sent_at=timezone.now(), sender=sender, receiver=receiver,
            month=month, indicator=indicator, observed=observed, expected=expected, ratio=ratio, p_value=p_value,
            text=text, fhir_base=book.fhir_base)
        profiles.check(message.payload, PROFILE_ALERT)
        message.profile = "opspor data alert 1"
        message.next_attempt_at = timezone.now()
    saved = _save(message)
    if saved is message:
        _audit_queued(ALERTS, message)
    return saved


# --------------------------------------------------------------------------- objections

def _check_may_object(user, person) -> None:
    from opspor.web.people.scope import visible_persons

    if not user.has_role(Role.NURSE, Role.SPECIALIST):
        raise PermissionDenied
    if not visible_persons(user).filter(pk=person.pk).exists():
        raise PermissionDenied


@transaction.atomic
def record_objection(user, person, recipient_kind: str, note: str = "") -> Objection:
    """The patient does not want the GP / the municipality informed. Blocks the queued messages
    about the person to that recipient and every later one, until withdrawn."""
    _check_may_object(user, person)
    if recipient_kind not in RecipientKind.values:
        raise ValidationError(_("Choose whom the patient does not want informed."))
    if _objection(person, recipient_kind):
        raise ValidationError(_("The patient's objection is already recorded."))
    try:
        with transaction.atomic():
            objection = Objection.objects.create(person=person, recipient_kind=recipient_kind, note=note.strip()[:500],
                                                 recorded_by=user)
    except IntegrityError:
        raise ValidationError(_("The patient's objection is already recorded.")) from None
    blocked = list(OutboundMessage.objects.select_for_update().filter(
        person=person, recipient_kind=recipient_kind, state=OutboundMessage.State.QUEUED))
    reason = f"the patient objects to informing the {recipient_kind.replace('_', ' ')}"
    for message in blocked:
        _block(message, BlockReason.OBJECTION, reason)
        message.next_attempt_at = None
        message.save(update_fields=["state", "block_code", "block_reason", "next_attempt_at", "updated_at"])
    audit.record(user, audit.Event.MESSAGE_OBJECTION, action=audit.CHANGE,
                 why=_("The patient does not want the recipient informed"), persons=[person.person_key],
                 detail={"recipient_kind": recipient_kind, "objection": objection.pk,
                         "blocked_messages": [str(m.message_id) for m in blocked]})
    return objection


@transaction.atomic
def withdraw_objection(user, objection: Objection) -> Objection:
    """The patient no longer objects. Messages blocked earlier stay blocked (they are not sent
    late); later ones go."""
    _check_may_object(user, objection.person)
    objection = Objection.objects.select_for_update().get(pk=objection.pk)
    if objection.withdrawn_at:
        raise ValidationError(_("The objection has already been withdrawn."))
    objection.withdrawn_at, objection.withdrawn_by = timezone.now(), user
    objection.save(update_fields=["withdrawn_at", "withdrawn_by"])
    audit.record(user, audit.Event.MESSAGE_OBJECTION_WITHDRAW, action=audit.CHANGE,
                 why=_("The patient withdrew the objection"), persons=[objection.person.person_key],
                 detail={"recipient_kind": objection.recipient_kind, "objection": objection.pk})
    return objection


# --------------------------------------------------------------------------- the outbox

def check_outbox_user(user) -> None:
    if not user.has_role(Role.ADMIN, Role.SECRETARIAT):
        raise PermissionDenied


@transaction.atomic
def retry(user, message: OutboundMessage) -> OutboundMessage:
    """Put a failed message back in the queue (same message id: the receiver still recognises
    a repeat)."""
    check_outbox_user(user)
    message = OutboundMessage.objects.select_for_update().get(pk=message.pk)
    if message.state != OutboundMessage.State.FAILED:
        raise ValidationError(_("Only a failed message can be sent again."))
    message.state, message.attempts, message.next_attempt_at = OutboundMessage.State.QUEUED, 0, timezone.now()
    message.save(update_fields=["state", "attempts", "next_attempt_at", "updated_at"])
    audit.record(user, audit.Event.MESSAGE_RETRY, action=audit.CHANGE, why=_("Failed message queued again"),
                 persons=[message.person.person_key] if message.person else [],
                 detail={"message": str(message.message_id), "last_error": message.last_error[:200]})
    return message



# --------------------------------------------------------------------------- messages received

RECEIVER = audit.system("opspor messages receive")
_ACK_NAMESPACE = uuid.UUID("6f1d3c2e-7a51-4c1e-9a57-0b7e2a61c0de")  # opspor's acknowledgements of received messages


@dataclass
class Receipt:
    """The result of receiving one message: ``accepted`` (new), ``duplicate`` (the same
    Bundle.id/MessageHeader.id accepted before: nothing changed) or ``refused`` (``problems``
    say why; ``http_status`` 400 for a malformed message, 403 for a sender that may not send
    it, 422 for a message about something opspor does not know)."""

    status: str
    message: InboundMessage
    problems: list = field(default_factory=list)
    http_status: int = 200

    def acknowledgement(self) -> dict | None:
        """The MedCom Acknowledgement (code ok) opspor answers an accepted or repeated
        CareCommunication with; always the same for the same message (a repeat gets the
        original answer). None for an acknowledgement (those are not acknowledged)."""
        message = self.message
        if self.status == "refused" or message.kind == InboundMessage.Kind.ACKNOWLEDGEMENT:
            return None
        try:
            return medcom.acknowledgement(of=message.payload, ack_id=str(uuid.uuid5(_ACK_NAMESPACE, message.message_key)),
                                          at=message.received_at, fhir_base=policies.addressbook().fhir_base)
        except (KeyError, IndexError, TypeError, medcom.BuildError):
            return None  # the message lacks what an acknowledgement repeats (destination, source)


def _sender_of(received: medcom_inbound.Received, sender_org) -> tuple[tuple[str, str, str] | None, list]:
    """(kind, code, name) of the sending organisation, or the problems: with a token, the
    message's SOR code must be its organisation's; from a folder, any recipient in the address book."""
    book = policies.addressbook()
    element = "MessageHeader.sender.resolve().identifier"
    if sender_org is not None:
        try:
            party = book.recipient(sender_org.kind, sender_org.code)
        except policies.NoAddress as e:
            return None, [medcom_inbound.Problem("Authorization", f"the token's organisation is not in the address "
                                                 f"book ({e})", "the administrator adds it to the address book")]
        if party.sor != received.sender_sor:
            return None, [medcom_inbound.Problem(element, f"SOR code {received.sender_sor} is not the SOR code of the "
                                                 f"token's sender, {party.name} ({party.sor})",
                                                 "send with your own SOR code, or with the token of the sender named "
                                                 "in the message")]
        return (sender_org.kind, sender_org.code, party.name), []
    found = book.by_sor(received.sender_sor)
    if found is None:
        return None, [medcom_inbound.Problem(element, f"SOR code {received.sender_sor} is not in the address book",
                                             f"add the sender under recipients to {book.file}, or correct the code")]
    return (found[0], found[1], found[2].name), []


def _original(received: medcom_inbound.Received, sender: tuple[str, str, str]) -> tuple[OutboundMessage | None, list]:
    """The message of opspor's acknowledged or replied to, which must have gone to the sender."""
    if received.event == medcom_inbound.ACK_EVENT:
        wanted, element = received.acknowledges, "MessageHeader.response.identifier"
    else:
        wanted, element = received.replies_to, "Provenance.entity.what"
    original = OutboundMessage.objects.select_related("person").filter(message_id=wanted).first()
    if original is None:
        return None, [medcom_inbound.Problem(element, f"opspor sent no message with id {wanted}",
                                             "give the id (MessageHeader.id) of a message opspor sent you")]
    if (original.recipient_kind, original.recipient_id) != sender[:2]:
        return None, [medcom_inbound.Problem(element, f"message {wanted} was not sent to {sender[2]}",
                                             "answer only messages sent to you")]
    if received.event == medcom_inbound.CARE_EVENT and (original.person is None
                                                         or original.person.cpr != received.patient_cpr):
        return None, [medcom_inbound.Problem("Communication.subject", "the patient is not the patient of the "
                                             "message replied to", "reply about the same patient, or send a new "
                                             "message")]
    return original, []


def _refuse(body: bytes, problems: list, status: int, *, channel: str, via: str,
            received: medcom_inbound.Received | None) -> Receipt:
    bundle_id, header_id = (received.bundle_id, received.header_id) if received else medcom_inbound.ids_of(body)
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        payload = {}
    with transaction.atomic():
        row = InboundMessage.objects.create(
            message_key=f"{bundle_id}/{header_id}" if bundle_id or header_id else "", status=InboundMessage.Status.REFUSED,
            kind=_kind(received), channel=channel, via=via[:200],
            sender_name=received.sender_name if received else "", refusal="\n".join(map(str, problems)),
            payload=payload if isinstance(payload, dict) else {})
        audit.record(RECEIVER, audit.Event.MESSAGE_REFUSED, action=audit.CHANGE, why="Received message refused",
                     detail={"received": row.pk, "key": row.message_key, "via": via[:100], "channel": channel,
                             "problems": [str(p)[:300] for p in problems[:10]]})
    return Receipt("refused", row, problems, status)


def _kind(received: medcom_inbound.Received | None) -> str:
    if received is None:
        return InboundMessage.Kind.UNREAD
    if received.new_message:
        return InboundMessage.Kind.REFERRAL
    return {medcom_inbound.ACK_EVENT: InboundMessage.Kind.ACKNOWLEDGEMENT,
            medcom_inbound.HN_EVENT: InboundMessage.Kind.HOSPITAL_NOTIFICATION}.get(received.event,
                                                                                  InboundMessage.Kind.REPLY)


def _accept(received: medcom_inbound.Received, sender: tuple[str, str, str], kind: str, *, channel: str, via: str,
            why: str, effect) -> Receipt | list:
    """Record ``received`` as accepted and run ``effect(row) -> (person, audit detail)`` in one
    transaction: the problems when ``effect`` raises ``medcom_inbound.Invalid``, a duplicate when a
    parallel request accepted the same message just now. Inside the caller's transaction."""
    try:
        with transaction.atomic():
            row = InboundMessage.objects.create(
                message_key=received.key, kind=kind, status=InboundMessage.Status.ACCEPTED, channel=channel,
                via=via[:200], sender_kind=sender[0], sender_id=sender[1], sender_name=sender[2][:200],
                author=received.author, text=received.text or received.activity, payload=received.payload)
            person, detail = effect(row)
    except medcom_inbound.Invalid as e:
        return e.problems
    except IntegrityError:  # the same message accepted by a parallel request just now
        return Receipt("duplicate", InboundMessage.objects.get(message_key=received.key,
                                                               status=InboundMessage.Status.ACCEPTED))
    if person is not None:
        row.person = person
        row.save(update_fields=["person"])
    audit.record(RECEIVER, audit.Event.MESSAGE_RECEIVED, action=audit.CHANGE, why=why,
                 persons=[person.person_key] if person else [],
                 detail={"received": row.pk, "key": received.key, "kind": kind, "via": via[:100],
                         "sender": f"{sender[0]}:{sender[1]}", **detail})
    return Receipt("accepted", row)


def _receive_referral(received: medcom_inbound.Received, sender: tuple[str, str, str], referrals, *, channel: str,
                      via: str) -> Receipt | list:
    """A new CareCommunication to a municipality: a referral to its acute function, made by
    ``referrals`` (``acute.by_message.refer``, handed in: that app is above this one). The
    problems when it cannot be taken. Inside the caller's transaction."""
    book = policies.addressbook()
    found = book.by_sor(received.receiver_sor)
    if referrals is None or found is None or found[0] != RecipientKind.MUNICIPALITY:
        return [medcom_inbound.Problem(
            "MessageHeader.destination.receiver", f"SOR code {received.receiver_sor} is not a municipality's acute "
            "function in the address book: opspor receives a new CareCommunication only as a referral to one",
            f"send it to the municipality's SOR code (recipients.municipality in {book.file}), or send a reply to "
            "the message opspor sent you")]

    def refer(row):
        referral = referrals(received, sender, found[1], row)
        return referral.person, {"referral": str(referral.public_id), "team": found[1]}

    return _accept(received, sender, InboundMessage.Kind.REFERRAL, channel=channel, via=via,
                   why="Referral to the acute function", effect=refer)


def _department_of(received: medcom_inbound.Received, sender: tuple[str, str, str]) -> tuple[tuple[str, str], list]:
    """(hospital unit, department) where a HospitalNotification says the patient is: the
    Encounter's serviceProvider, a department in the address book by its SOR code."""
    if sender[0] != RecipientKind.DEPARTMENT:
        return ("", ""), [medcom_inbound.Problem("MessageHeader.sender", f"{sender[2]} is not a hospital department",
                                                 "HospitalNotifications come from the hospital; send them with a "
                                                 "department's token")]
    book = policies.addressbook()
    found = book.by_sor(received.provider_sor)
    if found is None or found[0] != RecipientKind.DEPARTMENT or "/" not in found[1]:
        return ("", ""), [medcom_inbound.Problem(
            "Encounter.serviceProvider", f"SOR code {received.provider_sor} is not a hospital department in the "
            "address book", f"add the department under recipients.department (UNIT/DEPARTMENT) to {book.file}, "
            "or correct the code")]
    unit, department = found[1].split("/", 1)
    return (unit, department), []


def _receive_notification(received: medcom_inbound.Received, sender: tuple[str, str, str], *, channel: str,
                          via: str) -> Receipt | list:
    """A HospitalNotification: the stay updated and the lists evaluated again for the patient
    (``worklists.intraday``); the problems when it cannot be taken. Inside the caller's transaction."""
    from opspor.web.worklists import intraday

    (unit, department), problems = _department_of(received, sender)
    if problems:
        return problems

    def notify(row):
        outcome = intraday.notify(RECEIVER, sender=f"{sender[0]}:{sender[1]}", hospital_unit=unit,
                                  department=department, cpr=received.patient_cpr, stay=received.stay,
                                  activity=received.activity)
        return outcome.person, {"activity": received.activity, "department": f"{unit}/{department}",
                                "known_person": outcome.person is not None}

    return _accept(received, sender, InboundMessage.Kind.HOSPITAL_NOTIFICATION, channel=channel, via=via,
                   why="Hospital notification", effect=notify)


def receive(body: bytes, *, channel: str, via: str, sender_org=None, referrals=None) -> Receipt:
    """Receive one MedCom message (the endpoint with ``sender_org`` = the token's organisation,
    or a file of the folder). Checked (form, sender, the message it refers to), then exactly
    once by Bundle.id/MessageHeader.id: an **acknowledgement** closes opspor's message in the
    outbox (acknowledged; transient-error: sent again later; fatal-error: failed); a **reply**
    to a CareCommunication lands on the person of the message answered, with its sender; a
    **HospitalNotification** updates the patient's stay and the day's lists
    (``worklists.intraday``); a **new CareCommunication** to a municipality is a referral to its
    acute function, made by ``referrals`` (``acute.by_message.refer``, handed in by the endpoint
    and the folder reader). A refused message is recorded as refused with its reasons and changes
    nothing else."""
    try:
        received = medcom_inbound.read(body)
    except medcom_inbound.Invalid as e:
        return _refuse(body, e.problems, 400, channel=channel, via=via, received=None)
    sender, problems = _sender_of(received, sender_org)
    if problems:
        return _refuse(body, problems, 403, channel=channel, via=via, received=received)
    with transaction.atomic():
        earlier = InboundMessage.objects.filter(message_key=received.key, status=InboundMessage.Status.ACCEPTED).first()
        if earlier is not None:
            return Receipt("duplicate", earlier)
        if received.event == medcom_inbound.HN_EVENT or received.new_message:
            result = (_receive_notification(received, sender, channel=channel, via=via)
                      if received.event == medcom_inbound.HN_EVENT
                      else _receive_referral(received, sender, referrals, channel=channel, via=via))
            if isinstance(result, Receipt):
                return result
            problems = result
            original = None
        else:
            original, problems = _original(received, sender)
        if not problems:
            try:
                with transaction.atomic():
                    row = InboundMessage.objects.create(
                        message_key=received.key, kind=_kind(received), status=InboundMessage.Status.ACCEPTED,
                        channel=channel, via=via[:200], sender_kind=sender[0], sender_id=sender[1],
                        sender_name=sender[2][:200], author=received.author, in_reply_to=original,
                        person=original.person if received.event == medcom_inbound.CARE_EVENT else None,
                        text=received.text, payload=received.payload)
            except IntegrityError:  # the same message accepted by a parallel request just now
                return Receipt("duplicate", InboundMessage.objects.get(message_key=received.key,
                                                                       status=InboundMessage.Status.ACCEPTED))
            if received.event == medcom_inbound.ACK_EVENT:
                from opspor.web.messaging import delivery

                delivery.record_acknowledgement(original, received.ack_code)
            audit.record(RECEIVER, audit.Event.MESSAGE_RECEIVED, action=audit.CHANGE,
                         why=original.purpose if received.event == medcom_inbound.CARE_EVENT else "Acknowledgement",
                         persons=[original.person.person_key] if original.person_id else [],
                         detail={"received": row.pk, "key": received.key, "kind": row.kind, "via": via[:100],
                                 "sender": f"{sender[0]}:{sender[1]}", "answers": str(original.message_id),
                                 **({"code": received.ack_code} if received.ack_code else {})})
            return Receipt("accepted", row)
    return _refuse(body, problems, 422, channel=channel, via=via, received=received)


def check_inbox_user(user) -> None:
    if not user.has_role(Role.ADMIN, Role.SECRETARIAT, Role.MUNICIPALITY):
        raise PermissionDenied
