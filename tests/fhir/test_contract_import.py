"""``opspor fhir import`` on hand-made FHIR files: any mix and order of NDJSON and Bundles, and a
clear refusal, with file, line / entry and element, for each kind of bad input."""

from __future__ import annotations

import csv
import json

import pytest

from tests.support import assert_no_cpr

CPR = "0101701234"
CPR2 = "0202802345"
SKS = "urn:oid:1.2.208.176.2.4"
BASE = "https://opspor.dk/fhir"


def patient(pid: str, cpr: str = CPR, **extra) -> dict:
    return {
        "resourceType": "Patient", "id": pid,
        "identifier": [{"system": "urn:oid:1.2.208.176.1.2", "value": cpr}],
        "name": [{"use": "official", "family": "Hansen", "given": ["Inger", "Marie"]}],
        "gender": "female", "birthDate": "1970-01-01",
        "address": [{"extension": [{
            "url": "http://hl7.dk/fhir/core/StructureDefinition/dk-core-municipalityCodes",
            "valueCodeableConcept": {"coding": [{
                "system": "http://hl7.dk/fhir/core/CodeSystem/dk-core-municipality-codes", "code": "0461"}]}}]}],
        "generalPractitioner": [{"identifier": {"system": "urn:oid:1.2.208.176.1.4", "value": "012345"}}],
        **extra,
    }


def encounter(eid: str, subject: str, contact_id: str, **extra) -> dict:
    return {
        "resourceType": "Encounter", "id": eid,
        "identifier": [{"system": f"{BASE}/sid/contact-id", "value": contact_id}],
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
        "type": [{"coding": [{"system": f"{BASE}/CodeSystem/contact-type", "code": "physical"}]}],
        "serviceType": {"coding": [{"system": f"{BASE}/CodeSystem/specialty", "code": "medicine"}]},
        "priority": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActPriority", "code": "EM"}]},
        "subject": {"reference": subject},
        "period": {"start": "2025-03-01T10:00:00+01:00", "end": "2025-03-03T09:30:00Z"},
        "location": [{"location": {"identifier": {"system": f"{BASE}/sid/department", "value": "OUH-MED"}}}],
        "serviceProvider": {"identifier": {"system": f"{BASE}/sid/hospital-unit", "value": "OUH"}},
        "extension": [{"url": f"{BASE}/StructureDefinition/course-department",
                       "valueIdentifier": {"system": f"{BASE}/sid/department", "value": "OUH-AKM"}}],
        **extra,
    }


def condition(cid: str, enc: str, subject: str, code: str, kind: str | None = "action", **extra) -> dict:
    res = {"resourceType": "Condition", "id": cid, "code": {"coding": [{"system": SKS, "code": code}]},
           "subject": {"reference": subject}, "encounter": {"reference": enc}, **extra}
    if kind:
        res["category"] = [{"coding": [{"system": f"{BASE}/CodeSystem/diagnosis-kind", "code": kind}]}]
    return res


def procedure(pid: str, enc: str, subject: str, code: str) -> dict:
    return {"resourceType": "Procedure", "id": pid, "status": "completed",
            "code": {"coding": [{"system": SKS, "code": code}]},
            "subject": {"reference": subject}, "encounter": {"reference": enc}}


def ndjson(path, *resources) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in resources))
    return str(path)


def bundle(path, *entries: tuple[str | None, dict]) -> str:
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": [
        {**({"fullUrl": url} if url else {}), "resource": r} for url, r in entries]}))
    return str(path)


def read_csv(path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_mixed_bundle_and_ndjson_in_any_order(run_opspor, tmp_path):
    """Encounters come before their Patients; references by id, by urn:uuid fullUrl, by absolute
    URL and by CPR identifier; a Condition without a kind takes it from Encounter.diagnosis.rank."""
    uuid_p2 = "urn:uuid:7b6f1e8c-2d7a-4c1e-9a53-1f0b8f6f0a11"
    uuid_e2 = "urn:uuid:0c0a5c3e-5b1e-4f57-8d5e-2b3b2a1f9e22"
    enc_file = ndjson(
        tmp_path / "Encounter.ndjson",
        encounter("e1", "Patient/p1", "K1", extension=[
            {"url": f"{BASE}/StructureDefinition/course-department", "valueString": "OUH-AKM"},
            {"url": f"{BASE}/StructureDefinition/drg-value", "valueMoney": {"value": 1234.5, "currency": "DKK"}},
            {"url": f"{BASE}/StructureDefinition/pathway", "valueCode": "cancer"}]),
        encounter("e3", "https://fhir.example.org/fhir/Patient/p1/_history/2", "K3", status="in-progress",
                  period={"start": "2025-10-26T02:30:00+01:00"},  # the second 02:30 of the autumn night
                  type=None, **{"class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                                          "code": "HH"}}),
        encounter("e4", "Patient/p1", "K4", status="entered-in-error"),
    )
    bundle_file = bundle(
        tmp_path / "b.json",
        (None, condition("c1", "Encounter/e1", "Patient/p1", "DJ441")),
        (uuid_e2, encounter("e2", uuid_p2, "K2", diagnosis=[
            {"condition": {"reference": "urn:uuid:11111111-2222-4333-8444-555555555555"}, "rank": 2},
            {"condition": {"reference": "Condition/c2a"}, "rank": 1}],
            priority={"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActPriority",
                                  "code": "EL"}]})),
        ("urn:uuid:11111111-2222-4333-8444-555555555555",
         condition("c2b", uuid_e2, uuid_p2, "DI109", kind=None)),
        (None, condition("c2a", uuid_e2, uuid_p2, "DE119", kind=None)),
        (uuid_p2, patient("p2", CPR2, gender="male", birthDate="1980-02-02",
                           deceasedDateTime="2025-06-01T23:30:00Z")),
        (None, procedure("x2", uuid_e2, uuid_p2, "AAF6")),
        (None, condition("c4", "Encounter/e4", "Patient/p1", "DR69")),
    )
    later = ndjson(
        tmp_path / "rest.ndjson",
        condition("c1s", "Encounter/e1", "Patient/p1", "DE119", kind="secondary"),
        condition("c1t", "Encounter/e1", "Patient/p1", "DI109", kind="secondary"),
        procedure("x1", "Encounter/e1", "Patient/p1", "AAF7"),
        {**condition("c3", "Encounter/e3", "", "DZ038"),  # the subject by CPR identifier (a logical reference)
         "subject": {"identifier": {"system": "urn:oid:1.2.208.176.1.2", "value": CPR}}},
        patient("p1", extension=[{"url": f"{BASE}/StructureDefinition/residence-type", "valueCode": "nursing_home"}]),
    )
    single = tmp_path / "one.json"  # a .json file may hold one resource rather than a Bundle
    single.write_text(json.dumps(procedure("x1b", "Encounter/e1", "Patient/p1", "BFCA0")))
    out = tmp_path / "drop"
    done = run_opspor("fhir", "import", enc_file, bundle_file, later, single, out)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "left out: 1 Encounter with status entered-in-error" in done.stdout
    assert "left out: 1 Condition of a left-out Encounter" in done.stdout
    assert_no_cpr(done.stdout, done.stderr)
    assert read_csv(out / "persons.csv") == [
        {"cpr": CPR2, "name": "Inger Marie Hansen", "birth_date": "1980-02-02", "sex": "M", "municipality_code": "461",
         "gp_provider_number": "012345", "residence_type": "", "death_date": "2025-06-02", "phone": "", "email": ""},
        {"cpr": CPR, "name": "Inger Marie Hansen", "birth_date": "1970-01-01", "sex": "F", "municipality_code": "461",
         "gp_provider_number": "012345", "residence_type": "nursing_home", "death_date": "", "phone": "", "email": ""},
    ]
    common = {"hospital_unit": "OUH", "course_department": "OUH-AKM", "contact_department": "OUH-MED",
              "specialty": "medicine", "pathway": "", "drg_value": ""}
    assert read_csv(out / "contacts.csv") == [
        {**common, "contact_id": "K1", "cpr": CPR, "priority": "acute", "contact_type": "physical",
         "start": "2025-03-01T10:00:00", "end": "2025-03-03T10:30:00", "action_diagnosis": "DJ441",
         "secondary_diagnoses": "DE119;DI109", "procedures": "AAF7;BFCA0", "drg_value": "1234.5", "pathway": "cancer"},
        {**common, "contact_id": "K3", "cpr": CPR, "priority": "acute", "contact_type": "home_visit",
         "start": "2025-10-26T02:30:00", "end": "", "action_diagnosis": "DZ038",
         "secondary_diagnoses": "", "procedures": ""},
        {**common, "contact_id": "K2", "cpr": CPR2, "priority": "planned", "contact_type": "physical",
         "start": "2025-03-01T10:00:00", "end": "2025-03-03T10:30:00", "action_diagnosis": "DE119",
         "secondary_diagnoses": "DI109", "procedures": "AAF6"},
    ]
    loaded = run_opspor("ingest", out)
    assert loaded.returncode == 0, loaded.stdout
    assert "PUBLISHED" in loaded.stdout


def _refused(done, out) -> str:
    assert done.returncode == 1, done.stdout + done.stderr
    assert "The import is refused; nothing was written." in done.stdout
    assert not out.exists() and not list(out.parent.glob(f".{out.name}.partial-*"))
    assert_no_cpr(done.stdout, done.stderr)
    return " ".join(done.stdout.split())  # rich wraps long lines


# Each case is one file after a valid Patient p1 (line 1) holding several problems of a kind: all are
# listed in one run. Problems in single resources are found first; references are resolved only
# when every resource could be read, and the diagnoses per contact only when every reference resolves.
@pytest.mark.parametrize(("resources", "expected"), [
    pytest.param([
        {"resourceType": "Observation", "id": "o1", "status": "final", "code": {"text": "x"}},
        encounter("e1", "Patient/p1", "K1", period={"start": "2025-03-01T10:00:00"}),
        {**patient("p9"), "identifier": [{"system": "urn:oid:1.2.208.176.1.1", "value": "1"}]},
        encounter("e2", "Patient/p1", "K2", serviceProvider={
            "identifier": {"system": "urn:oid:1.2.208.176.1.1", "value": "12345"}}),
        {**condition("c1", "Encounter/e2", "Patient/p1", "J44.1"),
         "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "J44.1"}]}},
    ], [
        "in.ndjson line 2 (resourceType): unknown resource type 'Observation'", "--skip-other-types",
        "in.ndjson line 3 (Encounter.period.start): invalid Encounter",
        "fix: correct the element so the resource is valid FHIR R4 Encounter",
        "in.ndjson line 4 (Patient.identifier): no CPR number",
        "fix: give every Patient its CPR number as identifier with system urn:oid:1.2.208.176.1.2",
        ("in.ndjson line 5 (Encounter.serviceProvider.identifier): hospital unit identifier has system "
         "urn:oid:1.2.208.176.1.1"),
        ("in.ndjson line 6 (Condition.code): no SKS diagnosis code with system urn:oid:1.2.208.176.2.4 "
         "(found system(s): http://hl7.org/fhir/sid/icd-10)"),
    ], id="single-resources"),
    pytest.param([
        patient("p2", CPR2),
        encounter("e1", "Patient/p1", "K1"),
        encounter("e2", "Patient/p404", "K2"),
        condition("c1", "Encounter/e404", "Patient/p1", "DJ441"),
        condition("c2", "Encounter/e1", "Patient/p2", "DJ441"),
    ], [
        "in.ndjson line 4 (Encounter.subject): the reference 'Patient/p404' matches no Patient",
        "include the Patient (in any of the files, in any order)",
        "in.ndjson line 5 (Condition.encounter): the reference 'Encounter/e404' matches no Encounter",
        "in.ndjson line 6 (Condition.subject): the subject is not the patient of the Encounter",
    ], id="references"),
    pytest.param([
        encounter("e1", "Patient/p1", "K1"),
        condition("c1", "Encounter/e1", "Patient/p1", "DJ441"),
        condition("c2", "Encounter/e1", "Patient/p1", "DJ449"),
        condition("c3", "Encounter/e1", "Patient/p1", "DI109", kind=None),
    ], [
        "in.ndjson line 2 (Encounter): the contact has 2 action diagnoses",
        "in.ndjson line 5 (Condition.category): the diagnosis kind (action or secondary) is not given",
    ], id="diagnoses"),
    pytest.param([patient("p1")], [("in.ndjson line 2: the same resource id or fullUrl twice: Patient Patient/p1, "
                                   "first at in.ndjson line 1")], id="repeated-id"),
])
def test_bad_input_refuses_with_place_and_fix(run_opspor, tmp_path, resources, expected):
    source = ndjson(tmp_path / "in.ndjson", patient("p1"), *resources)
    out = tmp_path / "drop"
    text = _refused(run_opspor("fhir", "import", source, out), out)
    for part in expected:
        assert part in text


def test_bad_json_line_and_bundle_entry(run_opspor, tmp_path):
    source = tmp_path / "in.ndjson"
    source.write_text(json.dumps(patient("p1")) + "\n\n{not json\n")
    bad_bundle = bundle(tmp_path / "b.json", (None, patient("p2", CPR2)),
                        (None, {**patient("p3", "0303903456"), "birthDate": "1990-13-45"}))
    out = tmp_path / "drop"
    text = _refused(run_opspor("fhir", "import", source, bad_bundle, out), out)
    assert "in.ndjson line 3: not valid JSON" in text
    assert "b.json entry 1 (Patient.birthDate): invalid Patient" in text


def test_cpr_numbers_in_ids_and_references_are_masked(run_opspor, tmp_path):
    source = ndjson(tmp_path / "in.ndjson", patient(CPR), encounter("e1", f"Patient/{CPR2}", "K1"))
    out = tmp_path / "drop"
    text = _refused(run_opspor("fhir", "import", source, out), out)
    assert "the reference 'Patient/**********' matches no Patient" in text


def test_other_types_can_be_left_out_and_values_go_to_ingest(run_opspor, tmp_path):
    """--skip-other-types counts other resources; a gender the contract lacks is written as it is
    and ``opspor ingest`` rejects that line naming the column."""
    source = ndjson(tmp_path / "in.ndjson", patient("p1"), patient("p2", CPR2, gender="other"),
                    {"resourceType": "Observation", "id": "o1", "status": "final", "code": {"text": "x"}})
    out = tmp_path / "drop"
    done = run_opspor("fhir", "import", source, out, "--skip-other-types")
    assert done.returncode == 0, done.stdout
    assert "left out: 1 other resource type (Observation)" in done.stdout
    assert [r["sex"] for r in read_csv(out / "persons.csv")] == ["F", "other"]
    loaded = run_opspor("ingest", out, "--max-reject-share", "0.6")
    assert loaded.returncode == 0, loaded.stdout
    assert "persons.csv · sex" in loaded.stdout


def test_output_folder_must_be_new(run_opspor, tmp_path):
    source = ndjson(tmp_path / "in.ndjson", patient("p1"))
    out = tmp_path / "drop"
    out.mkdir()
    (out / "persons.csv").write_text("keep me")
    done = run_opspor("fhir", "import", source, out)
    assert done.returncode == 1
    assert "the output folder exists and is not empty" in done.stdout
    assert (out / "persons.csv").read_text() == "keep me"


def test_export_refuses_a_value_fhir_cannot_hold(run_opspor, tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "persons.csv").write_text(
        "cpr,name,birth_date,sex,municipality_code\n"
        f"{CPR},Inger Hansen,1970-01-01,F,461\n"
        f"{CPR2},Ole Hansen,1980-02-02,M,461\n")
    header = ("contact_id,cpr,hospital_unit,course_department,contact_department,specialty,priority,"
              "contact_type,start,end,action_diagnosis\n")
    (drop / "contacts.csv").write_text(
        header
        + f"K1,{CPR},OUH,OUH-MED,OUH-MED,medicine,acute,physical,2025-03-01T10:00,2025-03-01T11:00:00,DJ441\n"
        + f'"K2\nsplit",{CPR},OUH,OUH-MED,OUH-MED,medicine,acute,physical,2025-03-01 at ten,,DJ441\n')
    out = tmp_path / "fhir"
    done = run_opspor("fhir", "export", drop, out)
    assert done.returncode == 1, done.stdout
    text = " ".join(done.stdout.split())
    assert "The export is refused; nothing was written." in text
    assert "contacts.csv:3 column start: cannot be read" in text  # the row starts on line 3
    assert not out.exists()
    assert_no_cpr(done.stdout, done.stderr)

    (drop / "contacts.csv").write_text(header.replace(",specialty", "") + "\n")
    done = run_opspor("fhir", "export", drop, out)
    assert done.returncode == 1
    assert "missing required column(s): specialty" in " ".join(done.stdout.split())
    assert not out.exists()


def test_patient_telecom_becomes_the_contact_columns_and_back(run_opspor, tmp_path):
    """Patient.telecom: the first phone (or sms) and e-mail not marked old go to the drop's
    optional columns as given, for ``opspor ingest`` to judge; the export writes them back."""
    source = ndjson(tmp_path / "in.ndjson", patient("p1", telecom=[
        {"system": "phone", "value": "31 12 34 56", "use": "old"},
        {"system": "sms", "value": "+4521123456", "use": "mobile"},
        {"system": "email", "value": "inger@eksempel.dk"}]),
        patient("p2", CPR2, telecom=[{"system": "phone", "value": "777"}]))
    drop = tmp_path / "drop"
    done = run_opspor("fhir", "import", source, drop)
    assert done.returncode == 0, done.stdout
    assert [(r["phone"], r["email"]) for r in read_csv(drop / "persons.csv")] == [
        ("+4521123456", "inger@eksempel.dk"), ("777", "")]
    loaded = run_opspor("ingest", drop, "--max-reject-share", "0.6")
    assert loaded.returncode == 0, loaded.stdout
    assert "persons.csv · phone: not a Danish phone number" in " ".join(loaded.stdout.split())
    assert "777" not in loaded.stdout.replace(str(tmp_path), "")

    (drop / "persons.csv").write_text(
        "cpr,name,birth_date,sex,municipality_code,phone,email\n"
        f"{CPR},Inger Hansen,1970-01-01,F,461,21 12 34 56,inger@eksempel.dk\n"
        f"{CPR2},Ole Hansen,1980-02-02,M,461,,\n")
    (drop / "contacts.csv").write_text(
        "contact_id,cpr,hospital_unit,course_department,contact_department,specialty,priority,contact_type,start,"
        f"action_diagnosis\nK1,{CPR},OUH,MED,MED,medicine,acute,physical,2025-03-01T10:00:00,DJ441\n")
    out = tmp_path / "fhir"
    done = run_opspor("fhir", "export", drop, out)
    assert done.returncode == 0, done.stdout
    patients = [json.loads(line) for f in sorted(out.rglob("*.ndjson")) for line in f.read_text().splitlines()
                if '"Patient"' in line]
    assert [p.get("telecom") for p in sorted(patients, key=lambda p: p["identifier"][0]["value"])] == [
        [{"system": "phone", "value": "21 12 34 56"}, {"system": "email", "value": "inger@eksempel.dk"}], None]
