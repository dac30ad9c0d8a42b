"""Programme 1 (Aktiv Patientstøtte eligibility): every route, edge and exclusion, on every
engine."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

A = date(2024, 6, 1)  # as-of date
T = datetime(2024, 6, 1, 0, 0)  # reference time: A at 00:00
DAY, HOUR, SEC, MIN = (
    timedelta(days=1),
    timedelta(hours=1),
    timedelta(seconds=1),
    timedelta(minutes=1),
)
CPR = "0101501234"
OLD = date(1950, 1, 1)  # 74 at A
ADULT = date(1990, 1, 1)  # 34 at A


def person(birth=OLD, **kw):
    return {
        "cpr": CPR,
        "birth_date": birth,
        "region_code": "1083",
        "municipality_code": "461",
        **kw,
    }


def contact(cid, start, hours=3.0, **kw):
    """A contact lasting ``hours`` (None: ongoing); acute, physical, action diagnosis DR069."""
    end = None if hours is None else start + timedelta(hours=hours)
    return {"contact_id": cid, "cpr": CPR, "start": start, "end": end, **kw}


def admission(cid, start, hours=24.0, **kw):
    return contact(cid, start, hours, **kw)


def run(engine, rule, contacts, p=None, as_of=A):
    return engine.aps_eligibility({"persons": [p or person()], "contacts": contacts}, as_of, rule)


def routes(engine, rule, contacts, p=None, as_of=A):
    rows = run(engine, rule, contacts, p, as_of)
    return rows[0].routes if rows else []


def reasons(engine, rule, contacts, p=None):
    rows = run(engine, rule, contacts, p)
    assert rows, "expected the person to have a route"
    assert rows[0].excluded == bool(rows[0].exclusion_reasons)
    return rows[0].exclusion_reasons


# --------------------------------------------------------------------------- route 1: diagnosis


@pytest.mark.parametrize(
    ("code", "hit"),
    [
        ("DE11", True),
        ("DE119", True),
        ("DE10", True),
        ("DE14", True),
        ("DE1", False),
        ("DE12", False),
        ("DI110", True),
        ("DI11", False),
        ("DI500", True),
        ("DI13", False),
        ("DI132", True),
        ("DM30", True),
        ("DM33", True),
        ("DM361", True),
        ("DM37", False),
        ("DM29", False),
        ("DM05", True),
        ("DJ40", True),
        ("DJ449", True),
        ("DJ47", True),
        ("DJ48", False),
        ("DJ60", True),
        ("DJ67", True),
        ("DJ68", False),
        ("DJ684", True),
        ("DJ70", False),
        ("DJ701", True),
        ("DJ702", False),
        ("DJ9611", True),
        ("DD86", True),
        ("DD869", True),
        ("de11", False),
    ],
)
def test_route1_codes_action_or_secondary(engine, aps_rule, code, hit):
    # Person 1 has the code as action diagnosis, person 2 as a secondary diagnosis.
    persons = [person(birth=ADULT), person(birth=ADULT, cpr="0202602345")]
    contacts = [
        contact("a", T - 10 * DAY, action_diagnosis=code),
        contact("s", T - 10 * DAY, cpr="0202602345", secondary_diagnoses=["DR509", code]),
    ]
    rows = engine.aps_eligibility({"persons": persons, "contacts": contacts}, A, aps_rule)
    assert [(r.cpr, r.routes) for r in rows] == (
        [(CPR, ["diagnosis"]), ("0202602345", ["diagnosis"])] if hit else []
    )


@pytest.mark.parametrize(
    ("start", "hit"),
    [
        (T - 365 * DAY, True),
        (T - 365 * DAY - SEC, False),
        (T - 366 * DAY, False),
        (T - SEC, True),
        (T, False),
    ],
)
def test_route1_window(engine, aps_rule, start, hit):
    c = contact("a", start, action_diagnosis="DJ441", priority="planned", contact_type="telephone")
    assert routes(engine, aps_rule, [c], person(birth=ADULT)) == (["diagnosis"] if hit else [])


def test_no_route_no_row(engine, aps_rule):
    assert run(engine, aps_rule, [contact("a", T - 10 * DAY, action_diagnosis="DR069")]) == []
    assert run(engine, aps_rule, []) == []


# --------------------------------------------------------------------------- route 2: admissions


def three_admissions(**last):
    return [
        admission("a1", T - 150 * DAY),
        admission("a2", T - 90 * DAY),
        admission("a3", T - 20 * DAY, **last),
    ]


@pytest.mark.parametrize(
    ("birth", "hit"),
    [
        (date(2006, 6, 1), True),  # 18th birthday on A
        (date(2006, 6, 2), False),  # 18 tomorrow: 17
        (date(2006, 5, 31), True),
        (None, False),  # unknown birth date: no age route
    ],
)
def test_route2_age(engine, aps_rule, birth, hit):
    assert routes(engine, aps_rule, three_admissions(), person(birth=birth)) == (
        ["repeated_admissions"] if hit else []
    )


def test_leap_day_birthday(engine, aps_rule):
    # Born 29 Feb 2008: 18 on 1 March 2026, not on 28 February 2026.
    p = person(birth=date(2008, 2, 29))
    t1 = datetime(2026, 2, 28)
    contacts = [
        admission("a1", t1 - 100 * DAY),
        admission("a2", t1 - 50 * DAY),
        admission("a3", t1 - 20 * DAY),
    ]
    assert routes(engine, aps_rule, contacts, p, as_of=date(2026, 2, 28)) == []
    assert routes(engine, aps_rule, contacts, p, as_of=date(2026, 3, 1)) == ["repeated_admissions"]


@pytest.mark.parametrize(
    ("last", "hit"),
    [
        ({"hours": 12.0}, True),  # exactly 12 hours: an admission
        ({"hours": 12 - 1 / 60}, False),  # 11 h 59 min: outpatient
        ({"hours": 12 - 1 / 3600}, False),  # 11:59:59
        ({"priority": "planned"}, False),
    ],
)
def test_route2_admission_length_and_priority(engine, aps_rule, last, hit):
    p = person(birth=ADULT)
    assert routes(engine, aps_rule, three_admissions(**last), p) == (
        ["repeated_admissions"] if hit else []
    )


@pytest.mark.parametrize(
    ("start", "hours", "hit"),
    [
        (T - 12 * HOUR, None, True),  # ongoing, 12 h passed at T
        (T - 12 * HOUR + SEC, None, False),  # ongoing, 12 h not yet passed
        (T - 11 * HOUR, 30.0, False),  # ends after T: only 11 h count (no look-ahead)
        (T - 12 * HOUR, 30.0, True),
        (T - 182 * DAY, 24.0, True),  # window edge: in
        (T - 182 * DAY - SEC, 24.0, False),  # out
    ],
)
def test_route2_ongoing_and_window(engine, aps_rule, start, hours, hit):
    contacts = [
        admission("a1", T - 100 * DAY),
        admission("a2", T - 50 * DAY),
        contact("a3", start, hours),
    ]
    assert routes(engine, aps_rule, contacts, person(birth=ADULT)) == (
        ["repeated_admissions"] if hit else []
    )


def test_nothing_after_t_changes_the_result(engine, aps_rule):
    base = [
        admission("a1", T - 100 * DAY),
        admission("a2", T - 50 * DAY),
        contact("a3", T - 6 * HOUR, None),
    ]
    later = [
        *base,
        admission("z", T, action_diagnosis="DE11"),
        admission("y", T + 5 * DAY, action_diagnosis="DF10"),
    ]
    assert (
        run(engine, aps_rule, later, person(birth=ADULT))
        == run(engine, aps_rule, base, person(birth=ADULT))
        == []
    )


# --------------------------------------------------------------------------- route 3: elderly


def test_route3_preventable_admission_age(engine, aps_rule):
    c = [admission("a", T - 40 * DAY, action_diagnosis="DJ189")]
    route = "elderly_preventable_or_readmission"
    assert routes(engine, aps_rule, c, person(birth=date(1959, 6, 1))) == [route]  # 65 on A
    assert routes(engine, aps_rule, c, person(birth=date(1959, 6, 2))) == []  # 64


@pytest.mark.parametrize(
    ("kw", "hit"),
    [
        ({"action_diagnosis": "DE86"}, True),
        ({"action_diagnosis": "DK5900"}, True),
        ({"action_diagnosis": "DK59"}, False),
        ({"action_diagnosis": "DJ21"}, True),
        ({"action_diagnosis": "DJ19"}, False),
        ({"action_diagnosis": "DJ23"}, False),
        ({"action_diagnosis": "DN390"}, True),
        ({"action_diagnosis": "DN39"}, False),
        ({"action_diagnosis": "DS720"}, True),
        ({"action_diagnosis": "DD53"}, True),
        ({"action_diagnosis": "DD54"}, False),
        ({"action_diagnosis": "DZ75"}, True),
        ({"action_diagnosis": "DL899"}, True),
        (
            {"action_diagnosis": "DR069", "secondary_diagnoses": ["DE86"]},
            False,
        ),  # action diagnosis only
        ({"action_diagnosis": "DE86", "priority": "planned"}, False),
        ({"action_diagnosis": "DE86", "hours": 11.99}, False),  # not an admission
    ],
)
def test_route3_preventable_list(engine, aps_rule, kw, hit):
    kw = dict(kw)
    hours = kw.pop("hours", 24.0)
    c = [contact("a", T - 40 * DAY, hours, **kw)]
    assert routes(engine, aps_rule, c) == (["elderly_preventable_or_readmission"] if hit else [])


@pytest.mark.parametrize(
    ("gap", "hit"),
    [
        (timedelta(0), True),  # starts the moment the earlier one ended
        (30 * DAY, True),  # 30 days: in
        (30 * DAY + SEC, False),
        (31 * DAY, False),  # 31 days: out
        (-HOUR, False),  # overlaps the earlier one
    ],
)
def test_route3_readmission_gap(engine, aps_rule, gap, hit):
    first = admission("a", T - 100 * DAY, priority="planned")
    end = first["end"]
    c = [first, admission("b", end + gap)]
    assert routes(engine, aps_rule, c) == (["elderly_preventable_or_readmission"] if hit else [])


def test_route3_earlier_admission_may_lie_before_window(engine, aps_rule):
    first = admission("a", T - 380 * DAY)  # ends T - 379 days
    c = [first, admission("b", first["end"] + 16 * DAY)]  # T - 363 days: in the window
    assert routes(engine, aps_rule, c) == ["elderly_preventable_or_readmission"]
    c = [first, admission("b", T - 365 * DAY - SEC)]  # the readmission itself outside the window
    assert routes(engine, aps_rule, c) == []


@pytest.mark.parametrize(
    ("first", "second", "hit"),
    [
        (dict(hours=11.5), dict(), False),  # the earlier stay was not an admission
        (dict(hours=None), dict(), False),  # the earlier one never ended
        (dict(), dict(priority="planned"), False),  # a planned readmission
        (dict(), dict(hours=11.5), False),  # the readmission is not an admission
        (dict(contact_type="telephone"), dict(), True),  # type is not restricted
    ],
)
def test_route3_readmission_kinds(engine, aps_rule, first, second, hit):
    first, second = dict(first), dict(second)
    f = admission("a", T - 100 * DAY, first.pop("hours", 24.0), **first)
    f_end = f["end"] or f["start"] + 24 * HOUR
    s = admission("b", f_end + 5 * DAY, second.pop("hours", 24.0), **second)
    assert routes(engine, aps_rule, [f, s]) == (
        ["elderly_preventable_or_readmission"] if hit else []
    )


def test_readmission_ongoing_at_t(engine, aps_rule):
    f = admission("a", T - 10 * DAY)
    assert routes(engine, aps_rule, [f, contact("b", T - 12 * HOUR, None)]) == [
        "elderly_preventable_or_readmission"
    ]
    assert routes(engine, aps_rule, [f, contact("b", T - 11 * HOUR, None)]) == []


def test_all_routes_in_order(engine, aps_rule):
    contacts = [
        *three_admissions(action_diagnosis="DE86"),
        contact("d", T - 5 * DAY, action_diagnosis="DE11"),
    ]
    assert routes(engine, aps_rule, contacts) == [
        "diagnosis",
        "repeated_admissions",
        "elderly_preventable_or_readmission",
    ]


# --------------------------------------------------------------------------- exclusions


def chronic():
    return contact("dx", T - 10 * DAY, action_diagnosis="DE11")


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("DF10", "substance_abuse"),
        ("DF192", "substance_abuse"),
        ("DF1", "substance_abuse"),
        ("DF20", "schizophrenia"),
        ("DF29", "schizophrenia"),
        ("DF00", "dementia"),
        ("DF039", "dementia"),
        ("DF051", "dementia"),
        ("DF05", None),
        ("DF04", None),
        ("DF052", None),
        ("DF0", None),
        ("DC77", "metastatic_cancer"),
        ("DC789", "metastatic_cancer"),
        ("DC80", "metastatic_cancer"),
        ("DC76", None),
        ("DC81", None),
        ("DF30", None),
    ],
)
def test_diagnosis_exclusions(engine, aps_rule, code, reason):
    expected = [reason] if reason else []
    # Person 1: as action diagnosis 20 years ago (all history counts); person 2: as secondary.
    other = "0202602345"
    contacts = [
        chronic(),
        contact("x", T - 20 * 365 * DAY, action_diagnosis=code),
        {**chronic(), "contact_id": "dx2", "cpr": other},
        contact("y", T - 2 * DAY, cpr=other, secondary_diagnoses=[code]),
    ]
    rows = engine.aps_eligibility(
        {"persons": [person(), person(cpr=other)], "contacts": contacts}, A, aps_rule
    )
    assert [r.exclusion_reasons for r in rows] == [expected, expected]


def test_exclusion_diagnosis_after_t_does_not_count(engine, aps_rule):
    assert reasons(engine, aps_rule, [chronic(), contact("x", T, action_diagnosis="DF10")]) == []
    assert reasons(
        engine, aps_rule, [chronic(), contact("x", T - SEC, action_diagnosis="DF10")]
    ) == ["substance_abuse"]


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({"residence_type": "assisted_living"}, ["assisted_living"]),
        ({"residence_type": "nursing_home"}, []),
        ({"residence_type": None}, []),
        ({"death_date": A}, ["dead"]),  # died on the as-of date
        ({"death_date": A - DAY}, ["dead"]),
        ({"death_date": A + DAY}, []),  # dies later: not known on A
    ],
)
def test_person_exclusions(engine, aps_rule, kw, expected):
    assert reasons(engine, aps_rule, [chronic()], person(**kw)) == expected


def test_several_reasons_in_rule_order(engine, aps_rule):
    contacts = [
        chronic(),
        contact("x", T - 3 * DAY, action_diagnosis="DC78", secondary_diagnoses=["DF03", "DF10"]),
    ]
    rows = run(engine, aps_rule, contacts, person(residence_type="assisted_living", death_date=A))
    assert rows[0].exclusion_reasons == [
        "substance_abuse",
        "dementia",
        "metastatic_cancer",
        "assisted_living",
        "dead",
    ]
    assert rows[0].excluded is True


def test_row_content(engine, aps_rule):
    rows = run(engine, aps_rule, [chronic()], person(region_code="1085", municipality_code="101"))
    assert [r.as_dict() for r in rows] == [
        {
            "cpr": CPR,
            "region_code": "1085",
            "municipality_code": "101",
            "routes": ["diagnosis"],
            "excluded": False,
            "exclusion_reasons": [],
            "person_key": f"pk-{CPR}",
        }
    ]


def test_several_persons(engine, aps_rule):
    persons = [
        person(),
        {**person(), "cpr": "0202602345", "birth_date": ADULT},
        {**person(), "cpr": "0303703456"},
    ]
    contacts = [chronic(), contact("y", T - 3 * DAY, cpr="0202602345", action_diagnosis="DJ44")]
    rows = engine.aps_eligibility({"persons": persons, "contacts": contacts}, A, aps_rule)
    assert [(r.cpr, r.routes) for r in rows] == [
        (CPR, ["diagnosis"]),
        ("0202602345", ["diagnosis"]),
    ]
