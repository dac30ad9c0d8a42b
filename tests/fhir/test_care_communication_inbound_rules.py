"""The checks of a received MedCom CareCommunication are profile rules
(profiles_config/medcom-carecommunication-inbound-opspor-1.yaml) interpreted by
opspor.fhir.profiles, as the HospitalNotification's: each malformed element is refused naming the
element, the problem and the fix; a good reply is read with its text, patient and the message it
answers, a good new message with its receiver and date. No database (the live server's refusals:
tests/web/inbound/test_receive_messages.py)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import uuid

import pytest

from opspor.fhir import medcom, medcom_inbound, profiles
from tests.fhir.test_hospital_notification_rules import of, refused

NOW = dt.datetime(2026, 3, 4, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
GP = medcom.Party("Lægehuset", "990000000012345", "5790000000012")
REGION = medcom.Party("Region Syddanmark", "991083000016002", "5799999010830")
ORIGINAL = str(uuid.uuid4())


def message(reply: bool = True) -> dict:
    return medcom.care_communication(
        message_id=str(uuid.uuid4()), sent_at=NOW, sender=GP, receiver=REGION,
        patient=medcom.Patient("0101401234", "Ida", "Hansen"),
        author=medcom.Author(given="Lise", family="Læge", role_code="laege", phone="66 11 22 33"),
        category="carecoordination", topic="Svar", text="Tak, jeg ser hende i morgen.", fhir_base="https://gp.example/fhir",
        reply_to=ORIGINAL if reply else None)


def _date_ext(bundle: dict) -> dict:
    return next(x for p in of(bundle, "Communication")["payload"] for x in p.get("extension", [])
                if x["url"] == medcom.EXT_DATETIME)


def test_a_good_reply_and_a_good_new_message_are_read():
    got = medcom_inbound.read(json.dumps(message()).encode())
    assert (got.text, got.patient_cpr, got.replies_to, got.author) == (
        "Tak, jeg ser hende i morgen.", "0101401234", ORIGINAL, "Lise Læge")
    assert profiles.findings(message(), "medcom-carecommunication-inbound", base=False) == []
    new = message(reply=False)
    got = medcom_inbound.read(json.dumps(new).encode())
    assert got.new_message and got.receiver_sor == REGION.sor and got.author_phone == "66 11 22 33"
    assert got.written_at == profiles.parse_datetime(_date_ext(new)["valueDateTime"])


BROKEN = [  # (id, change, element, problem, fix contains)
    ("focus", lambda b: b["entry"][0]["resource"].update(focus=[{"reference": "Patient/x"}]),
     "MessageHeader.focus", "does not refer to a Communication in the Bundle", "set focus to the Communication"),
    ("no-text", lambda b: [p.update(contentString="") for p in of(b, "Communication")["payload"]],
     "Communication.payload.contentString", "the message has no text", "add a payload with contentString"),
    ("no-cpr", lambda b: of(b, "Patient").update(identifier=[]),
     "Communication.subject", "no Patient with a CPR number", "urn:oid:1.2.208.176.1.2"),
    ("no-subject", lambda b: of(b, "Communication").pop("subject"),
     "Communication.subject", "no Patient with a CPR number", "refer to the Patient"),
    ("date-no-zone", lambda b: _date_ext(b).update(valueDateTime="2026-03-04T09:30:00"),
     "Communication.payload.extension(date)", "'2026-03-04T09:30:00' is not a date-time with a time zone", "offset"),
]


@pytest.mark.parametrize("reply", [True, False], ids=["reply", "new"])
@pytest.mark.parametrize("change,element,problem,fix", [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_each_malformed_element_is_refused_with_the_element_the_problem_and_the_fix(change, element, problem, fix,
                                                                                   reply):
    bundle = copy.deepcopy(message(reply))
    change(bundle)
    problems = refused(bundle)
    found = [(p.element, p.problem) for p in problems]
    # a new message whose focus is broken cannot be read as one either: refused as not a reply too
    assert found[0] == (element, problem), found
    assert len(found) == (2 if element == "MessageHeader.focus" and not reply else 1), found
    assert fix in problems[0].fix and str(problems[0]).startswith(f"{element}: {problem}. Fix: ")


def test_every_rule_names_its_element_and_fix_and_the_checks_live_in_the_file():
    rules = profiles.profile("medcom-carecommunication-inbound").rules
    assert {r.id for r in rules} == {"header.focus", "communication.text", "communication.subject",
                                     "communication.payload.datetime"}
    assert all(r.element and r.fix for r in rules)
    from pathlib import Path

    source = Path(medcom_inbound.__file__).read_text(encoding="utf-8")
    assert "the message has no text" not in source and "no Patient with a CPR number" not in source
