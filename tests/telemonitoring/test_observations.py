"""The fast Observation reader: what it accepts, and every refusal names the element and the fix."""

from __future__ import annotations

import datetime as dt

import pytest

from opspor.config_reader import ConfigError
from opspor.telemonitoring import kinds, observations
from tests.telemonitoring import tm_kit as k

CAT = kinds.shipped()
WHO = k.subject("3f1c1c2e-8f7e-4a57-9d1e-0a3c9c1b2d4e")
NOW = dt.datetime(2025, 3, 2, tzinfo=dt.UTC)


def read(doc):
    return observations.read_body(CAT, k.body(doc), now=NOW)


def refused(doc) -> list[observations.ObservationError]:
    with pytest.raises(observations.Invalid) as caught:
        read(doc)
    return caught.value.errors


def test_every_kind_is_read_from_a_bundle():
    docs = [k.obs("spo2", 93, "a", WHO), k.obs("pulse", 72, "b", WHO), k.obs("weight", 81.4, "c", WHO),
            k.obs("temperature", 37.2, "d", WHO), k.obs("fev1", 1.9, "e", WHO), k.obs("cat", 17, "f", WHO),
            k.obs("blood_pressure", (142, 91), "g", WHO)]
    readings = read(k.bundle(*docs))
    assert [(r.kind, r.value, r.value2) for r in readings] == [
        ("spo2", 93, None), ("pulse", 72, None), ("weight", 81.4, None), ("temperature", 37.2, None),
        ("fev1", 1.9, None), ("cat", 17, None), ("blood_pressure", 142, 91)]
    assert readings[0].effective == dt.datetime(2025, 3, 1, 7, 30, tzinfo=dt.UTC)
    assert readings[0].identifier_system == k.HUB and readings[0].identifier_value == "a"


def test_the_content_digest_changes_with_the_value_not_with_the_wrapping():
    a = read(k.obs("spo2", 93, "a", WHO))[0]
    same = read(k.obs("spo2", 93, "a", WHO, id="other", meta={"versionId": "2"}))[0]
    corrected = read(k.obs("spo2", 95, "a", WHO, status="corrected"))[0]
    assert a.digest == same.digest != corrected.digest


@pytest.mark.parametrize(("change", "element", "fix_has"), [
    ({"valueQuantity": {"value": 93, "unit": "%"}}, "Observation.valueQuantity.code", '"code": "%"'),
    ({"valueQuantity": {"value": 93, "system": k.UCUM, "code": "percent"}}, "Observation.valueQuantity.code", "'%'"),
    ({"valueQuantity": {"value": 93, "system": "http://example.org", "code": "%"}}, "Observation.valueQuantity.system",
     k.UCUM),
    ({"valueQuantity": {"value": 930, "system": k.UCUM, "code": "%"}}, "Observation.valueQuantity.value",
     "same identifier"),
    ({"code": {"coding": [{"system": k.LOINC, "code": "1234-5"}]}}, "Observation.code.coding", "59408-5"),
    ({"identifier": []}, "Observation.identifier", '"identifier"'),
    ({"status": "registered"}, "Observation.status", "final"),
    ({"subject": {"reference": "Patient/1"}}, "Observation.subject.identifier", "person-public-id"),
    ({"effectiveDateTime": "2025-03-01T08:30:00"}, "Observation.effectiveDateTime", "zone"),
    ({"effectiveDateTime": "2025-04-01T08:30:00+01:00"}, "Observation.effectiveDateTime", "clock"),
    ({"valueQuantity": {"value": "93", "system": k.UCUM, "code": "%"}}, "Observation.valueQuantity.value",
     "JSON number"),
    ({"resourceType": "Patient"}, "Observation.resourceType", "Observation"),
])
def test_a_refusal_names_the_element_and_the_fix(change, element, fix_has):
    errors = refused({**k.obs("spo2", 93, "a", WHO), **change})
    assert [e.element for e in errors] == [element], errors
    assert fix_has in errors[0].fix, errors[0]


def test_a_bundle_is_all_or_nothing_with_every_entry_named():
    good = k.obs("pulse", 70, "a", WHO)
    bp = k.obs("blood_pressure", (140, 90), "b", WHO)
    bp["component"][1]["valueQuantity"]["code"] = "mmHg"
    errors = refused(k.bundle(good, bp, k.obs("cat", 41, "c", WHO)))
    assert [(e.where, e.element) for e in errors] == [
        ("Bundle.entry[1]", "Observation.component[1].valueQuantity.code"),
        ("Bundle.entry[2]", "Observation.valueInteger")]


def test_ndjson_lines_are_named_and_blank_lines_skipped():
    text = k.ndjson(k.obs("pulse", 70, "a", WHO)) + "\n" + k.ndjson(k.obs("pulse", "x", "b", WHO))
    with pytest.raises(observations.Invalid) as caught:
        list(observations.read_lines(CAT, text.encode().splitlines(keepends=True), now=NOW))
    assert [(e.where, e.element) for e in caught.value.errors] == [("line 3", "Observation.valueQuantity.value")]
    chunks = list(observations.read_lines(CAT, (k.ndjson(k.obs("pulse", 70, "a", WHO)) + "\n").encode().splitlines(),
                                          now=NOW))
    assert [len(c) for c in chunks] == [1]


def test_the_catalogue_refuses_a_misspelt_key(tmp_path):
    text = kinds.CONFIG_FILE.read_text().replace("plausible: {min: 20, max: 250}", "plausable: {min: 20, max: 250}")
    bad = tmp_path / "m.yaml"
    bad.write_text(text)
    with pytest.raises(ConfigError, match=r"kinds\.pulse\.plausable: unknown key. Fix: did you mean `plausible`"):
        kinds.load(bad)
