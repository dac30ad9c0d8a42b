"""The checks of a received MedCom HospitalNotification are profile rules
(profiles_config/medcom-hospitalnotification-opspor-1.yaml) interpreted by opspor.fhir.profiles,
the interpreter of the CareCommunication's rules: each broken element is refused naming the
element, the problem and the fix; a good one is read into the stay. No database (the live
server's refusals: tests/web/inbound/test_hospital_notification.py)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import uuid

import pytest

from opspor.fhir import medcom, medcom_inbound, profiles

NOW = dt.datetime(2026, 3, 4, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
DEPT = medcom.Party("OUH, Medicinsk afdeling", "990000000011111", "5790000000011")
REGION = medcom.Party("Region Syddanmark", "991083000016002", "5799999010830")


def notification(**stay) -> dict:
    values = dict(episode="urn:uuid:stay-1", status="in-progress", encounter_class="IMP",
                  start=NOW - dt.timedelta(hours=1))
    values.update(stay)
    activity = {"onleave": "start-leave-inpatient", "finished": "discharge-inpatient-home"}.get(values["status"],
                                                                                              "admit-inpatient")
    return medcom.hospital_notification(message_id=str(uuid.uuid4()), sent_at=NOW, sender=DEPT, receiver=REGION,
                                        service_provider=DEPT, patient=medcom.Patient("0101401234", "Pia", "Intradag"),
                                        stay=medcom.Stay(**values), activity=activity, fhir_base="https://ouh.example/fhir")


def of(bundle: dict, kind: str) -> dict:
    return next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind)


def refused(bundle: dict) -> list[medcom_inbound.Problem]:
    with pytest.raises(medcom_inbound.Invalid) as info:
        medcom_inbound.read(json.dumps(bundle).encode())
    return info.value.problems


def test_a_good_notification_is_read_into_the_stay():
    leave = NOW - dt.timedelta(minutes=10)
    got = medcom_inbound.read(json.dumps(notification(status="onleave", leave_start=leave)).encode())
    assert got.stay == medcom.Stay(episode="urn:uuid:stay-1", status="onleave", encounter_class="IMP",
                                   start=NOW - dt.timedelta(hours=1), leave_start=leave)
    assert (got.provider_sor, got.patient_cpr, got.activity) == (DEPT.sor, "0101401234", "start-leave-inpatient")
    assert profiles.findings(notification(), "medcom-hospitalnotification", base=False) == []


def _drop_provider_sor(b):
    org = next(e["resource"] for e in b["entry"]
               if f"Organization/{e['resource']['id']}" == of(b, "Encounter")["serviceProvider"]["reference"])
    org["identifier"] = [i for i in org["identifier"] if i["system"] != medcom.SOR_SYSTEM]


BROKEN = [  # (id, change, element, problem, fix contains)
    ("focus", lambda b: b["entry"][0]["resource"].update(focus=[{"reference": "Patient/x"}]),
     "MessageHeader.focus", "does not refer to an Encounter in the Bundle", "set focus"),
    ("status", lambda b: of(b, "Encounter").update(status="planned"),
     "Encounter.status", "'planned' is not a HospitalNotification status", "use in-progress, onleave"),
    ("no-status", lambda b: of(b, "Encounter").pop("status"), "Encounter.status", "missing", "use in-progress"),
    ("class", lambda b: of(b, "Encounter")["class"].update(code=""), "Encounter.class", "missing", "IMP or EMER"),
    ("episode", lambda b: of(b, "Encounter").pop("episodeOfCare"), "Encounter.episodeOfCare.identifier", "missing",
     "identifier of the whole hospital stay"),
    ("start", lambda b: of(b, "Encounter")["period"].pop("start"), "Encounter.period.start", "missing", "ISO 8601"),
    ("start-no-zone", lambda b: of(b, "Encounter")["period"].update(start="2026-03-04T09:30:00"),
     "Encounter.period.start", "'2026-03-04T09:30:00' is not a date-time with a time zone", "offset"),
    ("end-before-start", lambda b: of(b, "Encounter")["period"].update(end="2026-03-01T09:30:00+01:00"),
     "Encounter.period.end", "before period.start", "after its start"),
    ("provider", _drop_provider_sor, "Encounter.serviceProvider", "no Organization with a SOR code",
     "urn:oid:1.2.208.176.1.1"),
    ("subject", lambda b: of(b, "Patient").update(identifier=[]), "Encounter.subject", "no Patient with a CPR number",
     "urn:oid:1.2.208.176.1.2"),
    ("activity", lambda b: of(b, "Provenance")["activity"]["coding"][0].update(code="new-message"),
     "Provenance.activity", "no HospitalNotification activity (found 'new-message')", "admit-inpatient"),
    ("no-provenance", lambda b: b.update(entry=[e for e in b["entry"] if e["resource"]["resourceType"] != "Provenance"]),
     "Provenance.activity", "no HospitalNotification activity (found none)", "add a Provenance"),
]


@pytest.mark.parametrize("change,element,problem,fix", [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_each_broken_element_is_refused_with_the_element_the_problem_and_the_fix(change, element, problem, fix):
    bundle = copy.deepcopy(notification())
    change(bundle)
    problems = refused(bundle)
    assert [(p.element, p.problem) for p in problems] == [(element, problem)], [str(p) for p in problems]
    assert fix in problems[0].fix and str(problems[0]).startswith(f"{element}: {problem}. Fix: ")


def test_the_stay_s_conditions_follow_its_status():
    # finished without an end; on leave without the leave's start (medcom-hospitalNotification-6)
    assert [(p.element, p.problem) for p in refused(notification(status="finished"))] == [
        ("Encounter.period.end", "missing")]
    assert [(p.element, p.problem) for p in refused(notification(status="onleave"))] == [
        ("Encounter.extension(leavePeriod).valuePeriod.start", "missing")]
    bad_leave = notification(status="onleave", leave_start=NOW)
    of(bad_leave, "Encounter")["extension"][0]["valuePeriod"]["end"] = "morgen"
    assert [(p.element, p.problem) for p in refused(bad_leave)] == [
        ("Encounter.extension(leavePeriod).valuePeriod.end", "'morgen' is not a date-time with a time zone")]


def test_every_rule_of_the_notification_names_its_element_and_fix():
    rules = profiles.profile("medcom-hospitalnotification").rules
    assert rules and all(r.element and r.fix for r in rules), [r.id for r in rules if not (r.element and r.fix)]
    assert not hasattr(medcom_inbound, "HN_ACTIVITIES")  # the codes live in the rules file only


def test_rule_keys_for_refusals_are_checked(tmp_path):
    from tests.fhir.fhir_kit import read_profile

    bad = tmp_path / "bad.yaml"
    bad.write_text("version: '1'\nname: x\ntitle: x\nrules:\n  - {id: a, source: s, path: Bundle.id, min: 1, fix: ''}\n")
    with pytest.raises(profiles.ProfileConfigError, match=r"rules\[0\].fix: must be a non-empty text"):
        read_profile(bad)
    bad.write_text("version: '1'\nname: x\ntitle: x\nrules:\n  - {id: a, source: s, path: Bundle.id, datetime: yes2}\n")
    with pytest.raises(profiles.ProfileConfigError, match=r"rules\[0\].datetime: must be true"):
        read_profile(bad)
