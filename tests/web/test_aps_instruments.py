"""The questionnaire engine: WHO-5 as shipped, a second instrument from a test YAML file through
the engine and the web form (instruments are configuration), and config errors that name the
file, the key path and the fix."""

from __future__ import annotations

import textwrap

import pytest
from django.utils import timezone

from opspor.web.aps import instruments
from opspor.web.aps.instruments import loader
from opspor.web.aps.models import QuestionnaireResponse
from opspor.web.audit.models import AuditEntry
from tests.web.factories import *  # the fixtures world and as_user
from tests.web.factories import make_case

MOBILITY = """\
id: mobility
version: "0.1-test"
title: {da: Mobilitet (test), en: Mobility (test)}
scales:
  agree:
    - {value: 1, label: {da: Helt uenig, en: Strongly disagree}}
    - {value: 2, label: {da: Uenig, en: Disagree}}
    - {value: 3, label: {da: Enig, en: Agree}}
    - {value: 4, label: {da: Helt enig, en: Strongly agree}}
items:
  - {id: m1, scale: agree, text: {da: Jeg kan gå på trapper, en: I can climb stairs}}
  - {id: m2, scale: agree, text: {da: Jeg kan handle ind, en: I can do my shopping}}
  - {id: m3, scale: agree, reverse: true, text: {da: Jeg er bange for at falde, en: I am afraid of falling}}
scoring: {method: mean, decimals: 2, missing: prorate, max_missing: 1}
interpretation:
  - {id: low, at_most: 2, level: warn, label: {da: Lav mobilitet, en: Low mobility}}
  - {id: fine, label: {da: God mobilitet, en: Good mobility}}
"""


def who5(*values):
    return {f"q{i}": v for i, v in enumerate(values, start=1)}


def test_who5_scores_0_to_100_with_the_published_bands():
    w = instruments.get("who5")
    assert (w.id, w.version, len(w.items), w.score_range) == ("who5", "1998", 5, (0.0, 100.0))
    assert w.items[0].text["da"].startswith("I de sidste 2 uger")
    assert [c.value for c in w.items[0].scale.choices] == [5, 4, 3, 2, 1, 0]
    assert w.score(who5(5, 5, 5, 5, 5)).score == 100
    assert w.score(who5(0, 0, 0, 0, 0)).score == 0
    assert w.score(who5(2, 1, 2, 1, 1)).score == 28 and w.score(who5(2, 1, 2, 1, 1)).band.id == "likely_depression"
    assert w.score(who5(2, 2, 2, 1, 1)).score == 32 and w.score(who5(2, 2, 2, 1, 1)).band.id == "reduced"
    assert w.score(who5(3, 3, 2, 2, 2)).score == 48 and w.score(who5(3, 3, 2, 2, 2)).band.id == "reduced"
    assert w.score(who5(3, 3, 3, 2, 2)).score == 52 and w.score(who5(3, 3, 3, 2, 2)).band.id == "good"
    missing = w.score({"q1": 5, "q2": 5, "q3": 5, "q4": 5, "q5": ""})
    assert (missing.score, missing.band, missing.missing) == (None, None, ("q5",))
    with pytest.raises(instruments.AnswerError):
        w.score(who5(6, 5, 5, 5, 5))
    with pytest.raises(instruments.AnswerError):
        w.score({"q9": 1})


def test_a_second_instrument_is_pure_configuration(tmp_path):
    (tmp_path / "mobility.yaml").write_text(MOBILITY, encoding="utf-8")
    m = loader.load_file(tmp_path / "mobility.yaml")
    assert m.items[2].reverse and m.name("en") == "Mobility (test)" and m.score_range == (1.0, 4.0)
    assert m.score({"m1": 4, "m2": 3, "m3": 1}).score == 3.67  # m3 reversed: 1 -> 4
    assert m.score({"m1": 4, "m3": 4}).score == 2.5  # one missing: the mean of the others
    assert m.score({"m1": 1, "m2": 2, "m3": 4}).band.id == "low"  # (1 + 2 + 1) / 3 = 1.33
    assert m.score({"m1": 4}).score is None  # two missing: more than max_missing


@pytest.mark.django_db
def test_the_web_form_is_generated_from_a_test_instrument(world, as_user, tmp_path, settings):
    (tmp_path / "mobility.yaml").write_text(MOBILITY, encoding="utf-8")
    settings.APS_INSTRUMENT_DIRS = [str(tmp_path)]
    assert set(instruments.instruments()) == {"who5", "mobility"}
    case = make_case(world.persons["p1"], world.users["nina"], world.users["pia"], "active", started_at=timezone.now())
    client = as_user(world.users["nina"])
    html = client.get(f"/aps/forloeb/{case.pk}/?instrument=mobility").content.decode()
    assert "I am afraid of falling" in html and 'name="item_m3"' in html and "4 – Strongly agree" in html
    assert 'name="item_q1"' not in html
    response = client.post(f"/aps/forloeb/{case.pk}/spoergeskema/", {
        "instrument": "mobility", "timepoint": "3m", "taken_on": timezone.localdate().isoformat(),
        "item_m1": "4", "item_m2": "3", "item_m3": "1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "3.67" in response.content.decode()
    r = QuestionnaireResponse.objects.get()
    assert (r.instrument, r.instrument_version, r.score, r.band, r.answers) == (
        "mobility", "0.1-test", 3.67, "fine", {"m1": 4, "m2": 3, "m3": 1})
    entry = AuditEntry.objects.get(what="aps.questionnaire")
    assert entry.detail["instrument"] == "mobility" and entry.detail["score"] == 3.67


@pytest.mark.django_db
def test_who5_with_a_missing_answer_is_saved_without_a_score(world, as_user):
    case = make_case(world.persons["p1"], world.users["nina"], world.users["pia"], "active", started_at=timezone.now())
    client = as_user(world.users["nina"])
    response = client.post(f"/aps/forloeb/{case.pk}/spoergeskema/", {
        "instrument": "who5", "timepoint": "baseline", "taken_on": timezone.localdate().isoformat(),
        "item_q1": "5", "item_q2": "5", "item_q3": "5", "item_q4": "5"}, follow=True)
    assert "Saved without a score" in response.content.decode()
    r = QuestionnaireResponse.objects.get()
    assert (r.score, r.band, r.answers) == (None, "", {"q1": 5, "q2": 5, "q3": 5, "q4": 5})
    # nothing answered is refused; an answer off the scale is a form error
    data = {"instrument": "who5", "timepoint": "baseline", "taken_on": timezone.localdate().isoformat()}
    assert client.post(f"/aps/forloeb/{case.pk}/spoergeskema/", data).status_code == 400
    assert client.post(f"/aps/forloeb/{case.pk}/spoergeskema/", {**data, "item_q1": "9"}).status_code == 400
    assert QuestionnaireResponse.objects.count() == 1


@pytest.mark.parametrize("change, where, fix", [
    (("scale: agree, reverse: true", "scale: agre, reverse: true"), "items[2].scale", "use one of: agree"),
    (("decimals: 2", "decimals: 2, multipler: 4"), "scoring.multipler",
     "did you mean `multiplier`? allowed keys here: decimals, max_missing, method, missing, multiplier"),
    (("title: {da: Mobilitet (test), en: Mobility (test)}", "title: {en: Mobility (test)}"), "title", "add da:"),
    (("reverse: true", "reverse: yes please"), "items[2].reverse", "reverse: true or reverse: false"),
    (("{id: low, at_most: 2,", "{id: low,"), "interpretation[0]", "add at_most: or below:"),
    (("max_missing: 1", "max_missing: 0"), "scoring.max_missing", "set max_missing: 1"),
    (("{value: 2, label", "{value: 1, label"), "scales.agree[1].value", "its own value"),
    (("version: \"0.1-test\"\n", ""), "version", "add `version:`"),
    (("- {id: m1,", "- {id: m1, id2: x,"), "items[0].id2", "allowed keys here: enable_when, id, reverse, scale, text"),
])
def test_config_errors_name_file_key_path_and_fix(tmp_path, change, where, fix):
    old, new = change
    assert old in MOBILITY
    path = tmp_path / "broken.yaml"
    path.write_text(MOBILITY.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(loader.InstrumentConfigError) as e:
        loader.load_file(path)
    assert e.value.file == "broken.yaml" and e.value.where == where and fix in e.value.fix
    assert str(e.value).startswith(f"broken.yaml: at {where}: ")


def test_a_key_written_twice_is_refused(tmp_path):
    """Duplicate keys are refused as in every configuration file (the last one used to win)."""
    path = tmp_path / "twice.yaml"
    path.write_text(MOBILITY.replace("scoring: {", "scoring: {method: mean, ", 1), encoding="utf-8")
    with pytest.raises(loader.InstrumentConfigError,
                       match=r"twice.yaml: at line \d+, column \d+: not valid YAML: duplicate key 'method'"):
        loader.load_file(path)


def test_invalid_yaml_and_duplicate_ids_are_refused(tmp_path, settings):
    path = tmp_path / "bad.yaml"
    path.write_text(textwrap.dedent("""\
        id: bad
        title: [unclosed
        """), encoding="utf-8")
    with pytest.raises(loader.InstrumentConfigError, match=r"bad.yaml: at line \d+, column \d+: not valid YAML"):
        loader.load_file(path)
    path.unlink()
    (tmp_path / "copy.yaml").write_text((loader.CONFIG_DIR / "who5.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    settings.APS_INSTRUMENT_DIRS = [str(tmp_path)]  # the shipped folder, then this one
    with pytest.raises(loader.InstrumentConfigError, match="the id 'who5' is also used by who5.yaml"):
        loader.instruments()
    settings.APS_INSTRUMENT_DIRS = [str(tmp_path / "nowhere")]
    with pytest.raises(loader.InstrumentConfigError, match="does not exist"):
        loader.get("who5")
