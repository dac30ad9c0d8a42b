"""A FHIR R4 Questionnaire read into opspor's instrument form (the YAML of
``web/aps/instruments``), the inverse of :func:`opspor.fhir.questionnaire.questionnaire`.

The resource is first checked by the ``fhir.resources`` R4B models (the same elements as R4 for
a Questionnaire), then against what an instrument can hold: ``choice`` questions whose answers
are ``valueCoding`` with whole-number codes (the value stored and scored), an ``ordinalValue``
extension equal to the code or to the reversed code (reverse scoring), ``enableWhen`` with
operator ``=`` on an earlier question (behaviour ``any``), and one read-only ``decimal`` item
whose SDC ``calculatedExpression`` is the score in the form the export writes. The texts are
taken as the instrument's Danish ones (an instrument's first language). Every refusal
names the file, the item's linkId, the field and the fix (:class:`QuestionnaireImportError`). The
interpretation bands are not part of a Questionnaire: the result has none (the caller says so).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fhir.resources.R4B.questionnaire import Questionnaire
from pydantic import ValidationError

from opspor.fhir.questionnaire import CALCULATED, ORDINAL, canonical

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
SCORE = re.compile(
    r"^iif\((?P<answers>%resource\.item\.where\(linkId in \((?P<ids>[^)]*)\)\)\.answer\.value\.ordinal\(\))"
    r"\.count\(\) >= (?P<enough>\d+), \(\((?P<raw>.+)\) \* (?P<multiplier>[0-9.eE+-]+)\)"
    r"\.round\((?P<decimals>\d+)\), \{\}\)$")
EXAMPLE_SCORE = ("iif(%resource.item.where(linkId in ('q1' | 'q2')).answer.value.ordinal().count() >= 2, "
                 "((... .sum() * 2 / ... .count()) * 1).round(0), {}) — as `opspor web questionnaire-fhir` writes it")


class QuestionnaireImportError(ValueError):
    """``file: item LINKID: field FIELD: problem. Fix: what to do``."""

    def __init__(self, file: str, link_id: str, field: str, problem: str, fix: str) -> None:
        where = f"item {link_id}: " if link_id else ""
        super().__init__(f"{file}: {where}field {field}: {problem}. Fix: {fix}")
        self.file, self.link_id, self.field = file, link_id, field


def _model_errors(file: str, resource: Mapping[str, Any], error: ValidationError) -> QuestionnaireImportError:
    """The first error of the FHIR models, with the linkId of the item it is in."""
    first = error.errors()[0]
    loc = [p for p in first["loc"] if p != "__root__"]
    node: Any = resource
    link_id = ""
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, Mapping) and "linkId" in node:
            link_id = str(node["linkId"])
    field = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc).replace(".[", "[") or "(resource)"
    return QuestionnaireImportError(file, link_id, field, f"the FHIR R4 Questionnaire model refuses it: {first['msg']}",
                                    "correct the element as the FHIR R4 Questionnaire defines it")


def to_instrument(resource: Mapping[str, Any], file: str) -> dict[str, Any]:
    """The instrument (a ``dict`` to write as YAML) of the Questionnaire ``resource``."""
    if not isinstance(resource, Mapping) or resource.get("resourceType") != "Questionnaire":
        raise QuestionnaireImportError(file, "", "resourceType", "not a Questionnaire",
                                       "give a FHIR Questionnaire resource in JSON")
    try:
        Questionnaire.model_validate(resource)
    except ValidationError as e:
        raise _model_errors(file, resource, e) from None
    return _Reader(file, resource).instrument()


class _Reader:
    def __init__(self, file: str, resource: Mapping[str, Any]) -> None:
        self.file, self.r = file, resource

    def fail(self, link_id: str, field: str, problem: str, fix: str):
        raise QuestionnaireImportError(self.file, link_id, field, problem, fix)

    def instrument(self) -> dict[str, Any]:
        r = self.r
        iid = str(r.get("id") or "").lower()
        if not ID_PATTERN.match(iid):
            self.fail("", "id", f"{r.get('id')!r} cannot be an instrument id",
                      "set id to 1-40 lower-case letters, digits, - or _ (e.g. who5)")
        if not r.get("version"):
            self.fail("", "version", "missing", 'set version (stored with every answer), e.g. "1.0"')
        title = r.get("title") or r.get("name")
        if not title:
            self.fail("", "title", "missing", "set the questionnaire's Danish title")
        items = list(r.get("item") or [])
        questions = [i for i in items if i.get("type") != "decimal"]
        scores = [i for i in items if i.get("type") == "decimal"]
        if len(scores) != 1:
            self.fail(scores[1]["linkId"] if len(scores) > 1 else "", "item.type",
                      f"{len(scores)} decimal items; an instrument has one calculated score",
                      f"add one read-only decimal item with the SDC calculatedExpression extension ({CALCULATED})"
                      if not scores else "keep one decimal item: the score")
        scales: dict[str, list] = {}
        out_items = []
        for item in questions:
            out_items.append(self.item(item, scales, out_items))
        scoring = self.scoring(scores[0], out_items)
        data: dict[str, Any] = {"id": iid, "version": str(r["version"]), "title": {"da": title}}
        if r.get("description"):
            data["instructions"] = {"da": r["description"]}
        if r.get("copyright"):
            data["source"] = r["copyright"]
        data["scales"] = {sid: [{"value": v, "label": {"da": label}} for v, label in choices]
                          for sid, choices in scales.items()}
        data["items"] = [{k: v for k, v in i.items() if not k.startswith("_")} for i in out_items]
        data["scoring"] = scoring
        return data

    def item(self, item: Mapping[str, Any], scales: dict[str, list], earlier: list[dict]) -> dict[str, Any]:
        link = str(item.get("linkId"))
        if item.get("type") != "choice":
            self.fail(link, "type", f"{item.get('type')!r} questions cannot be an instrument's items",
                      "make it a choice question with coded answers, or remove it")
        if not ID_PATTERN.match(link):
            self.fail(link, "linkId", "not a valid item id", "use 1-40 lower-case letters, digits, - or _ (e.g. q1)")
        options = item.get("answerOption") or []
        if len(options) < 2:
            self.fail(link, "answerOption", "fewer than two answers", "list the answers as answerOption.valueCoding")
        choices, ordinals, system = [], [], None
        for n, option in enumerate(options):
            coding = option.get("valueCoding")
            field = f"answerOption[{n}].valueCoding"
            if not coding:
                self.fail(link, f"answerOption[{n}]", "the answer is not a valueCoding",
                          "give each answer as valueCoding with the score as its code")
            try:
                value = int(str(coding.get("code")))
            except ValueError:
                self.fail(link, f"{field}.code", f"{coding.get('code')!r} is not a whole number",
                          "give each answer its value (the number scored) as the code")
            system = system or coding.get("system") or ""
            choices.append((value, coding.get("display") or str(value)))
            ordinal = next((e.get("valueDecimal") for e in option.get("extension") or [] if e.get("url") == ORDINAL), None)
            ordinals.append(value if ordinal is None else ordinal)
        values = [v for v, _label in choices]
        if len(set(values)) != len(values):
            self.fail(link, "answerOption.valueCoding.code", "a value is used twice", "give every answer its own code")
        low, high = min(values), max(values)
        if ordinals == values:
            reverse = False
        elif ordinals == [low + high - v for v in values]:
            reverse = True
        else:
            self.fail(link, f"answerOption.extension({ORDINAL})", "the ordinal values are neither the codes nor "
                      "the codes reversed", "make each ordinalValue the code (or low + high - code for a reverse-scored item)")
        sid = self.scale_id(system, choices, scales)
        out: dict[str, Any] = {"id": link, "text": {"da": item.get("text") or link}, "scale": sid}
        if reverse:
            out["reverse"] = True
        if item.get("enableWhen"):
            out["enable_when"] = self.enable_when(link, item, earlier)
        return out

    def scale_id(self, system: str, choices: list, scales: dict[str, list]) -> str:
        for sid, known in scales.items():
            if known == choices:
                return sid
        prefix = canonical(str(self.r.get("id") or "").lower()) + ":"
        sid = system[len(prefix):] if system.startswith(prefix) else ""
        if not ID_PATTERN.match(sid) or sid in scales:
            sid = f"scale{len(scales) + 1}"
        scales[sid] = choices
        return sid

    def enable_when(self, link: str, item: Mapping[str, Any], earlier: list[dict]) -> dict[str, Any]:
        conditions = item["enableWhen"]
        if len(conditions) > 1 and item.get("enableBehavior", "any") != "any":
            self.fail(link, "enableBehavior", "'all' over several conditions cannot be an instrument's condition",
                      "use enableBehavior any (shown when one of the answers was given)")
        target, answers = None, []
        for n, c in enumerate(conditions):
            field = f"enableWhen[{n}]"
            if c.get("operator") != "=" or "answerCoding" not in c:
                self.fail(link, f"{field}.operator", f"{c.get('operator')!r} with {', '.join(k for k in c if k.startswith('answer'))}",
                          "use operator = with answerCoding (the answer of the earlier question)")
            if target not in (None, c.get("question")):
                self.fail(link, f"{field}.question", "the conditions name different questions",
                          "make the item depend on one earlier question")
            target = c.get("question")
            if target not in {i["id"] for i in earlier}:
                self.fail(link, f"{field}.question", f"{target!r} is not an earlier question",
                          "name a question listed before this one")
            try:
                answers.append(int(str(c["answerCoding"].get("code"))))
            except ValueError:
                self.fail(link, f"{field}.answerCoding.code", "not a whole number", "use the code of an answer")
        return {"item": target, "answers": answers}

    def scoring(self, item: Mapping[str, Any], items: list[dict]) -> dict[str, Any]:
        link = str(item.get("linkId"))
        expression = next((e.get("valueExpression", {}).get("expression", "") for e in item.get("extension") or []
                           if e.get("url") == CALCULATED), None)
        if expression is None:
            self.fail(link, f"extension({CALCULATED})", "the score item has no calculated expression",
                      f"add the SDC calculatedExpression, e.g. {EXAMPLE_SCORE}")
        match = SCORE.match(expression.strip())
        scored = [i["id"] for i in items if "enable_when" not in i]
        if not match:
            self.fail(link, f"extension({CALCULATED}).valueExpression.expression",
                      "the score's expression is not one opspor can read", f"write it as {EXAMPLE_SCORE}")
        ids = [p.strip().strip("'") for p in match["ids"].split("|")]
        if ids != scored:
            self.fail(link, f"extension({CALCULATED}).valueExpression.expression",
                      f"it scores {', '.join(ids)}, not the questions without a condition ({', '.join(scored)})",
                      "score every question that has no enableWhen, and only those")
        n, enough = len(ids), int(match["enough"])
        mean = match["raw"].startswith(match["answers"] + ".sum() / ")
        scoring: dict[str, Any] = {"method": "mean" if mean else "sum"}
        multiplier = float(match["multiplier"])
        if multiplier != 1:
            scoring["multiplier"] = int(multiplier) if multiplier.is_integer() else multiplier
        scoring["decimals"] = int(match["decimals"])
        if enough >= n:
            scoring["missing"] = "no_score"
        else:
            scoring["missing"], scoring["max_missing"] = "prorate", n - enough
        return scoring
