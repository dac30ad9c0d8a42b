"""Programme 2 (repeated acute contacts): every edge, on hand-made data, through every engine."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta

import pytest

from opspor import contract
from opspor.rules.model import PREVIOUS_DAY, PREVIOUS_WEEKDAY

D = date(2024, 5, 2)  # a Thursday
C = datetime(2024, 5, 1, 18, 0)  # its cut-off: the day before at 18:00
DAY, HOUR, SEC = timedelta(days=1), timedelta(hours=1), timedelta(seconds=1)
CPR = "0101501234"
PERSON = {"cpr": CPR, "name": "Karen Jensen"}


def visit(cid, start, end="+3h", **kw):
    """A counting contact by default: acute, physical, medicine, OUH/MED1, lasting 3 hours."""
    if end == "+3h":
        end = start + 3 * HOUR
    return {"contact_id": cid, "cpr": CPR, "start": start, "end": end, **kw}


def run(engine, rule, contacts, day=D, persons=(PERSON,)):
    return engine.repeated_acute_list({"persons": persons, "contacts": contacts}, day, rule)


def lists(lines):
    """{(hospital_unit, department): sorted contact ids}."""
    out: dict = {}
    for line in lines:
        out.setdefault((line.hospital_unit, line.department), []).append(line.contact_id)
    return {k: sorted(v) for k, v in out.items()}


def two_earlier():
    return [visit("a", C - 100 * DAY), visit("b", C - 50 * DAY)]


# --------------------------------------------------------------------------- target group


def test_three_counting_contacts_at_one_unit_and_present(engine, repeated_rule):
    lines = run(engine, repeated_rule, [*two_earlier(), visit("c", C - 6 * HOUR, end=None)])
    assert lists(lines) == {("OUH", "MED1"): ["a", "b", "c"]}
    assert all(line.counted for line in lines)


def test_two_counting_contacts_are_not_enough(engine, repeated_rule):
    assert (
        run(engine, repeated_rule, [visit("b", C - 50 * DAY), visit("c", C - 6 * HOUR, end=None)])
        == []
    )


def test_same_unit_required_two_plus_one_across_units(engine, repeated_rule):
    contacts = [
        visit("a", C - 100 * DAY),
        visit("b", C - 50 * DAY, hospital_unit="SLB"),
        visit("c", C - 6 * HOUR, end=None),
    ]
    assert run(engine, repeated_rule, contacts) == []


def test_three_at_one_unit_list_everywhere_present(engine, repeated_rule):
    # Counting contacts all at SLB; the patient is now at OUH/AKM (a planned contact even).
    contacts = [
        visit("a", C - 100 * DAY, hospital_unit="SLB"),
        visit("b", C - 50 * DAY, hospital_unit="SLB"),
        visit("c", C - 10 * DAY, hospital_unit="SLB"),
        visit(
            "d",
            C - 5 * HOUR,
            end=None,
            hospital_unit="OUH",
            contact_department="AKM",
            priority="planned",
        ),
    ]
    lines = run(engine, repeated_rule, contacts)
    assert lists(lines) == {("OUH", "AKM"): ["a", "b", "c", "d"]}
    assert {line.contact_id: line.counted for line in lines} == {
        "a": True,
        "b": True,
        "c": True,
        "d": False,
    }


def test_counted_is_per_contact_even_at_another_unit(engine, repeated_rule):
    contacts = [
        *two_earlier(),
        visit("c", C - 6 * HOUR, end=None),
        visit("s", C - 20 * DAY, hospital_unit="SLB"),
    ]
    lines = run(engine, repeated_rule, contacts)
    assert {line.contact_id: line.counted for line in lines} == {
        "a": True,
        "b": True,
        "c": True,
        "s": True,
    }


@pytest.mark.parametrize(
    ("start", "listed"),
    [
        (C - 182 * DAY, True),  # exactly 182 days before C: in
        (C - 182 * DAY - SEC, False),  # one second earlier: out
        (C - 183 * DAY, False),  # one day earlier: out
    ],
)
def test_182_day_window_edge(engine, repeated_rule, start, listed):
    contacts = [visit("old", start), visit("b", C - 50 * DAY), visit("c", C - 6 * HOUR, end=None)]
    lines = run(engine, repeated_rule, contacts)
    assert lists(lines) == ({("OUH", "MED1"): ["b", "c", "old"]} if listed else {})


def test_contact_before_window_is_not_a_line(engine, repeated_rule):
    contacts = [
        *two_earlier(),
        visit("c", C - 6 * HOUR, end=None),
        visit("old", C - 182 * DAY - SEC),
    ]
    assert lists(run(engine, repeated_rule, contacts)) == {("OUH", "MED1"): ["a", "b", "c"]}


@pytest.mark.parametrize(
    ("start", "listed"),
    [(C - SEC, True), (C, False)],  # 17:59:59 the day before: in; 18:00:00: does not exist
)
def test_1800_cutoff(engine, repeated_rule, start, listed):
    # Presence is given by a separate planned contact, so only the count is at stake.
    contacts = [
        *two_earlier(),
        visit("third", start),
        visit("here", C - 5 * HOUR, end=C - 2 * HOUR, priority="planned"),
    ]
    lines = run(engine, repeated_rule, contacts)
    assert lists(lines) == ({("OUH", "MED1"): ["a", "b", "here", "third"]} if listed else {})


def test_contact_at_cutoff_neither_counts_nor_gives_presence_nor_is_a_line(engine, repeated_rule):
    contacts = [
        *two_earlier(),
        visit("c", C - 10 * DAY),
        visit("late", C, end=None, contact_department="MED2"),
    ]
    assert run(engine, repeated_rule, contacts) == []
    # ... but with presence elsewhere it is still not a line.
    contacts.append(visit("here", C - HOUR, end=None))
    assert lists(run(engine, repeated_rule, contacts)) == {("OUH", "MED1"): ["a", "b", "c", "here"]}


NOT_COUNTING = (
    [{"priority": "planned"}]
    + [{"contact_type": t} for t in contract.CONTACT_TYPES if t != "physical"]
    + [
        {"procedures": ["AAF6"]},
        {"procedures": ["AAF7"]},
        {"procedures": ["AAF61"]},
        {"procedures": ["BFCA0", "AAF7"]},
    ]
    + [{"pathway": p} for p in contract.PATHWAYS]
    + [{"drg_value": 0.0}]
    + [
        {"specialty": s}
        for s in contract.SPECIALTIES
        if s not in ("medicine", "acute_medicine", "geriatrics")
    ]
)
STILL_COUNTING = [
    {"drg_value": None},  # not supplied: counts
    {"drg_value": 0.5},
    {"procedures": []},
    {"procedures": ["AAF"]},  # shorter than AAF6: no match
    {"procedures": ["AAF8", "BFCA0"]},
    {"specialty": "acute_medicine"},
    {"specialty": "geriatrics"},
]


@pytest.mark.parametrize("variant", NOT_COUNTING, ids=lambda v: "-".join(f"{k}={v[k]}" for k in v))
def test_excluded_activity_does_not_count_but_is_a_line(engine, repeated_rule, variant):
    two_plus_variant = [
        *two_earlier(),
        visit("v", C - 6 * HOUR, **variant),
        visit("here", C - HOUR, end=None, priority="planned"),
    ]
    assert run(engine, repeated_rule, two_plus_variant) == []

    three_plus_variant = [
        *two_earlier(),
        visit("c", C - 10 * DAY),
        visit("v", C - 6 * HOUR, **variant),
        visit("here", C - HOUR, end=None, priority="planned"),
    ]
    lines = run(engine, repeated_rule, three_plus_variant)
    assert lists(lines) == {("OUH", "MED1"): ["a", "b", "c", "here", "v"]}
    assert {line.contact_id: line.counted for line in lines}["v"] is False


@pytest.mark.parametrize(
    "variant", STILL_COUNTING, ids=lambda v: "-".join(f"{k}={v[k]}" for k in v)
)
def test_still_counting(engine, repeated_rule, variant):
    contacts = [
        *two_earlier(),
        visit("v", C - 6 * HOUR, **variant),
        visit("here", C - HOUR, end=None, priority="planned"),
    ]
    lines = run(engine, repeated_rule, contacts)
    assert {line.contact_id: line.counted for line in lines} == {
        "a": True,
        "b": True,
        "v": True,
        "here": False,
    }


# --------------------------------------------------------------------------- presence


def three_done():
    return [visit("a", C - 100 * DAY), visit("b", C - 50 * DAY), visit("c", C - 10 * DAY)]


@pytest.mark.parametrize(
    ("start", "end", "present"),
    [
        (C - 30 * HOUR, C - 24 * HOUR, True),  # ended exactly 24 h before C: in
        (C - 30 * HOUR, C - 24 * HOUR - SEC, False),  # one second more: out
        (C - 3 * HOUR, C, True),  # ended exactly at C: in
        (C - 3 * HOUR, None, True),  # ongoing, no end recorded
        (C - 3 * HOUR, C + 5 * HOUR, True),  # ongoing at C (ends after C)
        (C - 400 * DAY, None, True),  # started long before the window, still there
        (C - SEC, None, True),  # started one second before C
        (C, None, False),  # started at C: does not exist for this run
    ],
)
def test_presence_window(engine, repeated_rule, start, end, present):
    contacts = [
        *three_done(),
        visit(
            "p",
            start,
            end=end,
            hospital_unit="SLB",
            contact_department="KIR",
            priority="planned",
            specialty="surgery",
        ),
    ]
    lines = run(engine, repeated_rule, contacts)
    if present:
        ids = ["a", "b", "c"] + (["p"] if C - 182 * DAY <= start < C else [])
        assert lists(lines) == {("SLB", "KIR"): ids}
    else:
        assert lines == []


@pytest.mark.parametrize("contact_type", [t for t in contract.CONTACT_TYPES if t != "physical"])
def test_presence_needs_a_physical_contact(engine, repeated_rule, contact_type):
    contacts = [*three_done(), visit("p", C - 3 * HOUR, end=C - HOUR, contact_type=contact_type)]
    assert run(engine, repeated_rule, contacts) == []


def test_one_list_per_department_present(engine, repeated_rule):
    contacts = [
        *three_done(),
        visit("p", C - 30 * HOUR, end=C - 20 * HOUR, contact_department="MED2"),
        visit("q", C - 20 * HOUR, end=None, contact_department="MED3"),
    ]
    lines = run(engine, repeated_rule, contacts)
    assert lists(lines) == {
        ("OUH", "MED2"): ["a", "b", "c", "p", "q"],
        ("OUH", "MED3"): ["a", "b", "c", "p", "q"],
    }


def test_line_content(engine, repeated_rule):
    persons = [PERSON, {"cpr": "0202602345", "name": "Other"}]
    contacts = [
        *three_done(),
        visit(
            "p",
            C - 3 * HOUR,
            end=C + 10 * HOUR,
            course_department="MEDF",
            contact_department="AKM",
            action_diagnosis="DJ441",
            priority="planned",
        ),
        visit("x", C - 3 * HOUR, end=None, cpr="0202602345"),  # someone else: not on the list
    ]
    lines = run(engine, repeated_rule, contacts, persons=persons)
    p = next(line for line in lines if line.contact_id == "p")
    assert p.as_dict() == {
        "department": "AKM",
        "hospital_unit": "OUH",
        "cpr": CPR,
        "name": "Karen Jensen",
        "contact_id": "p",
        "action_diagnosis": "DJ441",
        "course_department": "MEDF",
        "contact_department": "AKM",
        "contact_start": C - 3 * HOUR,
        "contact_end": C + 10 * HOUR,  # the recorded end, even after C
        "counted": False,
        "new_today": True,
        "person_key": f"pk-{CPR}",
    }
    assert {line.cpr for line in lines} == {CPR}


# --------------------------------------------------------------------------- new_today


def test_new_today_when_qualifying_since_yesterday(engine, repeated_rule):
    contacts = [*two_earlier(), visit("c", C - 6 * HOUR, end=None)]
    assert {line.new_today for line in run(engine, repeated_rule, contacts, day=D)} == {True}
    # The next day, same data: still on the list, no longer new.
    assert {line.new_today for line in run(engine, repeated_rule, contacts, day=D + DAY)} == {False}


def test_not_new_when_on_yesterdays_list(engine, repeated_rule):
    contacts = [*three_done(), visit("p", C - 3 * DAY, end=None)]
    assert {line.new_today for line in run(engine, repeated_rule, contacts)} == {False}


def test_new_today_is_per_department(engine, repeated_rule):
    contacts = [
        *three_done(),
        visit("m1", C - 3 * DAY, end=C - 12 * HOUR, contact_department="MED1"),
        visit("m2", C - 12 * HOUR, end=None, contact_department="MED2"),
    ]
    lines = run(engine, repeated_rule, contacts)
    assert {(line.department, line.new_today) for line in lines} == {
        ("MED1", False),
        ("MED2", True),
    }


def test_returning_patient_is_new_again(engine, repeated_rule):
    # Present two days before, gone yesterday (ended > 24 h before yesterday's cut-off), back today.
    contacts = [
        *three_done(),
        visit("p", C - 3 * DAY, end=C - 2 * DAY - HOUR),
        visit("q", C - 2 * HOUR, end=None),
    ]
    assert {line.new_today for line in run(engine, repeated_rule, contacts)} == {True}
    assert run(engine, repeated_rule, contacts, day=D - DAY) == []
    # Two days before: new then too (p started after the cut-off of the day before that).
    assert {line.new_today for line in run(engine, repeated_rule, contacts, day=D - 2 * DAY)} == {
        True
    }


@pytest.mark.parametrize(("compare_with", "new"), [(PREVIOUS_DAY, False), (PREVIOUS_WEEKDAY, True)])
def test_new_today_previous_day_or_weekday(engine, repeated_rule, compare_with, new):
    monday = date(2024, 5, 6)
    saturday_10 = datetime(2024, 5, 4, 10, 0)
    rule = dataclasses.replace(repeated_rule, compare_with=compare_with)
    contacts = [
        visit("a", saturday_10 - 60 * DAY),
        visit("b", saturday_10 - 30 * DAY),
        visit("c", saturday_10, end=None),
    ]
    lines = run(engine, rule, contacts, day=monday)
    assert lines and {line.new_today for line in lines} == {new}


def test_previous_run_day(repeated_rule):
    weekday = dataclasses.replace(repeated_rule, compare_with=PREVIOUS_WEEKDAY)
    monday, saturday, sunday, tuesday = (
        date(2024, 5, 6),
        date(2024, 5, 4),
        date(2024, 5, 5),
        date(2024, 5, 7),
    )
    friday = date(2024, 5, 3)
    assert [weekday.previous_run_day(d) for d in (monday, saturday, sunday, tuesday)] == [
        friday
    ] * 3 + [monday]
    assert repeated_rule.previous_run_day(monday) == sunday
    assert repeated_rule.cutoff(D) == C


def test_run_day_must_be_a_date(repeated_rule):
    with pytest.raises(TypeError):
        repeated_rule.cutoff(C)


def test_empty_snapshot(engine, repeated_rule):
    assert run(engine, repeated_rule, [], persons=()) == []
