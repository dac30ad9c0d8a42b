"""The fast validating path of ``opspor fhir import``/``export`` (``opspor.fhir.contract.fast``) against
the full ``fhir.resources`` models: every element the mapping reads, broken in every way we could think
of, is refused by the fast check wherever the full model refuses it; and through the CLI the two paths
give the same drop and the same refusal."""

from __future__ import annotations

import copy

import pytest

from opspor.fhir.contract import fast
from opspor.fhir.contract.mapping import MODELS
from tests.fhir.test_contract_import import CPR, _refused, condition, encounter, ndjson, patient, procedure, read_csv

VALID = [
    patient("p1", deceasedDateTime="2025-06-02T10:00:00+02:00",
            extension=[{"url": "https://opspor.dk/fhir/StructureDefinition/residence-type", "valueCode": "own_home"}]),
    encounter("e1", "Patient/p1", "K1", diagnosis=[{"condition": {"reference": "Condition/c1"}, "rank": 1}]),
    condition("c1", "Encounter/e1", "Patient/p1", "DJ441"),
    {**procedure("x1", "Encounter/e1", "Patient/p1", "AAF7"), "performedDateTime": "2025-03-01T10:00:00+01:00"},
]
# Replacements for a leaf: wrong JSON types, empty and badly spaced text, dates and times FHIR refuses.
BROKEN = [5, 1.5, True, {}, ["x"], "", " x", "x  y", "2025-02-30", "2025-13-01", "25-01-01",
          "2025-03-01T10:00:00", "2025-03-01T25:00:00+01:00", "2025-03-01 10:00:00+01:00"]


def _leaves(value, path=()):
    if isinstance(value, dict):
        for key, child in value.items():
            if key != "resourceType":
                yield from _leaves(child, (*path, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from _leaves(child, (*path, i))
    else:
        yield path


def _replaced(res: dict, path: tuple, new) -> dict:
    out = copy.deepcopy(res)
    target = out
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = new
    return out


def _cases():
    for res in VALID:
        for path in _leaves(res):
            for new in BROKEN:
                yield res["resourceType"], path, new


def test_the_kit_resources_are_valid_both_ways():
    for res in VALID:
        assert fast.validate(res, MODELS[res["resourceType"]]) == []
        assert fast.validate(res, MODELS[res["resourceType"]], full=True) == []


def test_the_fast_check_refuses_what_the_full_model_refuses_in_every_element_read():
    missed, checked = [], 0
    for res in VALID:
        model = MODELS[res["resourceType"]]
        for path in _leaves(res):
            for new in BROKEN:
                broken = _replaced(res, path, new)
                if fast.validate(broken, model, full=True):
                    checked += 1
                    if fast.problem(broken, model) is None:
                        missed.append((res["resourceType"], path, new))
    assert checked > 300  # the mutations do break resources
    assert missed == []


@pytest.mark.parametrize("rtype, element, value", [
    ("Patient", "birthdate", "1970-01-01"),  # misspelt: not an element of Patient
    ("Encounter", "class", None),  # required
    ("Condition", "subject", None),  # required
    ("Procedure", "status", None),  # required
])
def test_unknown_and_missing_elements_are_refused(rtype, element, value):
    res = copy.deepcopy(next(r for r in VALID if r["resourceType"] == rtype))
    if value is None:
        del res[element]
    else:
        res[element] = value
    assert fast.problem(res, MODELS[rtype]) is not None
    assert fast.validate(res, MODELS[rtype])  # and the full model words it


def test_an_element_opspor_does_not_read_is_not_looked_into():
    """The documented difference: the full model refuses a malformed ``contact`` (the patient's
    contact persons), the fast path passes it on (opspor never reads it); ``--full-validation``
    refuses it. ``telecom`` is read (the contract's phone and email) and so checked."""
    res = {**VALID[0], "contact": [{"gender": 5}]}
    assert fast.problem(res, MODELS["Patient"]) is None
    assert fast.validate(res, MODELS["Patient"], full=True)
    telecom = {**VALID[0], "telecom": [{"system": "phone", "value": 5}]}
    assert fast.problem(telecom, MODELS["Patient"]) is not None


def test_the_two_paths_give_the_same_drop_and_the_same_refusal(run_opspor, tmp_path):
    source = ndjson(tmp_path / "in.ndjson", *VALID)
    outs = {}
    for flag in ((), ("--full-validation",)):
        out = tmp_path / f"drop{len(flag)}"
        done = run_opspor("fhir", "import", source, out, *flag)
        assert done.returncode == 0, done.stdout
        outs[flag] = (read_csv(out / "persons.csv"), read_csv(out / "contacts.csv"))
    assert outs[()] == outs[("--full-validation",)]
    assert outs[()][0][0]["cpr"] == CPR and outs[()][1][0]["procedures"] == "AAF7"

    bad = ndjson(tmp_path / "bad.ndjson", VALID[0], {**VALID[1], "period": {"start": "2025-03-01T10:00:00"}})
    texts = []
    for flag in ((), ("--full-validation",)):
        out = tmp_path / f"bad{len(flag)}"
        texts.append(_refused(run_opspor("fhir", "import", bad, out, *flag), out))
    assert texts[0] == texts[1]
    assert "bad.ndjson line 2 (Encounter.period.start): invalid Encounter" in texts[0]
