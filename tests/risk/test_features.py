"""Features: hand-made values at every edge, and no look-ahead — nothing that happens at or after
the as-of date (new contacts, the end of a stay running at T, a later death) changes a feature."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opspor.engines import connect
from opspor.risk import config
from opspor.risk import settings as risk_settings
from opspor.risk.features import FeatureSet

A = dt.date(2025, 6, 1)
T = dt.datetime(2025, 6, 1)
DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)
SECOND = dt.timedelta(seconds=1)


@pytest.fixture(scope="module")
def fs() -> FeatureSet:
    return FeatureSet(risk_settings.load(config.CONFIG_DIR).features)


def _contact(cid, cpr, start, end, priority="acute", **kw):
    return {"contact_id": cid, "cpr": cpr, "start": start, "end": end, "priority": priority, **kw}


def _values(frame, cpr: str) -> dict[str, float]:
    row = frame.person_key.to_pylist().index(f"pk-{cpr}")
    return dict(zip(frame.names, frame.X[row].tolist(), strict=True))


def test_hand_made_person_at_every_edge(fs):
    persons = [
        {"cpr": "1503401234", "birth_date": dt.date(1940, 3, 15), "sex": "M", "municipality_code": "461",
         "region_code": "1083", "residence_type": "own_home"},
        {"cpr": "0101500001", "death_date": A - DAY},  # died the day before: not in the population
        {"cpr": "0101500002", "death_date": A},  # dies on the as-of date: alive at 00:00
        {"cpr": "0101500003", "residence_type": None},  # no contacts
    ]
    p1 = "1503401234"
    contacts = [
        _contact("c1", p1, T - 10 * DAY + 8 * HOUR, T - 8 * DAY + 8 * HOUR),  # 48 h admission
        _contact("c2", p1, T - 30 * DAY, T - 30 * DAY + 2 * HOUR),  # outpatient, exactly 30 days back
        _contact("c3", p1, T - 30 * DAY - SECOND, T - 30 * DAY - SECOND + 13 * HOUR),  # 1 s outside
        _contact("c4", p1, T - 5 * HOUR, T + 20 * HOUR),  # running at T, 5 h so far: not an admission
        _contact("c5", p1, T - 100 * DAY, T - 97 * DAY, "planned", course_department="LUM1",
                 secondary_diagnoses=["DJ449"]),  # planned 3-day stay, COPD as secondary
        _contact("c6", p1, T + HOUR, T + 30 * HOUR, action_diagnosis="DI500"),  # after T: nothing
        _contact("c7", p1, T - 20 * DAY, T - 20 * DAY + 12 * HOUR),  # exactly 12 h: an admission
    ]
    con = populated(persons, contacts)
    frame = fs.compute(con, A)
    keys = frame.person_key.to_pylist()
    assert "pk-0101500001" not in keys and "pk-0101500002" in keys and len(keys) == 3
    v = _values(frame, p1)
    assert v["age"] == 85 and v["sex_male"] == 1
    assert fs.features[fs.index["region"]].categories[int(v["region"])] == "1083"
    assert fs.features[fs.index["municipality"]].categories[int(v["municipality"])] == "461"
    assert v["residence"] == 0
    assert [v[f"acute_admissions_{w}d"] for w in (30, 91, 182, 365)] == [2, 3, 3, 3]
    assert [v[f"acute_outpatient_{w}d"] for w in (30, 91, 182, 365)] == [1, 1, 1, 1]
    assert [v[f"planned_contacts_{w}d"] for w in (30, 91, 182, 365)] == [0, 0, 1, 1]
    c3_inside_30 = (13 * 3600 - 1) / 86400
    assert v["bed_days_30d"] == pytest.approx(2.5 + c3_inside_30, abs=1e-5)
    assert v["bed_days_91d"] == pytest.approx(2.5 + 13 / 24, abs=1e-5)
    assert v["bed_days_365d"] == pytest.approx(5.5 + 13 / 24, abs=1e-5)
    assert v["days_since_acute_discharge"] == pytest.approx(8 - 8 / 24, abs=1e-5)  # c1's end
    assert v["acute_stay_hours_365d"] == pytest.approx((48 + 13 + 12) / 3, abs=1e-4)
    c3_end = 30 + 1 / 86400 - 13 / 24
    expected = math.exp(-(8 - 8 / 24) / 25) + math.exp(-19.5 / 25) + math.exp(-c3_end / 25)
    assert v["acute_recency_25d"] == pytest.approx(expected, rel=1e-5)
    assert v["admitted_at_as_of"] == 1
    assert v["readmissions_365d"] == 2  # c7 after c3 (9.5 days), c1 after c7 (9.5 days)
    assert v["departments_365d"] == 2
    assert v["cond_copd"] == 1 and v["n_conditions"] == 1 and v["cond_heart_failure"] == 0
    quiet = _values(frame, "0101500003")
    assert quiet["acute_admissions_365d"] == 0 and quiet["days_since_acute_discharge"] == 365
    assert math.isnan(quiet["acute_stay_hours_365d"]) and math.isnan(quiet["residence"])


def test_only_some_persons(fs):
    persons = [{"cpr": f"01015000{i:02d}"} for i in range(5)]
    contacts = [_contact(f"c{i}", f"01015000{i:02d}", T - (i + 1) * DAY, T - (i + 1) * DAY + 20 * HOUR)
                for i in range(5)]
    con = populated(persons, contacts)
    full = fs.compute(con, A)
    part = fs.compute(con, A, person_keys=["pk-0101500003", "pk-0101500001"])
    assert part.person_key.to_pylist() == ["pk-0101500001", "pk-0101500003"]
    rows = [full.person_key.to_pylist().index(k) for k in part.person_key.to_pylist()]
    assert np.array_equal(full.X[rows], part.X, equal_nan=True)


# --------------------------------------------------------------------------- no look-ahead

CODES = ["DJ441", "DJ449", "DE119", "DI500", "DF03", "DF102", "DC787", "DR069", "DS720"]
minutes = st.integers(-420 * 24 * 60, 200 * 24 * 60)


@st.composite
def snapshots(draw):
    n = draw(st.integers(1, 4))
    persons = []
    for i in range(n):
        persons.append({
            "cpr": f"0101{50 + i:02d}{1000 + i}",
            "birth_date": draw(st.sampled_from([dt.date(1930, 2, 28), dt.date(1960, 6, 1), dt.date(2010, 1, 1), None])),
            "sex": draw(st.sampled_from(["M", "F"])),
            "residence_type": draw(st.sampled_from(["own_home", "nursing_home", "assisted_living", None])),
            "death_date": draw(st.sampled_from([None, A - DAY, A, A + 30 * DAY])),
        })
    contacts = []
    for j in range(draw(st.integers(0, 14))):
        start = T + dt.timedelta(minutes=draw(minutes))
        length = draw(st.sampled_from([None, 30, 11 * 60 + 59, 12 * 60, 40 * 60, 20 * 24 * 60]))
        contacts.append(_contact(
            f"k{j}", draw(st.sampled_from(persons))["cpr"], start,
            None if length is None else start + dt.timedelta(minutes=length),
            draw(st.sampled_from(["acute", "planned"])),
            action_diagnosis=draw(st.sampled_from(CODES)),
            secondary_diagnoses=draw(st.sampled_from([None, [], [draw(st.sampled_from(CODES))]])),
            course_department=draw(st.sampled_from(["MED1", "LUM1", "KIR1"])),
            contact_type=draw(st.sampled_from(["physical", "telephone", "home_visit"])),
        ))
    return persons, contacts


@st.composite
def futures(draw, persons, contacts):
    """What may happen from T on: new contacts (starting at T or later), other ends of the stays
    running at T, other death dates on or after A for those alive at A."""
    later = []
    for j in range(draw(st.integers(1, 6))):
        start = T + dt.timedelta(minutes=draw(st.integers(0, 400 * 24 * 60)))
        later.append(_contact(f"f{j}", draw(st.sampled_from(persons))["cpr"], start,
                              draw(st.sampled_from([None, start + 13 * HOUR, start + 2 * HOUR])),
                              draw(st.sampled_from(["acute", "planned"])),
                              action_diagnosis=draw(st.sampled_from(CODES)),
                              secondary_diagnoses=[draw(st.sampled_from(CODES))]))
    changed = []
    for c in contacts:
        if c["start"] < T and (c["end"] is None or c["end"] > T):
            c = {**c, "end": draw(st.sampled_from([None, T + SECOND, T + 400 * DAY]))}
        changed.append(c)
    deaths = []
    for p in persons:
        if p["death_date"] is None or p["death_date"] >= A:
            p = {**p, "death_date": draw(st.sampled_from([None, A, A + DAY, A + 300 * DAY]))}
        deaths.append(p)
    return deaths, changed + later


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_nothing_from_the_as_of_date_on_changes_a_feature(fs, data):
    persons, contacts = data.draw(snapshots())
    con = connect("duckdb:///:memory:")
    before = fs.compute(populated(persons, contacts, con), A)
    persons2, contacts2 = data.draw(futures(persons, contacts))
    after = fs.compute(populated(persons2, contacts2, con), A)
    con.close()
    assert before.person_key.to_pylist() == after.person_key.to_pylist()
    assert np.array_equal(before.X, after.X, equal_nan=True), [
        name for j, name in enumerate(fs.names)
        if not np.array_equal(before.X[:, j], after.X[:, j], equal_nan=True)]


def test_home_visits_and_remote_contacts_are_the_shared_concepts(fs):
    """The shipped counts of home visits and remote contacts (features.yaml version 2) ask the
    concepts of rules/config/concepts.yaml: a home visit is the contact type or procedure AAF6/AAF7
    (AAF71 is under AAF7), a remote contact one of the remote contact types; each feature counts
    exactly the contacts the concept's predicate holds for."""
    from opspor.rules import reference_engine
    from opspor.rules.concepts import shipped

    assert {"home_visits", "remote_contacts"} <= set(fs.cfg.counts)
    every = fs
    p = "0101500001"
    contacts = [
        _contact("h1", p, T - 2 * DAY, T - 2 * DAY + HOUR, contact_type="home_visit"),
        _contact("h2", p, T - 3 * DAY, T - 3 * DAY + HOUR, procedures=["AAF71"]),
        _contact("n1", p, T - 4 * DAY, T - 4 * DAY + HOUR, procedures=["AAF8"]),
        _contact("r1", p, T - 5 * DAY, T - 5 * DAY + HOUR, contact_type="telephone"),
        _contact("r2", p, T - 6 * DAY, T - 6 * DAY + HOUR, contact_type="email"),
        _contact("r3", p, T - 40 * DAY, T - 40 * DAY + HOUR, contact_type="video"),
    ]
    con = populated([{"cpr": p}], contacts)
    v = _values(every.compute(con, A), p)
    assert (v["home_visits_30d"], v["remote_contacts_30d"], v["remote_contacts_91d"]) == (2, 2, 3)
    concepts = shipped()
    history = reference_engine.read_snapshot(con).contacts[f"pk-{p}"]
    for feature, concept in (("home_visits_91d", "home_visit"), ("remote_contacts_91d", "remote_contact")):
        meets = concepts.predicate(concept)
        assert v[feature] == sum(meets(c, T) for c in history)


def populated(persons, contacts, engine=None):
    """A DuckDB engine holding ``persons`` and ``contacts`` (``engine``: refill that one)."""
    engine = engine or connect("duckdb:///:memory:")
    engine.populate({"persons": persons, "contacts": contacts})
    return engine
