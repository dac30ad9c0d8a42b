"""Outgoing FHIR messages: a MedCom CareCommunication message and opspor's aggregate data alert.

Built with the ``fhir.resources`` R4B models (version 8.3): the resources used here (Bundle,
MessageHeader, Communication, Patient, Organization, Practitioner, PractitionerRole, Provenance,
MeasureReport) have the same elements and cardinalities in R4 (4.0.1, which MedCom's IGs are
built on) as in R4B for everything we fill in, so the R4B models validate the base rules of the
R4 resources. The MedCom profile rules on top of the base spec are checked by
:mod:`opspor.fhir.profiles` (see docs/messages.md).

Followed: MedCom CareCommunication IG **5.0.4** (``medcom.fhir.dk.carecommunication``, which
depends on MedCom Messaging 4.0.2 and MedCom Core 3.0.1), as read from the FSH sources of
github.com/medcomdk/dk-medcom-carecommunication, dk-medcom-messaging and dk-medcom-core.

The functions return the message as a JSON-ready ``dict``; building raises
:class:`BuildError` when the models refuse it (a programming error, never user input).
"""

from __future__ import annotations

import datetime as dt
import html
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

CARECOMMUNICATION_IG_VERSION = "5.0.4"

# identifier systems (dk-core / MedCom core)
CPR_SYSTEM = "urn:oid:1.2.208.176.1.2"
SOR_SYSTEM = "urn:oid:1.2.208.176.1.1"
EAN_SYSTEM = "urn:oid:1.3.88"
SOR_ENDPOINT = "https://sor2.sum.dsdn.dk/#id={sor}"

# MedCom terminology
MESSAGE_EVENTS = "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-eventCodes"
DESTINATION_USE = "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-destinationUse"
CATEGORY_CODES = "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-careCommunication-categoryCodes"
ACTIVITY_CODES = "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-messaging-activityCodes"
PRACTITIONER_ROLES = "http://medcomfhir.dk/ig/terminology/CodeSystem/medcom-core-PractitionerRolesSKSadministrativ"

# MedCom profiles and extensions
_CC = "http://medcomfhir.dk/ig/carecommunication/StructureDefinition/"
_CORE = "http://medcomfhir.dk/ig/core/StructureDefinition/"
PROFILE_MESSAGE = _CC + "medcom-careCommunication-message"
PROFILE_HEADER = _CC + "medcom-careCommunication-messageHeader"
PROFILE_COMMUNICATION = _CC + "medcom-careCommunication-communication"
PROFILE_PROVENANCE = _CC + "medcom-careCommunication-provenance"
PROFILE_PATIENT = _CORE + "medcom-core-patient"
PROFILE_PRACTITIONER = _CORE + "medcom-core-practitioner"
PROFILE_PRACTITIONER_ROLE = _CORE + "medcom-core-practitionerrole"
PROFILE_ORGANIZATION = "http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-organization"
EXT_DESTINATION_USE = "http://medcomfhir.dk/ig/messaging/StructureDefinition/medcom-messaging-destinationUseExtension"
EXT_DATETIME = _CORE + "medcom-core-datetime-extension"
EXT_AUTHOR = _CORE + "medcom-core-practitioner-extension"
EXT_AUTHOR_CONTACT = _CORE + "medcom-core-contact-extension"
EXT_IDENTIFIER = _CORE + "medcom-core-identifier-extension"

# opspor's own data alert (no MedCom profile exists for an aggregate, person-free alert)
OPSPOR_EVENTS = "urn:opspor:fhir:CodeSystem:message-events"
DATA_ALERT_EVENT = "data-alert"
PROFILE_DATA_ALERT = "urn:opspor:fhir:StructureDefinition:data-alert-message"
EXT_EXPECTED = "urn:opspor:fhir:StructureDefinition:expected-count"
EXT_P_VALUE = "urn:opspor:fhir:StructureDefinition:p-value"
MEASURE_POPULATION = "http://terminology.hl7.org/CodeSystem/measure-population"


class BuildError(ValueError):
    """The FHIR models refused a message we built (a bug: the inputs were checked before)."""


@dataclass(frozen=True)
class Party:
    """A messaging organisation: its name, SOR code and EAN (location) number."""

    name: str
    sor: str
    ean: str
    phone: str = ""


@dataclass(frozen=True)
class Author:
    """The health professional who writes the message text."""

    given: str
    family: str
    role_code: str  # MedComCorePractitionerRolesSKSadministrativ, e.g. "sygeplejerske"
    phone: str


@dataclass(frozen=True)
class Patient:
    cpr: str
    given: str
    family: str


def split_name(full: str) -> tuple[str, str]:
    """("Anna Marie", "Hansen") from "Anna Marie Hansen"; a single word is the family name."""
    parts = full.split()
    if not parts:
        return "", ""
    return " ".join(parts[:-1]), parts[-1]


def _urn() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def _iso(when: dt.datetime) -> str:
    if when.tzinfo is None:
        raise BuildError("message times must carry a time zone")
    return when.isoformat(timespec="seconds")


def _narrative(lines: Sequence[tuple[str, str]]) -> dict:
    body = "".join(f"<p><b>{html.escape(k)}</b>: {html.escape(v)}</p>" for k, v in lines if v)
    return {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{body}</div>'}


def _organization(rid: str, party: Party) -> dict:
    return {
        "resourceType": "Organization", "id": rid, "meta": {"profile": [PROFILE_ORGANIZATION]},
        "text": _narrative([("Organisation", party.name), ("SOR", party.sor), ("EAN", party.ean)]),
        "identifier": [{"system": SOR_SYSTEM, "value": party.sor}, {"system": EAN_SYSTEM, "value": party.ean}],
        "name": party.name,
    }


def _bundle(message_id: str, profile: str, timestamp: dt.datetime, base: str, resources: list[dict]) -> dict:
    bundle = {
        "resourceType": "Bundle", "id": message_id, "meta": {"profile": [profile]}, "type": "message",
        "timestamp": _iso(timestamp),
        "entry": [{"fullUrl": f"{base.rstrip('/')}/{r['resourceType']}/{r['id']}", "resource": r} for r in resources],
    }
    return validate_base(bundle)


def validate_base(bundle: dict) -> dict:
    """Validate ``bundle`` against the base R4(B) resource models; return it as JSON (``dict``)."""
    try:
        model = Bundle.model_validate(bundle)
    except ValidationError as e:
        raise BuildError(f"the FHIR models refused the message: {e}") from None
    return model.model_dump(mode="json", exclude_none=True, by_alias=True)


def care_communication(*, message_id: str, sent_at: dt.datetime, sender: Party, receiver: Party,
                       patient: Patient, author: Author, category: str, topic: str, text: str,
                       fhir_base: str, reply_to: str = "") -> dict:
    """A new MedCom CareCommunication message (activity ``new-message``) with one text payload;
    with ``reply_to`` (the MessageHeader id of the message answered) a reply (activity
    ``reply-message``, and a Provenance entity with role ``revision`` referring to that header).

    ``message_id`` (a UUID) is both ``Bundle.id`` and ``MessageHeader.id``: it stays the same
    through every retry, which is how the receiver recognises a repeated delivery.
    """
    ids = {name: str(uuid.uuid4()) for name in ("patient", "communication", "role", "practitioner", "sender",
                                                  "receiver", "provenance")}
    payload_identifier = _urn()
    activity = "reply-message" if reply_to else "new-message"
    ref = {
        "header": f"MessageHeader/{message_id}", "patient": f"Patient/{ids['patient']}",
        "communication": f"Communication/{ids['communication']}", "role": f"PractitionerRole/{ids['role']}",
        "practitioner": f"Practitioner/{ids['practitioner']}", "sender": f"Organization/{ids['sender']}",
        "receiver": f"Organization/{ids['receiver']}",
    }
    when = _iso(sent_at)
    header = {
        "resourceType": "MessageHeader", "id": message_id, "meta": {"profile": [PROFILE_HEADER]},
        "text": _narrative([("Meddelelse", message_id), ("Type", "care-communication-message"),
                            ("Afsender", sender.name), ("Modtager", receiver.name)]),
        "eventCoding": {"system": MESSAGE_EVENTS, "code": "care-communication-message"},
        "destination": [{
            "extension": [{"url": EXT_DESTINATION_USE, "valueCoding": {"system": DESTINATION_USE, "code": "primary"}}],
            "endpoint": SOR_ENDPOINT.format(sor=receiver.sor), "receiver": {"reference": ref["receiver"]},
        }],
        "sender": {"reference": ref["sender"]},
        "source": {"endpoint": SOR_ENDPOINT.format(sor=sender.sor)},
        "focus": [{"reference": ref["communication"]}],
    }
    patient_resource = {
        "resourceType": "Patient", "id": ids["patient"], "meta": {"profile": [PROFILE_PATIENT]},
        "text": _narrative([("Patient", f"{patient.given} {patient.family}".strip())]),
        "identifier": [{"system": CPR_SYSTEM, "value": patient.cpr}],
        "name": [{"use": "official", "family": patient.family, **({"given": [patient.given]} if patient.given else {})}],
    }
    communication = {
        "resourceType": "Communication", "id": ids["communication"], "meta": {"profile": [PROFILE_COMMUNICATION]},
        "text": _narrative([("Kategori", category), ("Emne", topic), ("Dato", when),
                            ("Forfatter", f"{author.given} {author.family} ({author.role_code})"),
                            ("Telefon", author.phone), ("Tekst", text)]),
        "status": "unknown",
        "identifier": [{"value": _urn()}],
        "category": [{"coding": [{"system": CATEGORY_CODES, "code": category}]}],
        "subject": {"reference": ref["patient"]},
        "topic": {"text": topic},
        "payload": [{
            "extension": [
                {"url": EXT_DATETIME, "valueDateTime": when},
                {"url": EXT_IDENTIFIER, "valueIdentifier": {"value": payload_identifier,
                                                             "assigner": {"reference": ref["sender"]}}},
                {"url": EXT_AUTHOR, "valueReference": {"reference": ref["role"]}},
                {"url": EXT_AUTHOR_CONTACT, "valueContactPoint": {"system": "phone", "value": author.phone}},
            ],
            "contentString": text,
        }],
    }
    role = {
        "resourceType": "PractitionerRole", "id": ids["role"], "meta": {"profile": [PROFILE_PRACTITIONER_ROLE]},
        "text": _narrative([("Rolle", author.role_code)]),
        "identifier": [{"value": _urn()}],
        "practitioner": {"reference": ref["practitioner"]},
        "organization": {"reference": ref["sender"]},
        "code": [{"coding": [{"system": PRACTITIONER_ROLES, "code": author.role_code}]}],
    }
    practitioner = {
        "resourceType": "Practitioner", "id": ids["practitioner"], "meta": {"profile": [PROFILE_PRACTITIONER]},
        "text": _narrative([("Navn", f"{author.given} {author.family}".strip())]),
        "identifier": [{"value": _urn()}],
        "name": [{"family": author.family, **({"given": [author.given]} if author.given else {})}],
    }
    provenance = {
        "resourceType": "Provenance", "id": ids["provenance"], "meta": {"profile": [PROFILE_PROVENANCE]},
        "text": _narrative([("Aktivitet", activity), ("Tidspunkt", when)]),
        "target": [{"reference": ref["header"]}],
        "occurredDateTime": when, "recorded": when,
        "activity": {"coding": [{"system": ACTIVITY_CODES, "code": activity}]},
        "agent": [{"who": {"reference": ref["sender"]}}],
        "entity": [{"role": "source", "what": {"identifier": {"value": payload_identifier}}}],
    }
    if reply_to:
        provenance["entity"].append({"role": "revision",
                                     "what": {"reference": f"{fhir_base.rstrip('/')}/MessageHeader/{reply_to}"}})
    return _bundle(message_id, PROFILE_MESSAGE, sent_at, fhir_base, [
        header, patient_resource, communication, role, practitioner,
        _organization(ids["sender"], sender), _organization(ids["receiver"], receiver), provenance,
    ])


def data_alert(*, message_id: str, sent_at: dt.datetime, sender: Party, receiver: Party, month: dt.date,
               indicator: str, observed: int, expected: float, ratio: float, p_value: float, text: str,
               fhir_base: str) -> dict:
    """opspor's aggregate data alert: MessageHeader (opspor's event code) + a summary
    MeasureReport for one month + the two Organizations + Provenance. No person in it."""
    ids = {name: str(uuid.uuid4()) for name in ("report", "sender", "receiver", "provenance")}
    first = month.replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    when = _iso(sent_at)
    sender_ref, receiver_ref = f"Organization/{ids['sender']}", f"Organization/{ids['receiver']}"
    header = {
        "resourceType": "MessageHeader", "id": message_id,
        "text": _narrative([("Meddelelse", message_id), ("Type", DATA_ALERT_EVENT), ("Afsender", sender.name),
                            ("Modtager", receiver.name), ("Tekst", text)]),
        "eventCoding": {"system": OPSPOR_EVENTS, "code": DATA_ALERT_EVENT},
        "destination": [{"endpoint": SOR_ENDPOINT.format(sor=receiver.sor), "receiver": {"reference": receiver_ref}}],
        "sender": {"reference": sender_ref},
        "source": {"endpoint": SOR_ENDPOINT.format(sor=sender.sor)},
        "focus": [{"reference": f"MeasureReport/{ids['report']}"}],
    }
    report = {
        "resourceType": "MeasureReport", "id": ids["report"],
        "text": _narrative([("Indikator", indicator), ("Måned", f"{first:%Y-%m}"), ("Observeret", str(observed)),
                            ("Forventet", f"{expected:.1f}"), ("Forhold", f"{ratio:.2f}"), ("p", f"{p_value:.4f}"),
                            ("Tekst", text)]),
        "status": "complete", "type": "summary",
        "measure": f"urn:opspor:measure:{indicator}",
        "date": when,
        "reporter": {"reference": sender_ref},
        "period": {"start": first.isoformat(), "end": last.isoformat()},
        "group": [{
            "code": {"text": indicator},
            "extension": [{"url": EXT_EXPECTED, "valueDecimal": round(float(expected), 4)},
                          {"url": EXT_P_VALUE, "valueDecimal": float(f"{p_value:.6g}")}],
            "population": [{"code": {"coding": [{"system": MEASURE_POPULATION, "code": "numerator"}]},
                            "count": int(observed)}],
            "measureScore": {"value": round(float(ratio), 4), "unit": "observed/expected"},
        }],
    }
    provenance = {
        "resourceType": "Provenance", "id": ids["provenance"],
        "target": [{"reference": f"MessageHeader/{message_id}"}],
        "occurredDateTime": when, "recorded": when,
        "activity": {"coding": [{"system": ACTIVITY_CODES, "code": "new-message"}]},
        "agent": [{"who": {"reference": sender_ref}}],
    }
    return _bundle(message_id, PROFILE_DATA_ALERT, sent_at, fhir_base, [
        header, report, _organization(ids["sender"], sender), _organization(ids["receiver"], receiver), provenance,
    ])


def acknowledgement(*, of: dict, ack_id: str, code: str = "ok", at: dt.datetime, fhir_base: str) -> dict:
    """A MedCom Acknowledgement message answering ``of`` (used by the test receiver and the docs:
    opspor only reads acknowledgements). ``code``: ok | transient-error | fatal-error."""
    header_in = of["entry"][0]["resource"]
    orgs = {e["resource"]["id"]: e["resource"] for e in of["entry"] if e["resource"]["resourceType"] == "Organization"}
    sender_in = orgs[header_in["sender"]["reference"].split("/")[1]]
    receiver_in = orgs[header_in["destination"][0]["receiver"]["reference"].split("/")[1]]
    new_sender, new_receiver = str(uuid.uuid4()), str(uuid.uuid4())

    def party(org: dict) -> Party:
        values = {i["system"]: i["value"] for i in org["identifier"]}
        return Party(org.get("name", ""), values[SOR_SYSTEM], values[EAN_SYSTEM])

    header = {
        "resourceType": "MessageHeader", "id": ack_id,
        "meta": {"profile": ["http://medcomfhir.dk/ig/acknowledgement/StructureDefinition/medcom-messaging-acknowledgementHeader"]},
        "eventCoding": {"system": MESSAGE_EVENTS, "code": "acknowledgement-message"},
        "destination": [{
            "extension": [{"url": EXT_DESTINATION_USE, "valueCoding": {"system": DESTINATION_USE, "code": "primary"}}],
            "endpoint": header_in["source"]["endpoint"], "receiver": {"reference": f"Organization/{new_receiver}"},
        }],
        "sender": {"reference": f"Organization/{new_sender}"},
        "source": {"endpoint": header_in["destination"][0].get("endpoint", "")},
        "response": {"identifier": header_in["id"], "code": code},
    }
    return _bundle(ack_id, "http://medcomfhir.dk/ig/acknowledgement/StructureDefinition/medcom-messaging-acknowledgement",
                   at, fhir_base, [header, _organization(new_sender, party(receiver_in)),
                                   _organization(new_receiver, party(sender_in))])


_HN = "http://medcomfhir.dk/ig/hospitalnotification/StructureDefinition/"
HN_EVENT = "hospital-notification-message"
HN_CLASS_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
EXT_LEAVE_PERIOD = _HN + "medcom-hospitalNotification-leavePeriod-extension"


@dataclass(frozen=True)
class Stay:
    """What a MedCom HospitalNotification says about a hospital stay (its Encounter)."""

    episode: str  # Encounter.episodeOfCare.identifier.value: the whole stay's id
    status: str  # in-progress | onleave | finished | entered-in-error
    encounter_class: str  # v3 ActCode: IMP (admitted), EMER (acute ambulant)
    start: dt.datetime
    end: dt.datetime | None = None
    leave_start: dt.datetime | None = None
    leave_end: dt.datetime | None = None


def hospital_notification(*, message_id: str, sent_at: dt.datetime, sender: Party, receiver: Party,
                          service_provider: Party, patient: Patient, stay: Stay, activity: str,
                          fhir_base: str, revises: str = "") -> dict:
    """A MedCom HospitalNotification message (``activity``: admit-inpatient, start-leave-inpatient,
    discharge-inpatient-home, ...) about ``stay`` at ``service_provider``. Used by the tests and the
    docs as the hospital's side: opspor only reads them (``fhir/medcom_inbound.py``)."""
    ids = {name: str(uuid.uuid4()) for name in ("patient", "encounter", "sender", "receiver", "provider", "provenance")}
    when = _iso(sent_at)
    header = {
        "resourceType": "MessageHeader", "id": message_id,
        "meta": {"profile": [_HN + "medcom-hospitalNotification-messageHeader"]},
        "eventCoding": {"system": MESSAGE_EVENTS, "code": HN_EVENT},
        "destination": [{
            "extension": [{"url": EXT_DESTINATION_USE, "valueCoding": {"system": DESTINATION_USE, "code": "primary"}}],
            "endpoint": SOR_ENDPOINT.format(sor=receiver.sor), "receiver": {"reference": f"Organization/{ids['receiver']}"},
        }],
        "sender": {"reference": f"Organization/{ids['sender']}"},
        "source": {"endpoint": SOR_ENDPOINT.format(sor=sender.sor)},
        "focus": [{"reference": f"Encounter/{ids['encounter']}"}],
    }
    period = {"start": _iso(stay.start), **({"end": _iso(stay.end)} if stay.end else {})}
    encounter = {
        "resourceType": "Encounter", "id": ids["encounter"], "meta": {"profile": [_HN + "medcom-hospitalNotification-encounter"]},
        "status": stay.status, "class": {"system": HN_CLASS_SYSTEM, "code": stay.encounter_class},
        "subject": {"reference": f"Patient/{ids['patient']}"},
        "episodeOfCare": [{"identifier": {"value": stay.episode}}],
        "period": period, "serviceProvider": {"reference": f"Organization/{ids['provider']}"},
    }
    if stay.leave_start:
        encounter["extension"] = [{"url": EXT_LEAVE_PERIOD, "valuePeriod": {
            "start": _iso(stay.leave_start), **({"end": _iso(stay.leave_end)} if stay.leave_end else {})}}]
    patient_resource = {
        "resourceType": "Patient", "id": ids["patient"], "meta": {"profile": [PROFILE_PATIENT]},
        "identifier": [{"system": CPR_SYSTEM, "value": patient.cpr}],
        "name": [{"use": "official", "family": patient.family, **({"given": [patient.given]} if patient.given else {})}],
    }
    provenance = {
        "resourceType": "Provenance", "id": ids["provenance"], "meta": {"profile": [_HN + "medcom-hospitalNotification-provenance"]},
        "target": [{"reference": f"MessageHeader/{message_id}"}], "occurredDateTime": when, "recorded": when,
        "activity": {"coding": [{"system": ACTIVITY_CODES, "code": activity}]},
        "agent": [{"who": {"reference": f"Organization/{ids['sender']}"}}],
    }
    if revises:
        provenance["entity"] = [{"role": "revision", "what": {"reference": f"{fhir_base.rstrip('/')}/MessageHeader/{revises}"}}]
    return _bundle(message_id, _HN + "medcom-hospitalNotification-message", sent_at, fhir_base, [
        header, patient_resource, encounter, _organization(ids["sender"], sender), _organization(ids["receiver"], receiver),
        _organization(ids["provider"], service_provider), provenance,
    ])


def acknowledged_id(bundle: dict) -> tuple[str, str] | None:
    """(id of the acknowledged message, response code) if ``bundle`` is an acknowledgement."""
    try:
        header = bundle["entry"][0]["resource"]
        if header.get("resourceType") != "MessageHeader":
            return None
        if header.get("eventCoding", {}).get("code") != "acknowledgement-message":
            return None
        return header["response"]["identifier"], header["response"]["code"]
    except (KeyError, IndexError, TypeError):
        return None
