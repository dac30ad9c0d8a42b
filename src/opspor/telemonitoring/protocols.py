"""The telemonitoring protocols: ``config/protocols.yaml`` -> :class:`Protocols`, checked against
the measurement catalogue (every kind and component named must exist). Every problem raises a
:class:`~opspor.config_reader.ConfigError` naming the file, the key, the problem and the fix.
``OPSPOR_TELEMONITORING_PROTOCOLS`` names another file (read when first used)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from opspor import config_reader
from opspor.config_reader import Ctx
from opspor.telemonitoring import kinds as kinds_mod

CONFIG_FILE = Path(__file__).with_name("config") / "protocols.yaml"
COLOURS = ("red", "yellow")
TESTS = ("below", "above", "rise")


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    part: str  # kinds.VALUE, or a component's name
    colour: str
    test: str  # below | above | rise
    threshold: float  # below/above: the limit; rise: more_than
    within_days: int  # rise only (0 otherwise)


@dataclass(frozen=True)
class PlanDefault:
    kind: str
    every_days: int
    missing_after_days: int


@dataclass(frozen=True)
class Condition:
    name: str
    title_da: str
    title_en: str
    plan: dict[str, PlanDefault]
    rules: tuple[Rule, ...]
    missing_colour: str

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


@dataclass(frozen=True)
class Protocols:
    file: str
    version: str
    digest: str
    conditions: dict[str, Condition]
    response_time_days: int


def _rule(ctx: Ctx, raw, catalogue: kinds_mod.Catalogue, seen: set[str]) -> Rule:
    keys = ("id", "kind", "part", "colour", *TESTS)
    raw = config_reader.mapping(ctx, raw, keys, ("id", "kind", "colour"))
    rule_id = config_reader.ident(ctx.at("id"), raw["id"], "id")
    if rule_id in seen:
        raise ctx.at("id").error(f"rule id {rule_id!r} is used twice in this condition", "give each rule its own id")
    seen.add(rule_id)
    kind = catalogue.kinds.get(config_reader.choice(ctx.at("kind"), raw["kind"], tuple(catalogue.kinds), "kind"))
    parts = tuple(p.name for p in kind.parts)
    if kind.has_components:
        if "part" not in raw:
            raise ctx.at("part").error(f"missing: {kind.name} has components", f"add `part:` one of {', '.join(parts)}")
        part = config_reader.choice(ctx.at("part"), raw["part"], parts, "component")
    elif "part" in raw:
        raise ctx.at("part").error(f"{kind.name} has no components", "remove `part:`")
    else:
        part = kinds_mod.VALUE
    tests = [t for t in TESTS if t in raw]
    if len(tests) != 1:
        raise ctx.error(f"a rule has exactly one test ({', '.join(TESTS)}), found {len(tests)}",
                        "write e.g. `below: 88` or `rise: {more_than: 2, within_days: 3}`")
    test = tests[0]
    within = 0
    if test == "rise":
        rc = ctx.at("rise")
        rise = config_reader.mapping(rc, raw["rise"], ("more_than", "within_days"), ("more_than", "within_days"))
        threshold = config_reader.number(rc.at("more_than"), rise["more_than"], "more_than: 2", low=0, low_open=True)
        within = config_reader.integer(rc.at("within_days"), rise["within_days"], 1, "within_days: 3")
    else:
        threshold = config_reader.number(ctx.at(test), raw[test], f"{test}: 88")
    return Rule(id=rule_id, kind=kind.name, part=part, colour=config_reader.choice(ctx.at("colour"), raw["colour"],
                COLOURS, "colour"), test=test, threshold=threshold, within_days=within)


def load(path: str | Path | None = None, catalogue: kinds_mod.Catalogue | None = None) -> Protocols:
    path = Path(path) if path is not None else CONFIG_FILE
    catalogue = catalogue or kinds_mod.shipped()
    data, digest = config_reader.read_yaml(path)
    ctx = Ctx(str(path))
    keys = ("version", "response_time_days", "conditions")
    top = config_reader.mapping(ctx, data, keys, keys)
    cctx = ctx.at("conditions")
    if not isinstance(top["conditions"], dict) or not top["conditions"]:
        raise cctx.error("expected a mapping of conditions", "write e.g. `conditions: {copd: {...}}`")
    conditions = {}
    for name, raw in top["conditions"].items():
        c = cctx.at(str(name))
        config_reader.ident(c, name, "condition")
        keys = ("title_da", "title_en", "plan", "rules", "missing_colour")
        raw = config_reader.mapping(c, raw, keys, keys)
        pc = c.at("plan")
        if not isinstance(raw["plan"], dict) or not raw["plan"]:
            raise pc.error("expected a mapping of kinds", "write e.g. `plan: {spo2: {every_days: 1, missing_after_days: 2}}`")
        plan = {}
        for kind, item in raw["plan"].items():
            kc = pc.at(str(kind))
            config_reader.choice(kc, kind, tuple(catalogue.kinds), "kind")
            item = config_reader.mapping(kc, item, ("every_days", "missing_after_days"), ("every_days", "missing_after_days"))
            every = config_reader.integer(kc.at("every_days"), item["every_days"], 1, "every_days: 1")
            missing = config_reader.integer(kc.at("missing_after_days"), item["missing_after_days"], every,
                                            f"missing_after_days: {every + 1}")
            plan[kind] = PlanDefault(kind, every, missing)
        rc = c.at("rules")
        if not isinstance(raw["rules"], list):
            raise rc.error("expected a list of rules", "write e.g. `rules: [{id: spo2_red, kind: spo2, colour: red, below: 88}]`")
        seen: set[str] = set()
        rules = tuple(_rule(rc.at(i), r, catalogue, seen) for i, r in enumerate(raw["rules"]))
        conditions[name] = Condition(
            name=name, title_da=config_reader.text(c.at("title_da"), raw["title_da"], "title"),
            title_en=config_reader.text(c.at("title_en"), raw["title_en"], "title"), plan=plan, rules=rules,
            missing_colour=config_reader.choice(c.at("missing_colour"), raw["missing_colour"], COLOURS, "colour"))
    return Protocols(file=str(path), version=config_reader.version(ctx.at("version"), top["version"]), digest=digest,
                     conditions=conditions, response_time_days=config_reader.integer(
                         ctx.at("response_time_days"), top["response_time_days"], 1, "response_time_days: 30"))


@cache
def _cached(path: str) -> Protocols:
    return load(path)


def shipped() -> Protocols:
    return _cached(os.environ.get("OPSPOR_TELEMONITORING_PROTOCOLS") or str(CONFIG_FILE))
