"""The MedCom CareCommunication builder and the profile checker (opspor.fhir.medcom, .profiles).

Each constraint is broken on purpose and must fail with the element path and the rule; the
built messages and a hand-written equivalent of the IG's "1st message" example must pass.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from opspor.fhir import medcom, profiles
from tests.fhir.fhir_kit import read_profile

EXAMPLE = Path(__file__).parent / "data" / "medcom_cc_new_message_example.json"
OPSPOR = str(Path(sys.executable).with_name("opspor"))
NOW = dt.datetime(2026, 3, 4, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
SENDER = medcom.Party("Region Syddanmark, Aktiv Patientstøtte", "991083000016002", "5799999010830", "70001083")
RECEIVER = medcom.Party("Lægehuset", "9901234516002", "5799998012345")


def built(**changes) -> dict:
    values = dict(message_id=str(uuid.uuid4()), sent_at=NOW, sender=SENDER, receiver=RECEIVER,
                  patient=medcom.Patient("0101481234", "Anna", "Hansen"),
                  author=medcom.Author("Nina", "Sygeplejerske", "sygeplejerske", "70001083"),
                  category="carecoordination", topic="Aktiv Patientstøtte: inkluderet",
                  text="Din patient er inkluderet i Aktiv Patientstøtte.", fhir_base="https://opspor.invalid/fhir")
    values.update(changes)
    return medcom.care_communication(**values)


def alert() -> dict:
    return medcom.data_alert(message_id=str(uuid.uuid4()), sent_at=NOW, sender=SENDER, receiver=RECEIVER,
                             month=dt.date(2026, 2, 1), indicator="repeated_acute", observed=14, expected=6.2,
                             ratio=2.26, p_value=0.0021, text="Dataalarm", fhir_base="https://opspor.invalid/fhir")


def resource(bundle: dict, kind: str) -> dict:
    return next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind)


def test_built_message_conforms_and_carries_the_inputs():
    message_id = str(uuid.uuid4())
    bundle = built(message_id=message_id)
    assert profiles.findings(bundle, "medcom-carecommunication") == []
    assert bundle["id"] == message_id and bundle["entry"][0]["resource"]["id"] == message_id
    assert bundle["type"] == "message" and bundle["entry"][0]["resource"]["resourceType"] == "MessageHeader"
    patient = resource(bundle, "Patient")
    assert patient["identifier"] == [{"system": "urn:oid:1.2.208.176.1.2", "value": "0101481234"}]
    header = bundle["entry"][0]["resource"]
    assert header["destination"][0]["endpoint"] == "https://sor2.sum.dsdn.dk/#id=9901234516002"
    receiver = next(e["resource"] for e in bundle["entry"]
                    if f"Organization/{e['resource']['id']}" == header["destination"][0]["receiver"]["reference"])
    assert {"system": "urn:oid:1.3.88", "value": "5799998012345"} in receiver["identifier"]
    assert resource(bundle, "Communication")["payload"][0]["contentString"].startswith("Din patient")
    json.dumps(bundle)  # JSON-ready


def test_hand_written_equivalent_of_the_ig_example_conforms():
    bundle = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert profiles.findings(bundle, "medcom-carecommunication") == []


def test_data_alert_conforms_and_has_no_person():
    bundle = alert()
    assert profiles.findings(bundle, "opspor-data-alert") == []
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert kinds == {"MessageHeader", "MeasureReport", "Organization", "Provenance"}
    report = resource(bundle, "MeasureReport")
    assert report["type"] == "summary" and report["period"] == {"start": "2026-02-01", "end": "2026-02-28"}
    assert report["group"][0]["population"][0]["count"] == 14


def _set(path: list, value):
    def change(bundle):
        target = bundle
        for step in path[:-1]:
            target = target[step]
        if value is DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value
    return change


DELETE = object()
E = "entry"


def _entry(kind: str, *rest):
    """A change addressed by resource type: (kind, path below the resource)."""
    return kind, list(rest)


BROKEN = [
    # (what is broken, change, expected rule id, expected path fragment)
    ("bundle type", lambda b: b.update(type="collection"), "messaging-message.type", "Bundle.type"),
    ("no timestamp", lambda b: b.pop("timestamp"), "messaging-message.timestamp", "Bundle.timestamp"),
    ("header not first", lambda b: b[E].append(b[E].pop(0)), "careCommunication-1", "Bundle.entry[0]"),
    ("event code", ("MessageHeader", ["eventCoding", "code"], "hospital-notification-message"), "header.event.code", "eventCoding.code"),
    ("no destination use", ("MessageHeader", ["destination", 0, "extension"], DELETE), "header.destination.use", "destination[0]"),
    ("receiver dangling", ("MessageHeader", ["destination", 0, "receiver", "reference"], "Organization/nowhere"), "header.destination.receiver", "receiver.reference"),
    ("focus not communication", ("MessageHeader", ["focus", 0, "reference"], "Patient/x"), "header.focus", "focus"),
    ("status", ("Communication", ["status"], "completed"), "communication.status", "status"),
    ("category unknown", ("Communication", ["category", 0, "coding", 0, "code"], "gossip"), "communication.category.code", "category"),
    ("priority outside referral", ("Communication", ["priority"], "asap"), "careCommunication-5", "priority"),
    ("other without topic", "other-without-topic", "careCommunication-6", "topic.text"),
    ("identifier not uuid", ("Communication", ["identifier", 0, "value"], "12345"), "communication.identifier.uuid", "identifier"),
    ("no message text", ("Communication", ["payload", 0, "contentString"], DELETE), "communication.payload.string", "payload.contentString"),
    ("no author contact", "drop-author-contact", "payload.string.authorContact", "medcom-core-contact-extension"),
    ("two patients", "two-patients", "careCommunication-2", "ofType(Patient)"),
    ("cpr malformed", ("Patient", ["identifier", 0, "value"], "12345"), "patient.cpr", "identifier"),
    ("no official name", ("Patient", ["name", 0, "use"], "usual"), "patient.name.official", "name"),
    ("organization without EAN", "drop-ean", "organization.ean", "urn:oid:1.3.88"),
    ("practitioner without name", ("Practitioner", ["name"], DELETE), "careCommunication-4", "name"),
    ("role without code", ("PractitionerRole", ["code"], DELETE), "careCommunication-7", "PractitionerRole"),
    ("provenance profile", ("Provenance", ["meta", "profile"], ["http://example.org/other"]), "careCommunication-3", "meta.profile"),
    ("provenance activity", ("Provenance", ["activity", "coding", 0, "code"], "admit-inpatient"), "provenance.activity", "activity"),
    ("provenance payload id", ("Provenance", ["entity", 0, "what", "identifier", "value"], "urn:uuid:00000000-0000-4000-8000-000000000000"), "provenance.entity.payload.matches", "entity[0]"),
    ("encounter without Encounter", ("Communication", ["encounter"], {"reference": "Encounter/x"}), "careCommunication-15", "encounter"),
]


def _apply(bundle: dict, change) -> None:
    if callable(change):
        change(bundle)
    elif change == "other-without-topic":
        c = resource(bundle, "Communication")
        c["category"][0]["coding"][0]["code"] = "other"
        del c["topic"]
    elif change == "drop-author-contact":
        p = resource(bundle, "Communication")["payload"][0]
        p["extension"] = [x for x in p["extension"] if not x["url"].endswith("contact-extension")]
    elif change == "two-patients":
        extra = copy.deepcopy(next(e for e in bundle[E] if e["resource"]["resourceType"] == "Patient"))
        extra["resource"]["id"] = "second"
        extra["fullUrl"] += "-2"
        bundle[E].append(extra)
    elif change == "drop-ean":
        org = resource(bundle, "Organization")
        org["identifier"] = [i for i in org["identifier"] if i["system"] != "urn:oid:1.3.88"]
    else:
        kind, path, value = change
        _set(path, value)(resource(bundle, kind))


@pytest.mark.parametrize("what,change,rule,where", BROKEN, ids=[b[0] for b in BROKEN])
@pytest.mark.parametrize("source", ["built", "example"])
def test_each_broken_constraint_fails_with_path_and_rule(what, change, rule, where, source):
    bundle = built() if source == "built" else json.loads(EXAMPLE.read_text(encoding="utf-8"))
    _apply(bundle, change)
    found = profiles.findings(bundle, "medcom-carecommunication")
    matching = [f for f in found if f.rule == rule]
    assert matching, f"{what}: expected rule {rule}, got {[str(f) for f in found]}"
    assert any(where in f.path for f in matching), [str(f) for f in matching]
    assert str(matching[0]).startswith(matching[0].path) and f"[{rule}]" in str(matching[0])
    with pytest.raises(profiles.ProfileError) as info:
        profiles.check(bundle, "medcom-carecommunication")
    assert rule in str(info.value) and "MedCom CareCommunication 5.0.4" in str(info.value)


def test_base_model_errors_are_findings():
    bundle = built()
    resource(bundle, "Communication")["status"] = 42
    found = profiles.findings(bundle, "medcom-carecommunication")
    assert any(f.rule == "fhir-r4-base" for f in found)


@pytest.mark.parametrize("change,rule", [
    (lambda b: b[E].append({"fullUrl": "https://x.invalid/Patient/p", "resource": {"resourceType": "Patient", "id": "p"}}), "alert.no-person"),
    (lambda b: resource(b, "MeasureReport").update(type="individual"), "alert.report.type"),
    (lambda b: resource(b, "MeasureReport").update(subject={"reference": "Patient/p"}), "alert.report.subject"),
    (lambda b: resource(b, "MessageHeader").update(eventCoding={"system": "urn:x", "code": "data-alert"}), "alert.event.system"),
], ids=["patient", "individual-report", "subject", "event-system"])
def test_data_alert_rules(change, rule):
    bundle = alert()
    change(bundle)
    assert rule in {f.rule for f in profiles.findings(bundle, "opspor-data-alert")}


def test_acknowledgement_names_the_message():
    bundle = built()
    ack = medcom.acknowledgement(of=bundle, ack_id=str(uuid.uuid4()), code="ok", at=NOW, fhir_base="https://r.invalid")
    assert medcom.acknowledged_id(ack) == (bundle["id"], "ok")
    assert medcom.acknowledged_id(bundle) is None


def test_profile_config_errors_name_file_and_key(tmp_path, monkeypatch):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: '1'\nname: x\ntitle: x\nrules:\n  - {id: a, source: s, path: Bundle.id, minimum: 1}\n")
    with pytest.raises(profiles.ProfileConfigError, match=r"bad.yaml: at rules\[0\].minimum: unknown key"):
        read_profile(bad)
    bad.write_text("version: '1'\nname: x\ntitle: x\nrules:\n  - {id: a, source: s, path: Bundle.id}\n")
    with pytest.raises(profiles.ProfileConfigError, match="says nothing to check"):
        read_profile(bad)


@pytest.mark.slow
def test_validate_command(tmp_path):
    good = tmp_path / "good.json"
    good.write_text(json.dumps(built()))
    done = subprocess.run([OPSPOR, "messages", "validate", str(good)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "conforms to MedCom CareCommunication 5.0.4" in done.stdout
    broken = built()
    resource(broken, "Communication")["status"] = "completed"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(broken))
    done = subprocess.run([OPSPOR, "messages", "validate", str(bad)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "Communication).status: must be 'unknown', is 'completed' [communication.status]" in done.stdout
