"""The shared clinical concepts (rules/config/concepts.yaml): the SQL a concept compiles to and its
Python predicate (the reference engine's meaning) agree on generated contacts; the rule files
take their definitions from the concepts; labels are formatted from the configured values; every
mistake in the file gives an error naming the file, the key and the fix."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opspor import contract
from opspor.config_reader import ConfigError
from opspor.engines import connect
from opspor.rules import load_aps_eligibility, load_repeated_acute, reference_engine
from opspor.rules.concepts import load_concepts, shipped
from opspor.rules.sql import Builder

CONCEPTS = shipped()
ENGINE = connect("duckdb:///:memory:")  # populate replaces its tables
AT = datetime(2024, 4, 26, 0, 0)
HOUR, DAY, SEC = timedelta(hours=1), timedelta(days=1), timedelta(seconds=1)

_CODES = sorted({p for cl in CONCEPTS.code_lists.lists.values() for p in cl.prefixes}
                | {"DR069", "DI21", "DJ189", "DE86", "DC81"})
_STARTS = [AT - d for d in (SEC, HOUR, 11 * HOUR, 12 * HOUR, 12 * HOUR + SEC, 3 * DAY,
                            31 * DAY, 40 * DAY)]
_LENGTHS = [None, timedelta(0), 3 * HOUR, 12 * HOUR - SEC, 12 * HOUR, 12 * HOUR + SEC, 5 * DAY,
            30 * DAY]
_GAPS = [timedelta(0), SEC, 30 * DAY, 30 * DAY + SEC, -HOUR]


@st.composite
def contacts(draw):
    """One person's contacts, clustered at the edges concepts care about (12-hour stays, open
    stays at the reference time, 30-day gaps), with every enumeration value and NULLs."""
    rows, previous_end = [], None
    for i in range(draw(st.integers(1, 6))):
        if previous_end is not None and draw(st.booleans()):
            start = min(previous_end + draw(st.sampled_from(_GAPS)), AT - SEC)
        else:
            start = draw(st.sampled_from(_STARTS))
        length = draw(st.sampled_from(_LENGTHS))
        end = None if length is None else start + length
        previous_end = end
        rows.append({
            "contact_id": f"c{i}", "cpr": "0101501234", "start": start, "end": end,
            "priority": draw(st.sampled_from(contract.PRIORITIES)),
            "contact_type": draw(st.sampled_from(contract.CONTACT_TYPES)),
            "action_diagnosis": draw(st.one_of(st.none(), st.sampled_from(_CODES))),
            "secondary_diagnoses": draw(st.one_of(
                st.none(), st.lists(st.one_of(st.none(), st.sampled_from(_CODES)), max_size=2))),
            "procedures": draw(st.one_of(st.none(), st.lists(
                st.sampled_from(["AAF6", "AAF71", "AAF", "AAF8", "BFCA0"]), max_size=2))),
        })
    return rows


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=contacts())
def test_sql_and_python_predicate_agree_on_every_concept(rows):
    ENGINE.populate({"persons": [{"cpr": "0101501234"}], "contacts": rows})
    history = reference_engine.existing(
        reference_engine.read_snapshot(ENGINE).contacts.get("pk-0101501234", []), AT)
    for name in CONCEPTS.contacts:
        b = Builder(ENGINE.dialect, CONCEPTS.admission_hours)
        expr = CONCEPTS.sql_with(b, name, "k", AT, existing="ex")
        ctes = ", ".join([ENGINE.dialect.cte("ex", b.existing(AT)), *b.ctes])
        got = dict(ENGINE.rows(f"WITH {ctes} SELECT k.contact_id, {expr} FROM ex AS k"))
        meets = CONCEPTS.predicate(name)
        want = {c.contact_id: meets(c, AT, history) for c in history}
        assert got == want, name


def test_the_rules_take_their_definitions_from_the_concepts():
    aps, repeated = load_aps_eligibility(), load_repeated_acute()
    routes = {r.id: r for r in aps.routes}
    assert routes["diagnosis"].any_of[0].contact == CONCEPTS["chronic_condition"].criteria
    assert routes["repeated_admissions"].any_of[0].contact == CONCEPTS["acute_admission"].criteria
    assert routes["repeated_admissions"].min_age == CONCEPTS.age("adult") == 18
    elderly = routes["elderly_preventable_or_readmission"]
    assert elderly.min_age == CONCEPTS.age("elderly") == 65
    assert [c.contact for c in elderly.any_of] == [
        CONCEPTS["preventable_admission"].criteria, CONCEPTS["readmission"].criteria]
    assert aps.admission_hours == repeated.admission_hours == CONCEPTS.admission_hours == 12
    assert repeated.presence.contact == CONCEPTS["physical_contact"].criteria
    target = repeated.target_group.contact
    assert target.priority == ("acute",) and target.contact_type == ("physical",)


def test_a_home_visit_is_its_type_or_its_procedure():
    meets = CONCEPTS.predicate("home_visit")
    ENGINE.populate({"persons": [{"cpr": "0101501234"}], "contacts": [
        {"contact_id": "type", "cpr": "0101501234", "start": AT - DAY, "contact_type": "home_visit"},
        {"contact_id": "code", "cpr": "0101501234", "start": AT - DAY, "procedures": ["AAF71"]},
        {"contact_id": "none", "cpr": "0101501234", "start": AT - DAY, "procedures": ["AAF8"]},
    ]})
    got = {c.contact_id: meets(c, AT) for c in reference_engine.read_snapshot(ENGINE).contacts["pk-0101501234"]}
    assert got == {"type": True, "code": True, "none": False}


# --------------------------------------------------------------------------- labels




def test_labels_state_the_configured_values(config):
    assert CONCEPTS.label("acute_admission", "da") == "akut indlæggelse (≥ 12 timer)"
    assert CONCEPTS.label("readmission", "en") == "acute readmission within 30 days"
    assert CONCEPTS.label("elderly", "da") == "ældre (65 år eller ældre)"

    def change(d):
        d["admission_hours"] = 8
        d["concepts"]["readmission"]["contact"]["preceded_by"]["within_days"] = 14
        d["ages"]["elderly"]["min_age"] = 67

    other = load_concepts(edit(config / "concepts.yaml", change))
    assert other.label("acute_admission", "da") == "akut indlæggelse (≥ 8 timer)"
    assert other.label("readmission", "en") == "acute readmission within 14 days"
    assert other.label("elderly", "da") == "ældre (67 år eller ældre)"
    # and the rules follow the file they name
    rule = load_aps_eligibility(config / "aps_eligibility.yaml")
    assert rule.admission_hours == 8 and rule.routes[2].min_age == 67
    assert rule.routes[2].any_of[1].contact.preceded_by.within_days == 14


# --------------------------------------------------------------------------- errors


def edit(path: Path, change) -> Path:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return path


def error(path: Path, loader=load_concepts) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        loader(path)
    assert info.value.file == str(path)
    return info.value


def test_unknown_concept_suggests_the_right_one(config):
    path = edit(config / "repeated_acute.yaml",
                lambda d: d["presence"]["contact"].update(concept="physical_contacts"))
    err = error(path, load_repeated_acute)
    assert err.key == "presence.contact.concept" and "`physical_contact`" in err.fix


def test_a_condition_set_twice_is_refused(config):
    path = edit(config / "aps_eligibility.yaml",
                lambda d: d["routes"][1]["any_of"][0]["contact"].update(priority=["planned"]))
    err = error(path, load_aps_eligibility)
    assert err.key == "routes[1].any_of[0].contact.concept" and "priority" in err.problem


def test_an_any_of_concept_cannot_be_combined(config):
    path = edit(config / "repeated_acute.yaml",
                lambda d: d["presence"]["contact"].update(concept="home_visit"))
    err = error(path, load_repeated_acute)
    assert "any_of" in err.problem


def test_a_label_may_only_name_values_the_concept_has(config):
    path = edit(config / "concepts.yaml",
                lambda d: d["concepts"]["home_visit"].update(label_da="hjemmebesøg ({within_days} dage)"))
    err = error(path)
    assert err.key == "concepts.home_visit.label_da" and "{within_days}" in err.problem


def test_a_concept_needs_contact_or_any_of(config):
    path = edit(config / "concepts.yaml", lambda d: d["concepts"]["admission"].pop("contact"))
    err = error(path)
    assert err.key == "concepts.admission" and "contact" in err.fix


def test_admission_hours_must_be_a_positive_whole_number(config):
    path = edit(config / "concepts.yaml", lambda d: d.update(admission_hours="12h"))
    err = error(path)
    assert err.key == "admission_hours" and "admission_hours: 12" in err.fix


def test_unknown_age_concept(config):
    path = edit(config / "aps_eligibility.yaml", lambda d: d["routes"][2].update(age="old"))
    err = error(path, load_aps_eligibility)
    assert err.key == "routes[2].age" and "elderly" in err.fix
