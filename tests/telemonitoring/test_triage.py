"""The protocols and the triage: each measurement red / yellow / green with the rule that fired."""

from __future__ import annotations

import datetime as dt

import pytest

from opspor.config_reader import ConfigError
from opspor.telemonitoring import kinds, protocols, triage

CAT = kinds.shipped()
PROTO = protocols.shipped()
T = dt.datetime(2025, 3, 10, 8, tzinfo=dt.UTC)


def limits(condition: str, adjusted=None):
    return triage.limits(CAT, PROTO.conditions[condition], adjusted or {})


def verdict(condition, kind, value, value2=None, earlier=(), adjusted=None):
    v = triage.classify(limits(condition, adjusted).get(kind, ()), value, value2, T, earlier)
    return v.colour, v.rule


def test_the_protocol_thresholds_come_from_the_file():
    copd = PROTO.conditions["copd"]
    assert copd.rule("spo2_red").threshold == 88 and copd.rule("spo2_red").test == "below"
    hf = PROTO.conditions["heart_failure"].rule("weight_gain_red")
    assert (hf.test, hf.threshold, hf.within_days) == ("rise", 2, 3)


@pytest.mark.parametrize(("value", "expected"), [
    (87, ("red", "spo2_red")), (88, ("yellow", "spo2_yellow")), (91.9, ("yellow", "spo2_yellow")),
    (92, ("green", "")), (98, ("green", ""))])
def test_spo2_for_copd(value, expected):
    assert verdict("copd", "spo2", value) == expected


def test_a_questionnaire_score_is_triaged():
    assert verdict("copd", "cat", 31) == ("red", "cat_red")
    assert verdict("copd", "cat", 21) == ("yellow", "cat_yellow")
    assert verdict("copd", "cat", 12) == ("green", "")


def test_blood_pressure_by_its_component():
    assert verdict("heart_failure", "blood_pressure", 85, 60) == ("red", "systolic_low_red")
    assert verdict("heart_failure", "blood_pressure", 165, 95) == ("yellow", "systolic_high_yellow")
    assert verdict("heart_failure", "blood_pressure", 125, 80) == ("green", "")


def test_weight_gain_over_the_lowest_in_the_window():
    day = dt.timedelta(days=1)
    history = [(T - 4 * day, 78.0), (T - 3 * day, 80.0), (T - 2 * day, 80.4), (T - day / 2, 81.9)]
    # 82.5 - lowest of the 3 days before (80.0) = 2.5 > 2: red (78 is 4 days back: outside)
    assert verdict("heart_failure", "weight", 82.5, earlier=history) == ("red", "weight_gain_red")
    # 81.5 - 80.0 = 1.5: not red; within 1 day the lowest is 81.9: no rise
    assert verdict("heart_failure", "weight", 81.5, earlier=history) == ("green", "")
    assert verdict("heart_failure", "weight", 83.0, earlier=[(T - day / 2, 81.9)]) == ("yellow", "weight_gain_yellow")
    assert verdict("heart_failure", "weight", 90, earlier=[]) == ("green", "")  # nothing to compare with


def test_a_patients_adjusted_threshold_replaces_the_protocols():
    assert verdict("copd", "spo2", 87) == ("red", "spo2_red")
    # habitual SpO2 of 89: red below baseline - 4 = 85, yellow below 87
    adjusted = {"spo2_red": 85, "spo2_yellow": 87}
    assert verdict("copd", "spo2", 87, adjusted=adjusted) == ("green", "")
    assert verdict("copd", "spo2", 86, adjusted=adjusted) == ("yellow", "spo2_yellow")
    assert verdict("copd", "spo2", 84, adjusted=adjusted) == ("red", "spo2_red")


def test_missing_after_the_plans_days():
    day = dt.timedelta(days=1)
    found = triage.missing({"spo2": 2, "fev1": 10}, {"spo2": T - 3 * day, "fev1": None}, T - 5 * day, T, "yellow")
    assert [(m.kind, m.since) for m in found] == [("spo2", T - 3 * day)]
    found = triage.missing({"fev1": 10}, {}, T - 11 * day, T, "yellow")
    assert [(m.kind, m.days, m.colour) for m in found] == [("fev1", 10, "yellow")]


def test_a_rule_on_an_unknown_kind_is_refused(tmp_path):
    text = protocols.CONFIG_FILE.read_text().replace("{id: fev1_yellow, kind: fev1,", "{id: fev1_yellow, kind: fev2,")
    bad = tmp_path / "p.yaml"
    bad.write_text(text)
    with pytest.raises(ConfigError, match=r"conditions\.copd\.rules\[7\]\.kind: unknown kind 'fev2'. Fix: did you mean `fev1`"):
        protocols.load(bad)

