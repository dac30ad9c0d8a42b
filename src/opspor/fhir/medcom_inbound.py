"""Incoming MedCom messages: read and check a FHIR message Bundle before anything is stored.

Kinds read (``MessageHeader.eventCoding`` of MedCom's messaging event codes):

* ``acknowledgement-message``: MedCom Acknowledgement (``response.identifier`` = the id of the
  message acknowledged, ``response.code`` ok | transient-error | fatal-error);
* ``care-communication-message``: a CareCommunication; as a **reply** to one opspor sent its
  Provenance has activity ``reply-message`` and an entity with role ``revision`` whose
  ``what`` names the MessageHeader of the message replied to (MedCom Messaging 4.0.2,
  medcom-messaging-provenance), either as a reference ``.../MessageHeader/<id>`` or as an
  identifier with that id;
* ``hospital-notification-message``: a MedCom HospitalNotification (github.com/medcomdk/
  dk-medcom-hospitalnotification): the focus is an Encounter (status, class, ``episodeOfCare``
  identifier, ``period``, the ``serviceProvider`` department with its SOR code, the Patient with
  a CPR number, the leave period when on leave) and the Provenance's activity is one of the
  HospitalNotification activity codes. These checks are versioned profile rules,
  ``profiles_config/medcom-hospitalnotification-opspor-1.yaml``, interpreted by
  ``opspor.fhir.profiles`` (the interpreter of the outgoing CareCommunication's rules); the
  values are read here only once the rules hold. Likewise a received CareCommunication's focus,
  text, patient and payload date: ``profiles_config/medcom-carecommunication-inbound-opspor-1.yaml``;
  whether it replies to a message opspor sent, or is a new message and to whom, is read here.

This module checks the form only (no database): the ids, the event code, the sender
Organization with its SOR code, the focus, and per kind what opspor needs. Each problem names
the element, the problem and the fix (:class:`Problem`). Whether the sender may send, whether
the message replied to exists, and exactly-once are decided by ``web.messaging.actions``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field

from opspor.fhir import medcom, profiles

ACK_EVENT = "acknowledgement-message"
CARE_EVENT = "care-communication-message"
HN_EVENT = medcom.HN_EVENT
EVENTS = (ACK_EVENT, CARE_EVENT, HN_EVENT)
HN_PROFILE = "medcom-hospitalnotification"  # the rules a received HospitalNotification must meet
CC_PROFILE = "medcom-carecommunication-inbound"  # the rules a received CareCommunication must meet
ACK_CODES = ("ok", "transient-error", "fatal-error")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@dataclass(frozen=True)
class Problem:
    element: str
    problem: str
    fix: str

    def __str__(self) -> str:
        return f"{self.element}: {self.problem}. Fix: {self.fix}"


class Invalid(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(map(str, problems)))
        self.problems = problems


@dataclass
class Received:
    """What opspor takes from a valid incoming message."""

    bundle_id: str
    header_id: str
    event: str
    sender_sor: str
    sender_name: str
    acknowledges: str = ""  # acknowledgement: the id of the message acknowledged
    ack_code: str = ""
    replies_to: str = ""  # reply: the MessageHeader id of the message replied to
    patient_cpr: str = ""
    text: str = ""
    author: str = ""
    payload: dict = field(default_factory=dict)
    # HospitalNotification: the stay, where (the department's SOR code), and what happened
    stay: medcom.Stay | None = None
    # a new CareCommunication (not a reply): a referral to a municipal acute function
    new_message: bool = False
    receiver_sor: str = ""
    author_phone: str = ""
    written_at: dt.datetime | None = None
    provider_sor: str = ""
    activity: str = ""

    @property
    def key(self) -> str:
        """The reliable-messaging key: Bundle.id and MessageHeader.id together."""
        return f"{self.bundle_id}/{self.header_id}"


def ids_of(body: bytes) -> tuple[str, str]:
    """(Bundle.id, MessageHeader.id) as far as they can be read, for recording a refusal."""
    try:
        bundle = json.loads(body)
        header = bundle["entry"][0]["resource"]
        return str(bundle.get("id", ""))[:64], str(header.get("id", ""))[:64]
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return "", ""


def _index(bundle: dict) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for entry in bundle.get("entry") or []:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            continue
        if entry.get("fullUrl"):
            found[entry["fullUrl"]] = resource
        if resource.get("resourceType") and resource.get("id"):
            found[f"{resource['resourceType']}/{resource['id']}"] = resource
    return found


def _resolve(index: dict[str, dict], ref, kind: str) -> dict | None:
    reference = ref.get("reference", "") if isinstance(ref, dict) else ""
    resource = index.get(reference) or index.get("/".join(reference.split("/")[-2:]))
    return resource if resource and resource.get("resourceType") == kind else None


def _identifier(resource: dict, system: str) -> str:
    for ident in resource.get("identifier") or []:
        if isinstance(ident, dict) and ident.get("system") == system and ident.get("value"):
            return str(ident["value"])
    return ""


def _replied_to(index: dict[str, dict], bundle: dict, header_id: str) -> str:
    for resource in index.values():
        if resource.get("resourceType") != "Provenance":
            continue
        codes = [c.get("code") for c in (resource.get("activity") or {}).get("coding") or []]
        if "reply-message" not in codes:
            continue
        for entity in resource.get("entity") or []:
            if entity.get("role") != "revision":
                continue
            what = entity.get("what") or {}
            candidate = str(what.get("reference", "")).rstrip("/").split("/")[-1] or \
                str((what.get("identifier") or {}).get("value", ""))
            candidate = candidate.removeprefix("urn:uuid:")
            if _UUID.fullmatch(candidate) and candidate != header_id:
                return candidate.lower()
    return ""


def read(body: bytes) -> Received:
    """The message in ``body`` (FHIR JSON), or :class:`Invalid` naming every problem found."""
    try:
        bundle = json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        raise Invalid([Problem("Bundle", f"not valid JSON ({e})", "send one FHIR message Bundle as JSON "
                               "(application/fhir+json)")]) from None
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise Invalid([Problem("Bundle.resourceType", "the body is not a Bundle", 'send a Bundle with '
                               '"type": "message" whose first entry is the MessageHeader')])
    problems: list[Problem] = []
    if bundle.get("type") != "message":
        problems.append(Problem("Bundle.type", f"must be 'message', is {bundle.get('type')!r}",
                                'set "type": "message"'))
    bundle_id = str(bundle.get("id") or "")
    if not _UUID.fullmatch(bundle_id):
        problems.append(Problem("Bundle.id", "missing or not a UUID", "give the Bundle a UUID id (the same one on "
                                "every resend of this message)"))
    entries = bundle.get("entry") if isinstance(bundle.get("entry"), list) else []
    header = entries[0].get("resource") if entries and isinstance(entries[0], dict) else None
    if not isinstance(header, dict) or header.get("resourceType") != "MessageHeader":
        problems.append(Problem("Bundle.entry[0].resource", "the first entry is not a MessageHeader",
                                "put the MessageHeader first"))
        raise Invalid(problems)
    header_id = str(header.get("id") or "")
    if not _UUID.fullmatch(header_id):
        problems.append(Problem("MessageHeader.id", "missing or not a UUID", "give the MessageHeader a UUID id "
                                "(the same one on every resend)"))
    coding = header.get("eventCoding") if isinstance(header.get("eventCoding"), dict) else {}
    event = coding.get("code", "")
    if coding.get("system") != medcom.MESSAGE_EVENTS or event not in EVENTS:
        problems.append(Problem("MessageHeader.eventCoding", f"event {coding.get('system', '')}#{event} is not "
                                "one opspor receives", f"use system {medcom.MESSAGE_EVENTS} with code "
                                + " or ".join(EVENTS)))
    index = _index(bundle)
    sender = _resolve(index, header.get("sender"), "Organization")
    sor = _identifier(sender, medcom.SOR_SYSTEM) if sender else ""
    if sender is None:
        problems.append(Problem("MessageHeader.sender", "does not refer to an Organization in the Bundle",
                                "add the sending Organization as an entry and refer to it"))
    elif not sor:
        problems.append(Problem("MessageHeader.sender.resolve().identifier", "the sender has no SOR code",
                                f"add an identifier with system {medcom.SOR_SYSTEM} and the sender's SOR code"))
    received = Received(bundle_id=bundle_id.lower(), header_id=header_id.lower(), event=event, sender_sor=sor,
                        sender_name=str((sender or {}).get("name", ""))[:200], payload=bundle)
    if event == ACK_EVENT:
        response = header.get("response") if isinstance(header.get("response"), dict) else {}
        received.acknowledges = str(response.get("identifier", "")).lower()
        received.ack_code = str(response.get("code", ""))
        if not _UUID.fullmatch(received.acknowledges):
            problems.append(Problem("MessageHeader.response.identifier", "missing or not a message id",
                                    "give the id of the message acknowledged"))
        if received.ack_code not in ACK_CODES:
            problems.append(Problem("MessageHeader.response.code", f"{received.ack_code!r} is not a response code",
                                    "use " + ", ".join(ACK_CODES)))
    elif event == CARE_EVENT:
        problems.extend(profile_problems(bundle, CC_PROFILE))
        focus = (header.get("focus") or [None])[0]
        communication = _resolve(index, focus, "Communication")
        if communication is not None:
            texts = [p.get("contentString", "") for p in communication.get("payload") or [] if isinstance(p, dict)]
            received.text = "\n\n".join(t for t in texts if t).strip()
            patient = _resolve(index, communication.get("subject"), "Patient")
            received.patient_cpr = _identifier(patient, medcom.CPR_SYSTEM) if patient else ""
            for resource in index.values():
                if resource.get("resourceType") == "Practitioner" and resource.get("name"):
                    name = resource["name"][0]
                    received.author = " ".join([*name.get("given", []), name.get("family", "")]).strip()[:200]
                    break
        received.replies_to = _replied_to(index, bundle, received.header_id)
        if not received.replies_to and communication is not None and _activity(index) == "new-message":
            _read_new_message(received, header, communication, index, problems)
        elif not received.replies_to:
            problems.append(Problem("Provenance.entity.what", "the message is not a reply to a message opspor sent",
                                    "send a reply: a Provenance with activity reply-message and an entity with role "
                                    "revision whose what refers to the MessageHeader of opspor's message"))
    elif event == HN_EVENT:
        found = profile_problems(bundle, HN_PROFILE)
        problems.extend(found)
        if not found:
            _read_notification(received, header, index)
    if problems:
        raise Invalid(problems)
    return received


def _activity(index: dict[str, dict]) -> str:
    for resource in index.values():
        if resource.get("resourceType") == "Provenance":
            for coding in (resource.get("activity") or {}).get("coding") or []:
                if isinstance(coding, dict) and coding.get("code"):
                    return str(coding["code"])
    return ""


def _read_new_message(received: Received, header: dict, communication: dict, index: dict[str, dict],
                      problems: list[Problem]) -> None:
    """A new CareCommunication: to whom (the destination's SOR code), the author's phone and the
    payload's date."""
    received.new_message = True
    destination = (header.get("destination") or [{}])[0]
    receiver = _resolve(index, destination.get("receiver") if isinstance(destination, dict) else None, "Organization")
    received.receiver_sor = _identifier(receiver, medcom.SOR_SYSTEM) if receiver else ""
    if not received.receiver_sor:
        problems.append(Problem("MessageHeader.destination.receiver", "no Organization with a SOR code",
                                f"refer to the receiving organisation, with an identifier of system {medcom.SOR_SYSTEM}"))
    for payload in communication.get("payload") or []:
        for ext in payload.get("extension") or [] if isinstance(payload, dict) else []:
            if ext.get("url") == medcom.EXT_AUTHOR_CONTACT:
                received.author_phone = str((ext.get("valueContactPoint") or {}).get("value", ""))[:40]
            elif ext.get("url") == medcom.EXT_DATETIME and ext.get("valueDateTime"):
                # its form is checked by the profile rules (communication.payload.datetime)
                received.written_at = profiles.parse_datetime(ext["valueDateTime"])


def profile_problems(bundle: dict, name: str) -> list[Problem]:
    """The findings of the profile rules ``name`` as problems told to the sender: the rule's
    element, problem and fix (a rule without a fix names its rule and source as the fix)."""
    return [Problem(f.element or f.path, f.message, f.fix or f"meet rule {f.rule} of {profiles.profile(name).title}")
            for f in profiles.findings(bundle, name, base=False)]


def _read_notification(received: Received, header: dict, index: dict[str, dict]) -> None:
    """The HospitalNotification's Encounter, Patient, department and activity into ``received``;
    called once the profile rules hold, so every value read here is there and well-formed."""
    encounter = _resolve(index, (header.get("focus") or [None])[0], "Encounter")
    period = encounter.get("period") or {}
    leave = next((x["valuePeriod"] for x in encounter.get("extension") or [] if isinstance(x, dict)
                  and x.get("url") == medcom.EXT_LEAVE_PERIOD and isinstance(x.get("valuePeriod"), dict)), {})
    received.provider_sor = _identifier(_resolve(index, encounter.get("serviceProvider"), "Organization"),
                                        medcom.SOR_SYSTEM)
    received.patient_cpr = _identifier(_resolve(index, encounter.get("subject"), "Patient"), medcom.CPR_SYSTEM)
    received.activity = _activity(index)
    episode = next(e["identifier"]["value"] for e in encounter["episodeOfCare"]
                   if isinstance(e, dict) and isinstance(e.get("identifier"), dict) and e["identifier"].get("value"))
    moment = profiles.parse_datetime
    received.stay = medcom.Stay(
        episode=str(episode)[:120], status=encounter["status"], encounter_class=str(encounter["class"]["code"])[:10],
        start=moment(period["start"]), end=moment(period["end"]) if period.get("end") else None,
        leave_start=moment(leave["start"]) if leave.get("start") else None,
        leave_end=moment(leave["end"]) if leave.get("end") else None)
