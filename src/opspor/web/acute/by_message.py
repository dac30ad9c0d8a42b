"""Referrals to the municipal acute function received as MedCom messages (issue 16 item 1).

The seed expected a MedCom referral standard for the acute function that "afventer arbejdet i
regi af MedCom" (001_5497481f8cd3c36e.txt 4409-4412), and Sundhedsstyrelsen recommends that the
referring doctor phones the acute function and "udformer en skriftlig korrespondance på
henvisningstidspunktet" (4424-4429). MedCom has no FHIR referral to the acute function, so the
referral is a **MedCom CareCommunication** (the correspondence message, 5.0.4) sent as a new
message (Provenance activity ``new-message``) to the acute team's municipality (the
``MessageHeader.destination`` receiver's SOR code, a municipality in the address book), from the
GP practice or hospital department of the referring doctor: the Communication's text is what the
team is asked to do, its author (Practitioner) the referring doctor, the author's contact phone
the doctor's direct phone (5319-5324), the payload's date the time of the call the message
follows; the time horizon is the routing file's default, to be adjusted by phone.

``refer(received, sender, municipality_code, message)`` is handed to ``messaging.actions.receive``
by the endpoint and the folder reader (this app is above ``messaging``); it raises
``medcom_inbound.Invalid`` with the element, the problem and the fix when the message cannot
become a referral.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone

from opspor.fhir.medcom_inbound import Invalid, Problem, Received
from opspor.web.accounts import organisations
from opspor.web.accounts.models import Organisation
from opspor.web.accounts.roles import OrgKind
from opspor.web.acute import actions, routing
from opspor.web.acute.models import Referral, ReferrerKind
from opspor.web.messaging.actions import RECEIVER
from opspor.web.people.models import Person
from opspor.web.people.scope import department_patients


def _referrer(sender: tuple[str, str, str], person_region: str) -> tuple[str, Organisation]:
    kind, code, name = sender
    if kind == "gp_practice":
        org, _ = Organisation.objects.get_or_create(kind=OrgKind.GP_PRACTICE, code=code,
                                                    defaults={"name": name[:200], "region_code": person_region})
        return ReferrerKind.GP, org
    return ReferrerKind.HOSPITAL, organisations.department(*code.split("/", 1))


def refer(received: Received, sender: tuple[str, str, str], municipality_code: str, message) -> Referral:
    """The referral the CareCommunication ``received`` from ``sender`` (kind, code, name) asks the
    acute team of ``municipality_code`` for; ``message`` is the InboundMessage row."""
    if sender[0] not in ("gp_practice", "department") or (sender[0] == "department" and "/" not in sender[1]):
        raise Invalid([Problem("MessageHeader.sender", f"{sender[2]} may not refer to the acute function",
                               "a GP practice or a hospital department refers; the on-call service cannot send a "
                               "written referral (the patient's own GP receives the on-call note)")])
    if sender[0] == "gp_practice":
        persons = Person.objects.filter(gp_provider_number=sender[1])
    else:
        persons = Person.objects.filter(department_patients(organisations.department(*sender[1].split("/", 1))))
    person = persons.filter(cpr=received.patient_cpr).distinct().first()
    if person is None:
        raise Invalid([Problem("Communication.subject", "the citizen is not among the referrer's patients known to "
                               "opspor", "refer a patient listed with the practice (or known to the department), or "
                               "phone the acute team")])
    if person.municipality_code != municipality_code:
        raise Invalid([Problem("MessageHeader.destination", f"the citizen lives in municipality "
                               f"{person.municipality_code or '(unknown)'}, not {municipality_code}",
                               "send the referral to the acute team of the citizen's municipality")])
    if not received.author_phone:
        raise Invalid([Problem("Communication.payload.extension(author-contact)", "no phone of the referring doctor",
                               "add the doctor's direct phone as the payload's author contact")])
    kind, organisation = _referrer(sender, person.region_code)
    try:
        return actions.open_referral(
            RECEIVER, person, kind=kind, organisation=organisation, called_at=received.written_at or timezone.now(),
            reason=received.text, horizon_days=routing.rules().clarification.horizon_days_default,
            phone=received.author_phone, referrer_name=received.author or sender[2], via_message=message)
    except ValidationError as e:
        raise Invalid([Problem("Communication", " ".join(e.messages), "phone the acute team and agree the referral")]) \
            from None
