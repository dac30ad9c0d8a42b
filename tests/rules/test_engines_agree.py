"""Generative tests: every engine returns exactly what the reference engine returns.

Hypothesis draws small snapshots whose contacts cluster at the edges the rules care about (the
18:00 cut-off, 24 hours before it, 182 and 365 days back, 12-hour stays, 30-day gaps), with all
enumeration values, NULLs in optional columns and codes drawn partly from the shipped lists;
then a run day / as-of date near them. Both the shipped rules and randomly varied rules are
compared, so every SQL construct the rule language can produce is exercised.
"""

from __future__ import annotations

import dataclasses
import os
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opspor import contract, rules
from opspor.engines import connect
from opspor.rules import load_aps_eligibility, load_code_lists, load_repeated_acute
from opspor.rules.model import (
    COMPARE_WITH,
    ContactCriteria,
    CountCondition,
    Exclusion,
    PrecededBy,
    Presence,
    Route,
)

REPEATED = load_repeated_acute()
APS = load_aps_eligibility()
LISTS = load_code_lists().lists
# Reused (populate replaces the tables); one thread, as pytest -n runs workers side by side.
REFERENCE = connect("reference:///:memory:")
DUCKDB = connect("duckdb:///:memory:")
REFERENCE.con.execute("SET threads = 1")
DUCKDB.con.execute("SET threads = 1")

BASE = date(2024, 4, 26)
DAY, HOUR, SEC = timedelta(days=1), timedelta(hours=1), timedelta(seconds=1)

# Example counts keep `pytest tests/rules` under a minute on two cores; set
# OPSPOR_HYPOTHESIS_SCALE=10 (say) for a thorough run.
SCALE = float(os.environ.get("OPSPOR_HYPOTHESIS_SCALE", "1"))


def examples(n: int) -> int:
    return max(1, int(n * SCALE))


SETTINGS = settings(
    max_examples=examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --------------------------------------------------------------------------- data


def _list_codes() -> list[str]:
    codes = set()
    for code_list in LISTS.values():
        for prefix in code_list.prefixes:
            codes.update({prefix, prefix + "1", prefix + "9", prefix[:-1]})
    return sorted(codes)


LIST_CODES = _list_codes()
OTHER_CODES = [
    "DR069",
    "DZ031",
    "DI21",
    "DJ189",
    "DE86",
    "DF10",
    "DF05",
    "DC76",
    "DC81",
    "DM37",
    "DD54",
]
codes = st.one_of(st.sampled_from(LIST_CODES), st.sampled_from(OTHER_CODES))
PROCEDURES = ["AAF6", "AAF7", "AAF61", "AAF", "AAF8", "BFCA0"]

OFFSETS = [
    timedelta(0),
    -SEC,
    SEC,
    -HOUR,
    -12 * HOUR,
    -24 * HOUR,
    -24 * HOUR - SEC,
    -DAY - 6 * HOUR,
    -30 * DAY,
    -182 * DAY,
    -182 * DAY - SEC,
    -183 * DAY,
    -365 * DAY,
    -365 * DAY - SEC,
    -3 * DAY,
]
DURATIONS = [
    None,
    timedelta(0),
    3 * HOUR,
    12 * HOUR - SEC,
    12 * HOUR,
    12 * HOUR + SEC,
    24 * HOUR,
    5 * DAY,
    40 * DAY,
]
GAPS = [timedelta(0), SEC, HOUR, 30 * DAY, 30 * DAY + SEC, 31 * DAY, -HOUR]


def _opt(strategy, none_weight: int = 1):
    return st.one_of(*([st.none()] * none_weight), strategy)


# Strategies built once (building them inside the composite costs more than the engines).
S_AGE = st.sampled_from([17, 18, 40, 64, 65, 80])
S_BIRTH_SHIFT = st.sampled_from([timedelta(0), DAY, -DAY])
S_KNOWN = st.sampled_from([True, True, False])
S_RESIDENCE = _opt(st.sampled_from(contract.RESIDENCE_TYPES))
S_DEATH_SHIFT = _opt(st.sampled_from([timedelta(0), -DAY, DAY]), 4)
S_REGION = st.sampled_from(["1083", "1084"])
S_ANCHOR = st.integers(0, 3)
S_OFFSET = st.sampled_from(OFFSETS)
S_JITTER = st.one_of(
    st.sampled_from([timedelta(0), timedelta(0), -DAY]),
    st.integers(-600, 600).map(lambda m: timedelta(minutes=m)),
)
S_GAP = st.sampled_from(GAPS)
S_DURATION = st.sampled_from(DURATIONS)
S_UNIT = st.sampled_from(["OUH", "OUH", "SLB"])
S_DEPARTMENT = st.sampled_from(["MED1", "MED2", "AKM"])
S_COURSE = st.sampled_from(["MEDF", "KIRF"])
S_SPECIALTY = st.one_of(st.just("medicine"), st.sampled_from(contract.SPECIALTIES))
S_PRIORITY = st.one_of(st.just("acute"), st.sampled_from(contract.PRIORITIES))
S_TYPE = st.one_of(st.just("physical"), st.sampled_from(contract.CONTACT_TYPES))
S_ACTION = st.one_of(codes, codes, codes, st.none())
S_SECONDARY = _opt(st.lists(st.one_of(codes, st.none()), max_size=3))
S_PROCEDURES = _opt(st.lists(st.sampled_from(PROCEDURES), max_size=2), 2)
S_DRG = st.sampled_from([None, 0.0, 1000.0, 1000.0])
S_PATHWAY = _opt(st.sampled_from(contract.PATHWAYS), 4)


@st.composite
def scenarios(draw):
    run_day = BASE + timedelta(days=draw(st.integers(0, 9)))
    as_of = BASE + timedelta(days=draw(st.integers(0, 9)))
    cutoff = datetime.combine(run_day - DAY, time(18, 0))
    anchors = [cutoff, cutoff - DAY, cutoff - 3 * DAY, datetime.combine(as_of, time(0, 0))]
    persons, contacts = [], []
    for p in range(draw(st.integers(1, 4))):
        cpr = f"01015{p}1234"
        birth = as_of.replace(year=as_of.year - draw(S_AGE)) + draw(S_BIRTH_SHIFT)
        death_shift = draw(S_DEATH_SHIFT)
        persons.append(
            {
                "cpr": cpr,
                "birth_date": birth if draw(S_KNOWN) else None,
                "residence_type": draw(S_RESIDENCE),
                "death_date": None if death_shift is None else as_of + death_shift,
                "region_code": draw(S_REGION),
            }
        )
        previous_end = None
        for i in range(draw(st.integers(0, 8))):
            if previous_end is not None and draw(st.booleans()):
                start = previous_end + draw(S_GAP)
            else:
                start = anchors[draw(S_ANCHOR)] + draw(S_OFFSET) + draw(S_JITTER)
            duration = draw(S_DURATION)
            end = None if duration is None else start + duration
            previous_end = end
            contacts.append(
                {
                    "contact_id": f"{p}-{i}",
                    "cpr": cpr,
                    "start": start,
                    "end": end,
                    "hospital_unit": draw(S_UNIT),
                    "contact_department": draw(S_DEPARTMENT),
                    "course_department": draw(S_COURSE),
                    "specialty": draw(S_SPECIALTY),
                    "priority": draw(S_PRIORITY),
                    "contact_type": draw(S_TYPE),
                    "action_diagnosis": draw(S_ACTION),
                    "secondary_diagnoses": draw(S_SECONDARY),
                    "procedures": draw(S_PROCEDURES),
                    "drg_value": draw(S_DRG),
                    "pathway": draw(S_PATHWAY),
                }
            )
    return persons, contacts, run_day, as_of


# --------------------------------------------------------------------------- random rules


def _subset(values):
    return st.lists(st.sampled_from(values), min_size=1, max_size=len(values), unique=True).map(
        tuple
    )


def criteria(depth: int = 1):
    code_lists = st.sampled_from(sorted(LISTS.values(), key=lambda c: c.name))
    return st.builds(
        ContactCriteria,
        priority=_opt(_subset(contract.PRIORITIES), 2),
        contact_type=_opt(_subset(contract.CONTACT_TYPES), 2),
        specialty=_opt(_subset(contract.SPECIALTIES), 2),
        pathway_empty=st.booleans(),
        drg_value_not_zero=st.booleans(),
        procedures_none_of=_opt(code_lists, 2),
        action_diagnosis_in=_opt(code_lists, 3),
        any_diagnosis_in=_opt(code_lists, 3),
        admission=st.booleans(),
        preceded_by=(
            _opt(
                st.builds(
                    PrecededBy, within_days=st.sampled_from([0, 1, 30]), contact=criteria(depth - 1)
                ),
                3,
            )
            if depth > 0
            else st.none()
        ),
    )


def counts():
    return st.builds(
        CountCondition,
        contact=criteria(),
        window_days=st.sampled_from([None, 1, 30, 182, 365]),
        at_least=st.integers(1, 3),
        same_hospital_unit=st.booleans(),
    )


@st.composite
def repeated_rules(draw):
    return dataclasses.replace(
        REPEATED,
        cutoff_days_before_run=draw(st.integers(0, 2)),
        cutoff_time=draw(st.sampled_from([time(18, 0), time(0, 0), time(7, 30)])),
        target_group=draw(
            st.one_of(st.just(REPEATED.target_group), counts().filter(lambda c: c.window_days))
        ),
        presence=Presence(
            contact=draw(st.one_of(st.just(REPEATED.presence.contact), criteria(0))),
            ended_within_hours=draw(st.sampled_from([0, 1, 24, 72])),
        ),
        lines_window_days=draw(st.sampled_from([1, 30, 182, 400])),
        compare_with=draw(st.sampled_from(COMPARE_WITH)),
        admission_hours=12,
    )


@st.composite
def eligibility_rules(draw):
    routes = draw(
        st.lists(
            st.builds(
                Route,
                id=st.just(""),
                min_age=_opt(st.sampled_from([18, 65])),
                any_of=st.lists(counts(), min_size=1, max_size=2).map(tuple),
            ),
            min_size=1,
            max_size=3,
        )
    )
    routes = [dataclasses.replace(r, id=f"route{i}") for i, r in enumerate(routes)]
    exclusions = draw(
        st.lists(
            st.one_of(
                st.builds(
                    Exclusion,
                    reason=st.just(""),
                    contact=criteria(),
                    window_days=st.sampled_from([None, 30]),
                ),
                st.builds(
                    Exclusion, reason=st.just(""), residence_type=_subset(contract.RESIDENCE_TYPES)
                ),
                st.builds(Exclusion, reason=st.just(""), dead=st.just(True)),
            ),
            max_size=3,
        )
    )
    exclusions = [dataclasses.replace(e, reason=f"reason{i}") for i, e in enumerate(exclusions)]
    return dataclasses.replace(
        APS, routes=tuple(routes), exclusions=tuple(exclusions), admission_hours=12
    )


# --------------------------------------------------------------------------- the properties


def test_the_fast_engine_is_among_those_compared():
    """Else every property below would pass by comparing the reference with nothing."""
    assert REFERENCE.reference and not DUCKDB.reference
    assert rules.evaluator(REFERENCE) is not rules.evaluator(DUCKDB)


def _compare(function, persons, contacts, day, rule, others=(DUCKDB,)):
    tables = {"persons": persons, "contacts": contacts}
    REFERENCE.populate(tables)
    expected = function(REFERENCE, day, rule)
    for engine in others:
        engine.populate(tables)
        assert function(engine, day, rule) == expected, engine.name
    return expected


def _compare_repeated(persons, contacts, run_day, rule, others=(DUCKDB,)):
    return _compare(rules.repeated_acute_list, persons, contacts, run_day, rule, others)


def _compare_eligibility(persons, contacts, as_of, rule, others=(DUCKDB,)):
    return _compare(rules.aps_eligibility, persons, contacts, as_of, rule, others)


@SETTINGS
@given(scenarios(), st.sampled_from(COMPARE_WITH))
def test_repeated_acute_shipped_rule_engines_agree(scenario, compare_with):
    persons, contacts, run_day, _ = scenario
    _compare_repeated(
        persons, contacts, run_day, dataclasses.replace(REPEATED, compare_with=compare_with)
    )


@SETTINGS
@given(scenarios())
def test_aps_eligibility_shipped_rule_engines_agree(scenario):
    persons, contacts, _, as_of = scenario
    _compare_eligibility(persons, contacts, as_of, APS)


@settings(SETTINGS, max_examples=examples(30))
@given(scenarios(), repeated_rules())
def test_repeated_acute_random_rules_engines_agree(scenario, rule):
    persons, contacts, run_day, _ = scenario
    _compare_repeated(persons, contacts, run_day, rule)


@settings(SETTINGS, max_examples=examples(30))
@given(scenarios(), eligibility_rules())
def test_aps_eligibility_random_rules_engines_agree(scenario, rule):
    persons, contacts, _, as_of = scenario
    _compare_eligibility(persons, contacts, as_of, rule)


def _as_known_at(contacts, at):
    """The contacts as they were known at ``at``: later ones gone, later ends not yet recorded."""
    return [
        {**c, "end": None if c["end"] is not None and c["end"] > at else c["end"]}
        for c in contacts
        if c["start"] < at
    ]


@settings(SETTINGS, max_examples=examples(20))
@given(scenarios())
def test_eligibility_has_no_look_ahead(scenario):
    """Nothing after T (contacts starting at or after T, ends after T, deaths after A) changes
    eligibility on A."""
    persons, contacts, _, as_of = scenario
    t = datetime.combine(as_of, time(0, 0))
    alive = [
        {**p, "death_date": None} if p["death_date"] and p["death_date"] > as_of else p
        for p in persons
    ]
    assert _compare_eligibility(persons, contacts, as_of, APS) == _compare_eligibility(
        alive, _as_known_at(contacts, t), as_of, APS
    )


@settings(SETTINGS, max_examples=examples(20))
@given(scenarios())
def test_list_membership_has_no_look_ahead(scenario):
    """Who is on which list for D depends only on what was known at C (and at the previous
    run's cut-off); only the displayed contact_end may show an end recorded after C."""
    persons, contacts, run_day, _ = scenario
    cutoff = REPEATED.cutoff(run_day)

    def strip(lines):
        return [dataclasses.replace(line, contact_end=None) for line in lines]

    assert strip(_compare_repeated(persons, contacts, run_day, REPEATED)) == strip(
        _compare_repeated(persons, _as_known_at(contacts, cutoff), run_day, REPEATED)
    )


# --------------------------------------------------------------------------- Spark

# Spark answers a query in about a second: a few examples per property, the random rules most.
SPARK = settings(SETTINGS, max_examples=examples(6))


@pytest.mark.spark
@SPARK
@given(scenarios(), st.sampled_from(COMPARE_WITH))
def test_repeated_acute_shipped_rule_spark_agrees(spark_engine, scenario, compare_with):
    persons, contacts, run_day, _ = scenario
    _compare_repeated(persons, contacts, run_day,
                      dataclasses.replace(REPEATED, compare_with=compare_with), (spark_engine,))


@pytest.mark.spark
@SPARK
@given(scenarios(), repeated_rules())
def test_repeated_acute_random_rules_spark_agrees(spark_engine, scenario, rule):
    persons, contacts, run_day, _ = scenario
    _compare_repeated(persons, contacts, run_day, rule, (spark_engine,))


@pytest.mark.spark
@SPARK
@given(scenarios(), eligibility_rules())
def test_aps_eligibility_random_rules_spark_agrees(spark_engine, scenario, rule):
    persons, contacts, _, as_of = scenario
    _compare_eligibility(persons, contacts, as_of, rule, (spark_engine,))
