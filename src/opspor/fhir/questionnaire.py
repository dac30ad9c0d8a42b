"""An instrument as a FHIR R4 **Questionnaire**, and answers to it as a **QuestionnaireResponse**
(issue 14 item 3; docs/citizen.md "Questionnaires at home").

The instrument's YAML file stays the source (``web/aps/instruments``); this is its export. Built
as plain dicts and checked with the ``fhir.resources`` R4B models, as :mod:`opspor.fhir.careplan`
(Questionnaire and QuestionnaireResponse have the same elements in R4 and R4B for what is filled
in here). The caller hands in the instrument object (id, version, title, items with their scale)
and plain values; nothing here reads the database.

* The Questionnaire's canonical URL is ``urn:opspor:questionnaire:<id>`` (opspor claims no web
  domain), its ``version`` the instrument's; each item a required ``choice`` with its scale's
  answers as ``answerOption.valueCoding`` (system ``urn:opspor:questionnaire:<id>:<scale>``,
  code = the value scored, display = the Danish label), texts in Danish (``language: da``).
* The QuestionnaireResponse names the Questionnaire as ``url|version``, is ``completed``, its
  subject the citizen by CPR number (dk-core's identifier system), ``authored`` when stored, and
  ``source``: the citizen (answered at home) or, typed in by the nurse from paper, no source and
  the nurse as ``author``; the score as the answer of the calculated item. The triage is not a
  FHIR element of the response; it stays in opspor.

Structured Data Capture (SDC, for R4) where it carries the instrument's meaning:

* a conditional item (``enable_when``) has ``enableWhen`` (operator ``=``, the answer's coding,
  one per value, ``enableBehavior: any``) and is not part of the score;
* each answer's counted value (after reverse scoring) is the ``ordinalValue`` extension;
* the score is a last, read-only ``decimal`` item (linkId ``score``) with the SDC
  ``calculatedExpression`` (FHIRPath over the scored items' ``ordinal()``: the method, the
  missing rule, the multiplier and the rounding), so an SDC form filler computes it as opspor does.
  :mod:`opspor.fhir.questionnaire_import` reads exactly this form back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from pydantic import ValidationError

from opspor.fhir.medcom import CPR_SYSTEM, BuildError


ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
CALCULATED = "http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-calculatedExpression"
SCORE_LINK = "score"
SCORE_TEXT = "Samlet score"


def canonical(instrument_id: str) -> str:
    return f"urn:opspor:questionnaire:{instrument_id}"


def _da(texts: Mapping[str, str]) -> str:
    return texts.get("da") or next(iter(texts.values()))


def _coding(instrument, item, value: int) -> dict:
    choice = next(c for c in item.scale.choices if c.value == value)
    return {"system": f"{canonical(instrument.id)}:{item.scale.id}", "code": str(value), "display": _da(choice.label)}


def score_expression(instrument) -> str:
    """The FHIRPath of the score: the scored items' ordinal values, by the scoring rule."""
    s = instrument.scoring
    ids = " | ".join(f"'{i.id}'" for i in instrument.scored_items)
    n = len(instrument.scored_items)
    answers = f"%resource.item.where(linkId in ({ids})).answer.value.ordinal()"
    raw = f"({answers}.sum() / {answers}.count())" if s.method == "mean" else f"({answers}.sum() * {n} / {answers}.count())"
    enough = n if s.missing == "no_score" else n - s.max_missing
    multiplier = f"{s.multiplier:g}"
    return f"iif({answers}.count() >= {enough}, ({raw} * {multiplier}).round({s.decimals}), {{}})"


def _item(instrument, item) -> dict:
    out = {"linkId": item.id, "text": _da(item.text), "type": "choice", "required": True,
           "answerOption": [{"valueCoding": _coding(instrument, item, c.value),
                             **({"extension": [{"url": ORDINAL, "valueDecimal": item.counted(c.value)}]}
                                if item.enable_when is None else {})}
                            for c in item.scale.choices]}
    when = item.enable_when
    if when is not None:
        target = next(i for i in instrument.items if i.id == when.item)
        out["enableWhen"] = [{"question": target.id, "operator": "=", "answerCoding": _coding(instrument, target, v)}
                             for v in when.answers]
        out["enableBehavior"] = "any"
    return out


def questionnaire(instrument) -> dict:
    """The instrument as a Questionnaire (JSON-ready ``dict``); :class:`BuildError` if refused."""
    score_item = {"linkId": SCORE_LINK, "text": SCORE_TEXT, "type": "decimal", "readOnly": True,
                  "extension": [{"url": CALCULATED, "valueExpression": {
                      "language": "text/fhirpath", "expression": score_expression(instrument)}}]}
    resource = {
        "resourceType": "Questionnaire", "id": instrument.id, "language": "da",
        "url": canonical(instrument.id), "version": instrument.version, "name": instrument.id.upper().replace("-", "_"),
        "title": _da(instrument.title), "status": "active", "subjectType": ["Patient"],
        **({"description": _da(instrument.instructions)} if instrument.instructions else {}),
        **({"copyright": instrument.source} if instrument.source else {}),
        "item": [*(_item(instrument, item) for item in instrument.items), score_item],
    }
    try:
        model = Questionnaire.model_validate(resource)
    except ValidationError as e:
        raise BuildError(f"the FHIR models refused the Questionnaire: {e}") from None
    return model.model_dump(mode="json", exclude_none=True, by_alias=True)


def questionnaire_response(instrument, *, response_id: str, version: str, answers: Mapping[str, int],
                           authored: dt.datetime, cpr: str, name: str, by_citizen: bool, author: str = "",
                           score: float | None = None) -> dict:
    """Answers (item id → value) to ``instrument`` of ``version`` as a QuestionnaireResponse,
    with the score (when there is one) as the answer of the calculated item."""
    if authored.tzinfo is None:
        raise BuildError("the time of a QuestionnaireResponse must carry a time zone")
    subject = {"identifier": {"system": CPR_SYSTEM, "value": cpr}, "display": name}
    resource = {
        "resourceType": "QuestionnaireResponse", "id": response_id, "language": "da",
        "questionnaire": f"{canonical(instrument.id)}|{version}", "status": "completed",
        "subject": subject, "authored": authored.isoformat(timespec="seconds"),
        **({"source": subject} if by_citizen else {"author": {"display": author}} if author else {}),
        "item": [{"linkId": item.id, "text": _da(item.text),
                  "answer": [{"valueCoding": _coding(instrument, item, int(answers[item.id]))}]}
                 for item in instrument.items if answers.get(item.id) is not None],
    }
    if score is not None:
        resource["item"].append({"linkId": SCORE_LINK, "text": SCORE_TEXT, "answer": [{"valueDecimal": score}]})
    try:
        model = QuestionnaireResponse.model_validate(resource)
    except ValidationError as e:
        raise BuildError(f"the FHIR models refused the QuestionnaireResponse: {e}") from None
    return model.model_dump(mode="json", exclude_none=True, by_alias=True)
