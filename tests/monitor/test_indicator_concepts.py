"""The indicators ask for the shared concepts of rules/config/concepts.yaml instead of repeating
them: an admission concept gives the events their length, the readmission concept the 30 days,
an age concept the population's age; texts state those numbers only through placeholders filled
from the definition. Mistakes name the file, the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from opspor.monitor.definitions import ConfigError, load_indicators
from opspor.rules.concepts import shipped

SHIPPED = Path("src/opspor/monitor/config/indicators.yaml")


def _versions():
    return {(i.id, v.version): v for i in load_indicators().indicators for v in i.versions}


def test_indicators_take_lengths_windows_and_ages_from_the_concepts():
    c, v = shipped(), _versions()
    for key in (("acute_admissions_copd", "1"), ("acute_admissions_type2_diabetes", "1"),
                ("preventable_admissions_elderly", "1")):
        assert v[key].events.min_hours == c.admission_hours == 12
        assert v[key].events.contact.priority == ("acute",) and not v[key].events.contact.admission
    assert v[("preventable_admissions_elderly", "2")].events.min_hours == 4  # a stay since LPR3
    readmissions = v[("readmissions_30d", "1")]
    assert readmissions.readmission.within_days == c.within_days("readmission") == 30
    assert readmissions.readmission.events.min_hours == readmissions.events.min_hours == 12
    assert readmissions.readmission.events.contact.pathway_empty
    assert v[("preventable_admissions_elderly", "2")].population.min_age == c.age("elderly") == 65


def test_texts_are_formatted_from_the_definition():
    v = _versions()
    assert v[("acute_admissions_copd", "1")].label_da == "akutte indlæggelser (12 timer eller derover)"
    assert v[("preventable_admissions_elderly", "2")].label_en == \
        "preventable hospital stays of 4 hours or more (LPR3)"
    assert v[("preventable_admissions_elderly", "2")].unit.da == "pr. 1.000 ældre (65+)"
    assert v[("readmissions_30d", "1")].title_da == "Akutte genindlæggelser inden for 30 dage"
    repeated = load_indicators().get("repeated_acute_contacts").versions[0]
    assert repeated.label_da == ("personer med en tællende akut kontakt, der var mindst den 3. på 182 dage "
                                 "på samme sygehusenhed")


def _broken(tmp_path, old: str, new: str) -> Path:
    text = SHIPPED.read_text(encoding="utf-8")
    assert old in text, old
    bad = tmp_path / "indicators.yaml"
    bad.write_text(text.replace(old, new, 1).replace(
        "../../rules/config/code_lists.yaml", str(Path("src/opspor/rules/config/code_lists.yaml").resolve())),
        encoding="utf-8")
    (tmp_path / "code_lists.yaml").write_text(
        (SHIPPED.parent / "code_lists.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    return bad


@pytest.mark.parametrize(("old", "new", "key", "says"), [
    ("contact: {concept: acute_admission}", "min_hours: 12\n          contact: {concept: acute_admission}",
     "indicators[1].versions[0].events.min_hours", "already gives the length"),
    ("contact: {concept: acute_admission}", "contact: {concept: acute_admision}",
     "indicators[1].versions[0].events.contact.concept", "did you mean `acute_admission`"),
    ("population: {age: elderly}", "population: {age: old}", "indicators[0].versions[0].population.age",
     "elderly"),
    ("acute admissions ({admission_hours} hours", "acute admissions ({admision_hours} hours",
     "indicators[1].versions[0].label_en", "{admission_hours}"),
    ("contact: {any_diagnosis_in: copd}", "contact: {concept: acute_admission}",
     "conditions.copd.contact.concept", "not meaningful here"),
])
def test_concept_mistakes_name_file_key_and_fix(tmp_path, old, new, key, says):
    bad = _broken(tmp_path, old, new)
    with pytest.raises(ConfigError) as e:
        load_indicators(bad)
    assert e.value.file == str(bad) and e.value.key == key and says in str(e.value), str(e.value)
