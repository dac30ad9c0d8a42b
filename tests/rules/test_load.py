"""Loading the YAML rule files: the shipped files say what the specification says, and every
mistake in a file gives an error naming the file, the key and the fix."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest
import yaml

from opspor.rules import RuleConfigError, load_aps_eligibility, load_code_lists, load_repeated_acute
from opspor.rules.concepts import shipped as shipped_concepts

# --------------------------------------------------------------------------- the shipped files


def test_shipped_code_lists_are_the_specified_ones():
    lists = load_code_lists().lists
    assert lists["home_visit_procedures"].entries == ("AAF6", "AAF7")
    assert dict(lists["aps_chronic_disease"].groups) == {
        "heart": ("DI110", "DI130", "DI132", "DI50"),
        "connective_tissue": ("DD86", "DM05", "DM06", "DM08", "DM09", "DM30-DM36"),
        "lung": (
            "DJ40-DJ47",
            "DJ60-DJ67",
            "DJ684",
            "DJ701",
            "DJ703",
            "DJ841",
            "DJ842",
            "DJ843",
            "DJ848",
            "DJ849",
            "DJ920",
            "DJ961",
            "DJ982",
            "DJ983",
        ),
        "diabetes": ("DE10", "DE11", "DE14"),
    }
    assert dict(lists["preventable_admissions_elderly"].groups) == {
        "dehydration": ("DE86",),
        "constipation": ("DK590",),
        "lower_respiratory_disease": ("DJ12-DJ18", "DJ20-DJ22", "DJ44"),
        "cystitis_urinary_tract_infection": ("DN30", "DN390"),
        "gastroenteritis": ("DA09", "DK529"),
        "fractures": (
            "DS02",
            "DS12",
            "DS22",
            "DS32",
            "DS42",
            "DS52",
            "DS62",
            "DS72",
            "DS82",
            "DS92",
        ),
        "nutritional_anaemia": ("DD50-DD53",),
        "social_and_care_related": ("DZ74", "DZ75"),
        "pressure_ulcers": ("DL89",),
    }
    assert "Sundhedsdatastyrelsen" in lists["preventable_admissions_elderly"].source
    assert (
        "verified against the current official definition"
        in lists["preventable_admissions_elderly"].note
    )
    assert lists["aps_exclusion_substance_abuse"].prefixes == ("DF1",)
    assert lists["aps_exclusion_schizophrenia"].prefixes == ("DF2",)
    assert lists["aps_exclusion_dementia"].prefixes == ("DF00", "DF01", "DF02", "DF03", "DF051")
    assert lists["aps_exclusion_metastatic_cancer"].prefixes == ("DC77", "DC78", "DC79", "DC80")
    assert all(code_list.source for code_list in lists.values())


def test_shipped_repeated_acute_rule():
    rule = load_repeated_acute()
    assert rule.info.version and rule.info.code_lists_version and len(rule.info.digest) == 64
    assert (rule.cutoff_days_before_run, rule.cutoff_time) == (1, time(18, 0))
    target = rule.target_group
    assert (target.window_days, target.at_least, target.same_hospital_unit) == (182, 3, True)
    c = target.contact
    assert (c.priority, c.contact_type, c.specialty) == (
        ("acute",),
        ("physical",),
        ("medicine", "acute_medicine", "geriatrics"),
    )
    assert (
        c.pathway_empty
        and c.drg_value_not_zero
        and c.procedures_none_of.name == "home_visit_procedures"
    )
    assert (
        rule.presence.contact.contact_type == ("physical",)
        and rule.presence.ended_within_hours == 24
    )
    assert rule.lines_window_days == 182 and rule.compare_with == "previous_day"


def test_shipped_eligibility_rule():
    rule = load_aps_eligibility()
    assert rule.admission_hours == shipped_concepts().admission_hours == 12
    assert [(r.id, r.min_age) for r in rule.routes] == [
        ("diagnosis", None),
        ("repeated_admissions", 18),
        ("elderly_preventable_or_readmission", 65),
    ]
    assert [e.reason for e in rule.exclusions] == [
        "substance_abuse",
        "schizophrenia",
        "dementia",
        "metastatic_cancer",
        "assisted_living",
        "dead",
    ]
    readmission = rule.routes[2].any_of[1].contact
    assert (
        readmission.preceded_by.within_days == 30
        and readmission.preceded_by.contact.priority is None
    )


# --------------------------------------------------------------------------- errors




def edit(path: Path, change) -> Path:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return path


def error(loader, path) -> RuleConfigError:
    with pytest.raises(RuleConfigError) as info:
        loader(path)
    err = info.value
    assert str(path) in str(err) and err.key in str(err) and err.fix in str(err)
    return err


def test_unknown_key_suggests_the_right_one(config):
    path = edit(config / "repeated_acute.yaml", lambda d: d["target_group"].update(windw_days=182))
    err = error(load_repeated_acute, path)
    assert err.key == "target_group.windw_days" and "`window_days`" in err.fix


def test_missing_version(config):
    err = error(
        load_aps_eligibility, edit(config / "aps_eligibility.yaml", lambda d: d.pop("version"))
    )
    assert err.key == "version" and "bump" in err.fix


@pytest.mark.parametrize("value", ["182", True, 0, 1.5, None])
def test_window_must_be_a_positive_whole_number(config, value):
    path = edit(
        config / "repeated_acute.yaml", lambda d: d["target_group"].update(window_days=value)
    )
    err = error(load_repeated_acute, path)
    assert err.key == "target_group.window_days" and "window_days: 182" in err.fix


def test_unknown_enumeration_value(config):
    path = edit(
        config / "repeated_acute.yaml",
        lambda d: d["target_group"]["contact"].update(priority=["acut"]),
    )
    err = error(load_repeated_acute, path)
    assert err.key == "target_group.contact.priority[0]" and "`acute`" in err.fix


def test_unknown_code_list(config):
    def change(d):
        d["routes"][0]["any_of"][0]["contact"]["any_diagnosis_in"] = "aps_chronic_diseases"

    err = error(load_aps_eligibility, edit(config / "aps_eligibility.yaml", change))
    assert (
        err.key == "routes[0].any_of[0].contact.any_diagnosis_in"
        and "`aps_chronic_disease`" in err.fix
    )


def test_bad_range_names_list_and_entry(config):
    def change(d):
        d["lists"]["aps_chronic_disease"]["groups"]["connective_tissue"][5] = "DM30-DN36"

    edit(config / "code_lists.yaml", change)
    err = error(load_code_lists, config / "code_lists.yaml")
    assert err.key == "lists.aps_chronic_disease.groups.connective_tissue[5]"
    assert (
        "aps_chronic_disease" in err.problem
        and "DM30-DN36" in err.problem
        and "DM30-DM36" in err.fix
    )
    # Loading a rule that uses the list reports the code-list file.
    with pytest.raises(RuleConfigError) as info:
        load_aps_eligibility(config / "aps_eligibility.yaml")
    assert info.value.file == str(config / "code_lists.yaml")


def test_list_needs_codes_or_groups(config):
    edit(
        config / "code_lists.yaml",
        lambda d: d["lists"]["home_visit_procedures"].update(groups={"x": ["AAF6"]}),
    )
    err = error(load_code_lists, config / "code_lists.yaml")
    assert err.key == "lists.home_visit_procedures" and "codes" in err.fix


def test_unquoted_time(config):
    path = config / "repeated_acute.yaml"
    path.write_text(path.read_text().replace('time: "18:00"', "time: 18:00"))
    err = error(load_repeated_acute, path)
    assert err.key == "cutoff.time" and 'time: "18:00"' in err.fix


def test_compare_with(config):
    path = edit(
        config / "repeated_acute.yaml", lambda d: d["new_today"].update(compare_with="weekly")
    )
    err = error(load_repeated_acute, path)
    assert err.key == "new_today.compare_with" and "previous_weekday" in err.fix


def test_duplicate_key_and_bad_yaml(config):
    path = config / "repeated_acute.yaml"
    text = path.read_text()
    path.write_text(
        text.replace("  window_days: 182\n", "  window_days: 182\n  window_days: 183\n", 1)
    )
    err = error(load_repeated_acute, path)
    assert "duplicate key 'window_days'" in err.problem and err.key.startswith("line ")
    path.write_text(text.replace("version: 1", "version: [1"))
    err = error(load_repeated_acute, path)
    assert "not valid YAML" in err.problem


def test_admission_hours_live_in_the_concepts_file(config):
    err = error(
        load_aps_eligibility,
        edit(config / "aps_eligibility.yaml", lambda d: d.update(admission_hours=12)),
    )
    assert err.key == "admission_hours" and "concepts.yaml" in err.fix


def test_admission_needs_the_concepts_file(config):
    def change(d):
        d.pop("concepts")
        d["routes"][1]["any_of"][0]["contact"] = {"priority": ["acute"], "admission": True}

    err = error(load_aps_eligibility, edit(config / "aps_eligibility.yaml", change))
    assert err.key == "concepts" and "concepts: concepts.yaml" in err.fix


def test_exclusion_needs_exactly_one_kind(config):
    def change(d):
        d["exclusions"][0]["dead"] = True

    err = error(load_aps_eligibility, edit(config / "aps_eligibility.yaml", change))
    assert err.key == "exclusions[0]" and "one exclusion per kind" in err.fix


def test_duplicate_route_id(config):
    err = error(
        load_aps_eligibility,
        edit(config / "aps_eligibility.yaml", lambda d: d["routes"][1].update(id="diagnosis")),
    )
    assert err.key == "routes[1].id"


def test_wrong_loader(config):
    err = error(load_repeated_acute, config / "aps_eligibility.yaml")
    assert err.key == "rule" and "load the file with the loader for its rule" in err.fix


def test_missing_code_list_file(config):
    (config / "code_lists.yaml").unlink()
    err = error(load_repeated_acute, config / "repeated_acute.yaml")
    assert err.key == "code_lists"


def test_missing_file(tmp_path):
    err = error(load_repeated_acute, tmp_path / "nope.yaml")
    assert "cannot be read" in err.problem


def test_package_entry_points_and_arrow():
    from datetime import date, datetime

    from opspor.engines import connect
    from opspor.rules import aps_eligibility, repeated_acute_list
    from opspor.rules.results import ELIGIBILITY_SCHEMA, LIST_SCHEMA, to_arrow

    tables = {
        "persons": [{"cpr": "0101501234"}],
        "contacts": [
            {
                "contact_id": f"c{i}",
                "cpr": "0101501234",
                "start": datetime(2024, 4, 1 + 10 * i),
                "action_diagnosis": "DE11",
            }
            for i in range(3)
        ],
    }
    with connect("reference:///:memory:") as reference, connect("duckdb:///:memory:") as con:
        reference.populate(tables)
        con.populate(tables)
        rows = aps_eligibility(reference, date(2024, 6, 1))
        assert rows == aps_eligibility(con, date(2024, 6, 1)) and rows[0].routes[0] == "diagnosis"
        assert to_arrow(rows, ELIGIBILITY_SCHEMA).num_rows == 1
        lines = repeated_acute_list(con, date(2024, 6, 1))
        assert to_arrow(lines, LIST_SCHEMA).schema == LIST_SCHEMA
