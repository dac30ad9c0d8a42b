"""Triage of questionnaire answers: red, yellow or green by the rules of ``config/triage.yaml``
(versioned; ``OPSPOR_APS_TRIAGE`` names a region's own file), read on first use through
``opspor.config_reader``. The file's comment describes the rules; this module only interprets
them: per instrument, the first rule that fires gives its level and its id, none gives green."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from opspor import config_reader
from opspor.i18n import localized
from opspor.web.core import language

ENV = "OPSPOR_APS_TRIAGE"
SHIPPED = Path(__file__).with_name("config") / "triage.yaml"
RED, YELLOW, GREEN = "red", "yellow", "green"
LEVELS = (RED, YELLOW)
CONDITIONS = ("score_at_most", "score_below", "no_score")


class TriageConfigError(config_reader.ConfigError):
    """The triage file is wrong; the message names the file, the key and the fix."""


class _Ctx(config_reader.Ctx):
    error_class = TriageConfigError


@dataclass(frozen=True)
class Rule:
    id: str
    level: str
    condition: str
    bound: float | None
    text_da: str
    text_en: str

    def fires(self, score: float | None) -> bool:
        if self.condition == "no_score":
            return score is None
        if score is None:
            return False
        return score <= self.bound if self.condition == "score_at_most" else score < self.bound

    def text(self, lang: str | None = None) -> str:
        return localized(self, "text", lang or language.current())

    @property
    def label(self) -> str:  # for templates: the text in the request's language
        return self.text()


@dataclass(frozen=True)
class Outcome:
    level: str  # red | yellow | green
    rule: Rule | None


@dataclass(frozen=True)
class Triage:
    version: str
    rules: Mapping[str, tuple[Rule, ...]]

    def of(self, instrument_id: str, score: float | None) -> Outcome:
        for rule in self.rules.get(instrument_id, ()):
            if rule.fires(score):
                return Outcome(rule.level, rule)
        return Outcome(GREEN, None)

    def rule(self, instrument_id: str, rule_id: str) -> Rule | None:
        return next((r for r in self.rules.get(instrument_id, ()) if r.id == rule_id), None)


def config_path() -> Path:
    return Path(os.environ.get(ENV) or SHIPPED)


def _rule(ctx: _Ctx, value: Any) -> Rule:
    value = config_reader.mapping(ctx, value, ("id", "level", "text", *CONDITIONS), ("id", "level", "text"),
                                  {"id": "e.g. `id: who5_likely_depression`", "level": "`level: red` or `level: yellow`",
                                   "text": "e.g. `text: {da: ..., en: ...}`"}, "see the comment of the shipped triage.yaml")
    rule_id = config_reader.ident(ctx.at("id"), value["id"], "id")
    level = config_reader.choice(ctx.at("level"), value["level"], LEVELS, "level")
    given = [c for c in CONDITIONS if c in value]
    if len(given) != 1:
        raise ctx.error(f"{'no condition' if not given else 'several conditions: ' + ', '.join(given)}",
                        f"give exactly one of {', '.join(CONDITIONS)}")
    condition = given[0]
    if condition == "no_score":
        if config_reader.boolean(ctx.at("no_score"), value["no_score"]) is not True:
            raise ctx.at("no_score").error("false never fires", "write `no_score: true` or remove the rule")
        bound = None
    else:
        bound = config_reader.number(ctx.at(condition), value[condition], f"{condition}: 28")
    tctx = ctx.at("text")
    texts = config_reader.mapping(tctx, value["text"], ("da", "en"), ("da", "en"))
    return Rule(rule_id, level, condition, bound, config_reader.text(tctx.at("da"), texts["da"]),
                config_reader.text(tctx.at("en"), texts["en"]))


def load(path: Path | None = None) -> Triage:
    path = Path(path) if path is not None else config_path()
    data, _digest = config_reader.read_yaml(path, TriageConfigError)
    ctx = _Ctx(str(path))
    top = config_reader.mapping(ctx, data, ("version", "source", "instruments"), ("version", "instruments"),
                                {"version": 'e.g. `version: "1"`; bump it on every change'})
    version = config_reader.version(ctx.at("version"), top["version"])
    ictx = ctx.at("instruments")
    if not isinstance(top["instruments"], dict):
        raise ictx.error(f"expected rules per instrument, got {config_reader.show(top['instruments'])}",
                         "write `instruments: {who5: [- {id: ..., level: red, score_at_most: 28, text: ...}]}`")
    rules: dict[str, tuple[Rule, ...]] = {}
    for instrument_id, listed in top["instruments"].items():
        lctx = ictx.at(str(instrument_id))
        if not isinstance(listed, list) or not listed:
            raise lctx.error("expected a list of rules", "list the rules, each `- {id: ..., level: ..., ...}`")
        parsed = tuple(_rule(lctx.at(i), r) for i, r in enumerate(listed))
        ids = [r.id for r in parsed]
        if len(set(ids)) != len(ids):
            raise lctx.error("a rule id is used twice", "give every rule its own id")
        rules[str(instrument_id)] = parsed
    return Triage(version, rules)


@cache
def triage() -> Triage:
    """The triage file in force, read once."""
    return load()
