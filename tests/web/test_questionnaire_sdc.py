"""Questionnaires as FHIR Questionnaire with Structured Data Capture (issue 14 item 3): a
conditional question (``enable_when``, FHIR enableWhen) in the instrument's YAML, asked on the
citizen's page only when enabled (the server ignores a hidden question's answer and requires an
enabled one), never scored; the export with enableWhen, ordinalValue and the score as an SDC
calculatedExpression (checked by the fhir.resources models); `opspor web questionnaire-fhir-import`
reading a Questionnaire back into the YAML form (the round trip gives the same instrument), its
refusals naming file, linkId, field and fix; the QuestionnaireResponse with the score."""

from __future__ import annotations

import json
import uuid

import pytest
from django.utils import timezone
from fhir.resources.R4B.questionnaire import Questionnaire as FhirQuestionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse as FhirResponse

from opspor.fhir.questionnaire import CALCULATED, ORDINAL, questionnaire
from opspor.web.aps import instruments
from opspor.web.aps.instruments.loader import InstrumentConfigError, load_file
from opspor.web.aps.models import QuestionnaireRequest, QuestionnaireResponse
from opspor.web.signin import actions as signin
from tests.web import web_kit
from tests.web.factories import *  # noqa: F403 (the fixture world)
from tests.web.factories import make_case
from tests.web.test_audit_one_path import _cli
from tests.web.test_citizen_page import as_user, text  # noqa: F401 (a fixture: two browsers at once)

pytestmark = pytest.mark.django_db

WHO5 = instruments.loader.CONFIG_DIR / "who5.yaml"
# WHO-5 with a follow-up question asked only when the first answer is 0 or 1 (a test instrument)
FOLLOW_UP = """
  - id: q6
    scale: yesno
    text: {da: "Vil du gerne ringes op af din sygeplejerske?", en: "Would you like your nurse to call you?"}
    enable_when: {item: q1, answers: [0, 1]}
"""


def conditional_yaml() -> str:
    text_ = WHO5.read_text().replace("id: who5", "id: who5x").replace(
        "scales:\n", "scales:\n  yesno:\n    - {value: 1, label: {da: Ja, en: 'Yes'}}\n"
                     "    - {value: 0, label: {da: Nej, en: 'No'}}\n")
    return text_.replace("scoring:\n", FOLLOW_UP.lstrip("\n") + "scoring:\n", 1)


@pytest.fixture
def folder(tmp_path, settings):
    folder = tmp_path / "instruments"
    folder.mkdir()
    (folder / "who5x.yaml").write_text(conditional_yaml())
    settings.APS_INSTRUMENT_DIRS = [str(folder)]
    return folder


def test_a_conditional_question_is_asked_only_when_enabled_and_never_scored(folder):
    spec = instruments.get("who5x")
    q6 = spec.items[-1]
    assert q6.enable_when.item == "q1" and q6.enable_when.answers == (0, 1)
    assert [i.id for i in spec.scored_items] == ["q1", "q2", "q3", "q4", "q5"] and spec.score_range == (0, 100)
    low = {f"q{n}": 1 for n in range(1, 6)}
    assert [i.id for i in spec.enabled(low)] == [*low, "q6"]
    assert spec.score({**low, "q6": 1}).score == 20 and spec.score({**low, "q6": 1}).answers["q6"] == 1
    high = {**low, "q1": 5}
    assert "q6" not in [i.id for i in spec.enabled(high)]
    result = spec.score({**high, "q6": 1})  # hidden: the answer is dropped, not scored
    assert result.score == 36 and "q6" not in result.answers and result.missing == ()


@pytest.mark.parametrize(("change", "where", "fix"), [
    ("enable_when: {item: q1, answers: [0, 1]}", None, None),
    ("enable_when: {item: q9, answers: [0, 1]}", "items[5].enable_when.item", "earlier"),
    ("enable_when: {item: q1, answers: [7]}", "items[5].enable_when.answers[0]", "5, 4, 3, 2, 1, 0"),
    ("enable_when: {item: q1, answers: []}", "items[5].enable_when.answers", "answers: [0, 1]"),
    ("enable_when: {item: q1, answer: 0}", "items[5].enable_when", "answers"),
])
def test_a_bad_condition_names_file_key_and_fix(tmp_path, change, where, fix):
    path = tmp_path / "who5x.yaml"
    path.write_text(conditional_yaml().replace("enable_when: {item: q1, answers: [0, 1]}", change))
    if where is None:
        assert load_file(path).items[-1].enable_when is not None
        return
    with pytest.raises(InstrumentConfigError) as error:
        load_file(path)
    assert "who5x.yaml" in str(error.value) and where in str(error.value) and fix in str(error.value)


@pytest.fixture
def invitation(world, folder):
    w = world
    case = make_case(w.persons["p1"], w.users["nina"], w.users["pia"], "active", started_at=timezone.now())
    citizen = signin.link_local_citizen(w.persons["p1"], "borger-p1", web_kit.PASSWORD)
    request = QuestionnaireRequest.objects.create(
        case=case, instrument="who5x", timepoint="baseline", send_on=timezone.localdate(),
        deadline=timezone.localdate(), channel="email", address="b@eksempel.dk", state="sent",
        scheduled_by=w.users["nina"], public_id=uuid.uuid4())
    return citizen, f"/borger/skema/{request.public_id}/"


def test_the_citizen_page_honours_enable_when(invitation, as_user):
    citizen, path = invitation
    me = as_user(citizen)
    form = text(me.get(path))
    assert 'data-when-field="item_q1" data-when-values="0 1"' in form and "enable_when.js" in form
    low = {f"item_q{n}": "1" for n in range(1, 6)}
    # enabled (q1 = 1) and not answered: refused, the question named, nothing stored
    refused = me.post(path, low)
    assert refused.status_code == 400 and "Answer question 6." in text(refused)
    assert not QuestionnaireResponse.objects.exists()
    # hidden (q1 = 5): not required, and an answer the browser sent anyway is not kept
    assert me.post(path, {**low, "item_q1": "5", "item_q6": "1"}).status_code == 302
    response = QuestionnaireResponse.objects.get()
    assert response.answers == {"q1": 5, "q2": 1, "q3": 1, "q4": 1, "q5": 1} and response.score == 36


def test_an_enabled_follow_up_is_kept_and_exported_with_the_score(invitation, as_user, world):
    citizen, path = invitation
    low = {f"item_q{n}": "1" for n in range(1, 6)}
    assert as_user(citizen).post(path, {**low, "item_q6": "1"}).status_code == 302
    response = QuestionnaireResponse.objects.get()
    assert response.answers["q6"] == 1 and response.score == 20
    nurse = as_user(world.users["nina"])
    body = nurse.get(f"/aps/forloeb/{response.case_id}/spoergeskema/{response.pk}/fhir.json").content
    exported = FhirResponse.model_validate_json(body)
    items = {i.linkId: i for i in exported.item}
    assert items["q6"].answer[0].valueCoding.code == "1"
    assert float(items["score"].answer[0].valueDecimal) == 20


def test_the_export_carries_enable_when_ordinal_values_and_the_calculated_score(folder):
    body = questionnaire(instruments.get("who5x"))
    FhirQuestionnaire.model_validate(body)
    items = {i["linkId"]: i for i in body["item"]}
    assert items["q6"]["enableWhen"] == [
        {"question": "q1", "operator": "=", "answerCoding": {"system": "urn:opspor:questionnaire:who5x:frequency",
                                                              "code": str(v), "display": d}}
        for v, d in ((0, "På intet tidspunkt"), (1, "Lidt af tiden"))]
    assert items["q6"]["enableBehavior"] == "any"
    assert items["q1"]["answerOption"][0]["extension"][0] == {"url": ORDINAL, "valueDecimal": 5}
    score = items["score"]
    assert score["type"] == "decimal" and score["readOnly"] is True
    expression = score["extension"][0]["valueExpression"]["expression"]
    assert score["extension"][0]["url"] == CALCULATED
    assert "'q1' | 'q2' | 'q3' | 'q4' | 'q5'" in expression and "q6" not in expression
    assert ".count() >= 5" in expression and "* 4).round(0)" in expression


def test_export_and_import_through_the_command_give_the_same_instrument(folder, tmp_path):
    for iid in ("who5", "who5x"):
        exported, back = tmp_path / f"{iid}.json", tmp_path / "out" / f"{iid}.yaml"
        back.parent.mkdir(exist_ok=True)
        code, out = _cli("web", "questionnaire-fhir", iid, "--output", exported)
        assert code == 0, out
        code, out = _cli("web", "questionnaire-fhir-import", exported, "--output", back)
        assert code == 0 and "no interpretation bands" in out, out
        original, imported = instruments.get(iid), load_file(back)
        assert shape(imported) == shape(original) and imported.scoring == original.scoring
        assert (imported.id, imported.version, imported.title["da"]) == (original.id, original.version, original.title["da"])
        assert imported.bands == ()
        # not over an existing file
        code, out = _cli("web", "questionnaire-fhir-import", exported, "--output", back)
        assert code == 2 and "exists" in out


def shape(instrument) -> list:
    """What the FHIR form keeps of each item: id, Danish text, answers (value, Danish label),
    reverse scoring, condition (the English texts are not exported)."""
    return [(i.id, i.text["da"], [(c.value, c.label["da"]) for c in i.scale.choices], i.reverse, i.enable_when)
            for i in instrument.items]


def _refusal(tmp_path, change) -> str:
    body = questionnaire(instruments.get("who5x"))
    change(body)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(body))
    code, out = _cli("web", "questionnaire-fhir-import", path, "--output", tmp_path / "bad.yaml")
    assert code == 1 and not (tmp_path / "bad.yaml").exists()
    return " ".join(out.split())


def _item(body, link):
    return next(i for i in body["item"] if i["linkId"] == link)


@pytest.mark.parametrize(("change", "expected"), [
    (lambda b: _item(b, "q3")["answerOption"][0]["valueCoding"].update(code="x"),
     ["item q3", "field answerOption[0].valueCoding.code", "'x' is not a whole number", "Fix: give each answer its value"]),
    (lambda b: _item(b, "q2").update(type="string"),
     ["item q2", "field type", "'string'", "Fix: make it a choice question"]),
    (lambda b: _item(b, "q6")["enableWhen"][0].update(question="q9"),
     ["item q6", "field enableWhen[0].question", "'q9' is not an earlier question", "Fix: name a question"]),
    (lambda b: _item(b, "q6")["enableWhen"][0].update(operator=">"),
     ["item q6", "field enableWhen[0].operator", "Fix: use operator ="]),
    (lambda b: _item(b, "q4")["answerOption"][1]["extension"][0].update(valueDecimal=9),
     ["item q4", "ordinalValue", "Fix: make each ordinalValue the code"]),
    (lambda b: _item(b, "score")["extension"][0]["valueExpression"].update(expression="%a + %b"),
     ["item score", "valueExpression.expression", "not one opspor can read", "Fix: write it as"]),
    (lambda b: _item(b, "q5").update(required="perhaps"),
     ["item q5", "field item[4].required", "FHIR R4 Questionnaire model refuses it", "Fix: correct the element"]),
])
def test_an_import_refusal_names_file_item_field_and_fix(folder, tmp_path, change, expected):
    message = _refusal(tmp_path, change)
    assert "bad.json" in message, message
    for part in expected:
        assert part in message, (part, message)
