"""YAML rule files -> frozen rule objects (:mod:`opspor.rules.model`), checked on the way in.

Every problem raises :class:`RuleConfigError` naming the file, the key (a path such as
``routes[1].any_of[0].window_days``), what is wrong and how to fix it. Unknown keys are errors
(a misspelt key must not silently change a clinical rule), and so are duplicate keys.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import time
from pathlib import Path
from typing import Any

from opspor import config_reader, contract
from opspor.rules.codes import CodeEntryError, CodeList
from opspor.rules.model import (
    COMPARE_WITH,
    ContactCriteria,
    CountCondition,
    EligibilityRule,
    Exclusion,
    PrecededBy,
    Presence,
    RepeatedAcuteRule,
    Route,
    RuleInfo,
)

CONFIG_DIR = Path(__file__).with_name("config")
CODE_LISTS_FILE = "code_lists.yaml"
REPEATED_ACUTE_FILE = "repeated_acute.yaml"
APS_ELIGIBILITY_FILE = "aps_eligibility.yaml"



RuleConfigError = config_reader.ConfigError  # a rule or code-list file cannot be used


def _mapping(ctx: config_reader.Ctx, value: Any, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict:
    return config_reader.mapping(ctx, value, allowed, required, _EXAMPLES, "see docs/rules.md")


_EXAMPLES = {
    "version": "e.g. `version: 1`; bump it on every change",
    "rule": "the rule's name",
    "source": "name where the rule comes from",
    "code_lists": "e.g. `code_lists: code_lists.yaml`",
    "window_days": "e.g. `window_days: 182`",
    "at_least": "e.g. `at_least: 3`",
    "contact": "e.g. `contact: {concept: acute_admission}`; `contact: {}` matches every contact",
    "within_days": "e.g. `within_days: 30`",
    "ended_within_hours": "e.g. `ended_within_hours: 24`",
    "days_before_run": "e.g. `days_before_run: 1`",
    "time": 'e.g. `time: "18:00"`',
    "compare_with": f"one of {', '.join(COMPARE_WITH)}",
    "id": "e.g. `id: diagnosis`",
    "any_of": "a list of conditions",
    "reason": "e.g. `reason: dementia`",
    "concepts": "e.g. `concepts: concepts.yaml`",
    "lists": "a mapping of list names to lists",
}


# --------------------------------------------------------------------------- code lists


@dataclass(frozen=True)
class CodeLists:
    file: str
    version: str
    digest: str
    lists: dict[str, CodeList]

    def get(self, ctx: config_reader.Ctx, name: Any) -> CodeList:
        return _named(ctx, name, self.lists, "code list", self.file)


def _named(ctx: config_reader.Ctx, name: Any, known: Mapping[str, Any], what: str, file: str) -> Any:
    """``known[name]``, or an error with a "did you mean" naming ``file``."""
    if not isinstance(name, str) or name not in known:
        close = difflib.get_close_matches(str(name), list(known), n=1)
        hint = f"did you mean `{close[0]}`? " if close else ""
        raise ctx.error(
            f"no {what} named {config_reader.show(name)} in {file}",
            f"{hint}use one of: {', '.join(known)}; or add it to {file}",
        )
    return known[name]


def load_code_lists(path: str | Path | None = None) -> CodeLists:
    path = Path(path) if path is not None else CONFIG_DIR / CODE_LISTS_FILE
    data, digest = config_reader.read_yaml(path)
    ctx = config_reader.Ctx(str(path))
    top = _mapping(ctx, data, ("version", "lists"), ("version", "lists"))
    version = config_reader.version(ctx.at("version"), top["version"])
    lists_ctx = ctx.at("lists")
    raw_lists = top["lists"]
    if not isinstance(raw_lists, dict) or not raw_lists:
        raise lists_ctx.error(
            "expected a mapping of list names to lists", "see code_lists.yaml for the shape"
        )
    lists: dict[str, CodeList] = {}
    for name, body in raw_lists.items():
        lctx = lists_ctx.at(str(name))
        config_reader.ident(lctx, name, "list name")
        body = _mapping(lctx, body, ("source", "codes", "groups", "note"), ("source",))
        source = config_reader.text(lctx.at("source"), body["source"], "source")
        note = config_reader.text(lctx.at("note"), body["note"], "note") if "note" in body else ""
        if ("codes" in body) == ("groups" in body):
            raise lctx.error(
                "a list needs exactly one of `codes:` or `groups:`",
                "write `codes: [DE10, DE11]` or `groups: {label: [DE10, DE11]}`",
            )
        groups: list[tuple[str, tuple[str, ...]]] = []
        if "codes" in body:
            parts = [("", lctx.at("codes"), body["codes"])]
        else:
            gctx = lctx.at("groups")
            if not isinstance(body["groups"], dict) or not body["groups"]:
                raise gctx.error(
                    "expected a mapping of group labels to code lists",
                    "write `groups: {label: [DE10]}`",
                )
            parts = [(str(g), gctx.at(str(g)), codes) for g, codes in body["groups"].items()]
        entries: list[str] = []
        for label, pctx, codes in parts:
            if not isinstance(codes, list) or not codes:
                raise pctx.error(
                    f"expected a non-empty list of codes, got {config_reader.show(codes)}",
                    "write e.g. `[DE10, DE11]`",
                )
            for i, entry in enumerate(codes):
                try:
                    CodeList.from_entries(name, [entry])
                except CodeEntryError as exc:
                    raise pctx.at(i).error(f"in list {name!r}, {exc}", exc.fix) from None
                if entry in entries:
                    raise pctx.at(i).error(
                        f"in list {name!r}, entry {entry!r} is listed twice", "list each entry once"
                    )
                entries.append(entry)
            if label:
                groups.append((label, tuple(codes)))
        lists[name] = CodeList.from_entries(
            name, tuple(entries), source=source, groups=tuple(groups), note=note, version=version
        )
    return CodeLists(str(path), version, digest, lists)


# --------------------------------------------------------------------------- contact criteria

_CRITERIA_KEYS = (
    "concept",
    "priority",
    "contact_type",
    "specialty",
    "pathway_empty",
    "drg_value_not_zero",
    "procedures_none_of",
    "procedures_any_of",
    "action_diagnosis_in",
    "any_diagnosis_in",
    "admission",
    "preceded_by",
)


class RuleReader:
    """Reads contact criteria. ``concepts``: the named criteria a ``concept:`` key may name
    (:mod:`opspor.rules.concepts`) and ``ages`` an ``age:`` key; ``admission_hours``: what
    ``admission: true`` means (None: the file may not use it)."""

    def __init__(
        self, file: str, code_lists: CodeLists, admission_hours: int | None,
        concepts: Mapping[str, Any] | None = None, concepts_file: str = "",
        ages: Mapping[str, Any] | None = None,
    ) -> None:
        self.file = file
        self.code_lists = code_lists
        self.admission_hours = admission_hours
        self.concepts = concepts if concepts is not None else {}
        self.concepts_file = concepts_file
        self.ages = ages or {}

    def criteria(self, ctx: config_reader.Ctx, value: Any) -> ContactCriteria:
        if value is None:
            value = {}
        body = _mapping(ctx, value, _CRITERIA_KEYS)
        kw: dict[str, Any] = {}
        for key, allowed in (
            ("priority", contract.PRIORITIES),
            ("contact_type", contract.CONTACT_TYPES),
            ("specialty", contract.SPECIALTIES),
        ):
            if key in body:
                kw[key] = config_reader.choices(ctx.at(key), body[key], allowed)
        for key in ("pathway_empty", "drg_value_not_zero", "admission"):
            if key in body:
                kw[key] = config_reader.boolean(ctx.at(key), body[key])
        for key in ("procedures_none_of", "procedures_any_of", "action_diagnosis_in", "any_diagnosis_in"):
            if key in body:
                kw[key] = self.code_lists.get(ctx.at(key), body[key])
        if "preceded_by" in body:
            pctx = ctx.at("preceded_by")
            pb = _mapping(
                pctx, body["preceded_by"], ("within_days", "contact"), ("within_days", "contact")
            )
            kw["preceded_by"] = PrecededBy(
                config_reader.integer(pctx.at("within_days"), pb["within_days"], 0, "within_days: 30"),
                self.criteria(pctx.at("contact"), pb["contact"]),
            )
        if "concept" in body:
            names = body["concept"] if isinstance(body["concept"], list) else [body["concept"]]
            for i, name in enumerate(names):
                at = ctx.at("concept").at(i) if isinstance(body["concept"], list) else ctx.at("concept")
                kw = self._with_concept(at, name, kw)
        if kw.get("admission") and self.admission_hours is None:
            raise ctx.at("admission" if "admission" in body else "concept").error(
                "an admission (`admission: true`) needs the admission length of concepts.yaml",
                "add `concepts: concepts.yaml` at the top level of the rule file",
            )
        return ContactCriteria(**kw)

    def _with_concept(self, ctx: config_reader.Ctx, name: Any, kw: dict[str, Any]) -> dict[str, Any]:
        """``kw`` with the conditions of the concept ``name`` added; a condition set both by the
        concept and beside it is an error (which one would hold is not obvious to a reader)."""
        if not self.concepts_file:
            raise ctx.error(
                "no concepts file is named, so no concept can be used",
                "add `concepts: concepts.yaml` at the top level of the file",
            )
        concept = _named(ctx, name, self.concepts, "concept", self.concepts_file)
        if len(concept.any_of) != 1:
            raise ctx.error(
                f"the concept {name!r} is one of several criteria (`any_of`), so it cannot be "
                "combined with other conditions",
                "name a concept with one `contact:`, or write the conditions out",
            )
        out = dict(kw)
        for f in fields(ContactCriteria):
            value = getattr(concept.any_of[0], f.name)
            if value is None or value is False:
                continue
            if f.name in kw:
                raise ctx.error(
                    f"`{f.name}` is set both here and by the concept {name!r}",
                    f"remove `{f.name}` beside `concept: {name}`, or name another concept",
                )
            out[f.name] = value
        return out

    def min_age(self, ctx: config_reader.Ctx, body: dict) -> int | None:
        """The minimum age of ``body``: ``age: <age concept>`` or ``min_age: <years>``; None
        when neither is given."""
        if "age" in body and "min_age" in body:
            raise ctx.at("min_age").error(
                "`min_age` and `age` both give the minimum age", "keep one of them"
            )
        if "min_age" in body:
            return config_reader.integer(ctx.at("min_age"), body["min_age"], 0, "min_age: 18")
        if "age" not in body:
            return None
        name = config_reader.choice(ctx.at("age"), body["age"], tuple(self.ages), "age concept")
        return self.ages[name].min_age

    def count(self, ctx: config_reader.Ctx, value: Any) -> CountCondition:
        keys = ("contact", "window_days", "at_least", "same_hospital_unit")
        body = _mapping(ctx, value, keys, ("contact", "window_days", "at_least"))
        return CountCondition(
            contact=self.criteria(ctx.at("contact"), body["contact"]),
            window_days=config_reader.integer(ctx.at("window_days"), body["window_days"], 1, "window_days: 182"),
            at_least=config_reader.integer(ctx.at("at_least"), body["at_least"], 1, "at_least: 3"),
            same_hospital_unit=config_reader.boolean(
                ctx.at("same_hospital_unit"), body.get("same_hospital_unit", False)
            ),
        )


def _check_rule(ctx: config_reader.Ctx, data: Any, expected_rule: str) -> None:
    """Before anything else: is this file the rule this loader reads?"""
    if isinstance(data, dict) and "rule" in data and data["rule"] != expected_rule:
        raise ctx.at("rule").error(
            f"this loader reads `rule: {expected_rule}`, the file says {config_reader.show(data['rule'])}",
            f"load the file with the loader for its rule, or write `rule: {expected_rule}`",
        )


def _header(
    ctx: config_reader.Ctx, top: dict, rule_name: str, path: Path, digest: str
) -> tuple[RuleInfo, RuleReader]:
    """The rule's identity (name, version, source, file and hashes) and the reader of its
    criteria (its code lists and concepts)."""
    from opspor.rules.concepts import load_concepts  # concepts are read by this module's reader

    if "admission_hours" in top:
        raise ctx.at("admission_hours").error(
            "the length of an admission is defined once, in concepts.yaml",
            "remove `admission_hours` here; change `admission_hours` in concepts.yaml if needed",
        )
    version = config_reader.version(ctx.at("version"), top["version"])
    source = config_reader.text(ctx.at("source"), top["source"], "source")
    cl_path = _sibling(ctx.at("code_lists"), top["code_lists"], path)
    code_lists = load_code_lists(cl_path)
    concepts = load_concepts(_sibling(ctx.at("concepts"), top["concepts"], path))
    info = RuleInfo(
        rule_name, version, source, str(path), digest, code_lists.version, code_lists.digest,
        concepts.version, concepts.digest,
    )
    reader = RuleReader(
        str(path), code_lists, concepts.admission_hours, concepts.contacts, concepts.file,
        concepts.ages,
    )
    return info, reader


def _sibling(ctx: config_reader.Ctx, value: Any, path: Path) -> Path:
    name = config_reader.text(ctx, value, "file name")
    sibling = path.parent / name
    if not sibling.is_file():
        raise ctx.error(
            f"no file {name!r} next to the rule file", f"put {name} in {path.parent} or name the right file"
        )
    return sibling


def _time(ctx: config_reader.Ctx, value: Any) -> time:
    if isinstance(value, int) and not isinstance(value, bool):
        raise ctx.error(
            f"YAML read an unquoted time as the number {value}",
            'quote the time: `time: "18:00"`',
        )
    if not isinstance(value, str) or not re.match(r"^\d{2}:\d{2}$", value):
        raise ctx.error(f"expected a time HH:MM, got {config_reader.show(value)}", 'write e.g. `time: "18:00"`')
    hour, minute = int(value[:2]), int(value[3:])
    if hour > 23 or minute > 59:
        raise ctx.error(f"{value!r} is not a time of day", 'write e.g. `time: "18:00"`')
    return time(hour, minute)


# --------------------------------------------------------------------------- the two rules


def load_repeated_acute(path: str | Path | None = None) -> RepeatedAcuteRule:
    path = Path(path) if path is not None else CONFIG_DIR / REPEATED_ACUTE_FILE
    data, digest = config_reader.read_yaml(path)
    ctx = config_reader.Ctx(str(path))
    _check_rule(ctx, data, "repeated_acute")
    keys = (
        "version",
        "rule",
        "source",
        "code_lists",
        "concepts",
        "admission_hours",
        "cutoff",
        "target_group",
        "presence",
        "lines",
        "new_today",
    )
    top = _mapping(ctx, data, keys, tuple(k for k in keys if k != "admission_hours"))
    info, reader = _header(ctx, top, "repeated_acute", path, digest)

    cctx = ctx.at("cutoff")
    cutoff = _mapping(cctx, top["cutoff"], ("days_before_run", "time"), ("days_before_run", "time"))
    pctx = ctx.at("presence")
    presence = _mapping(
        pctx, top["presence"], ("contact", "ended_within_hours"), ("contact", "ended_within_hours")
    )
    lctx = ctx.at("lines")
    lines = _mapping(lctx, top["lines"], ("window_days",), ("window_days",))
    nctx = ctx.at("new_today")
    new_today = _mapping(nctx, top["new_today"], ("compare_with",), ("compare_with",))
    compare_with = new_today["compare_with"]
    if compare_with not in COMPARE_WITH:
        raise nctx.at("compare_with").error(
            f"unknown value {config_reader.show(compare_with)}", f"write one of: {', '.join(COMPARE_WITH)}"
        )
    return RepeatedAcuteRule(
        info=info,
        cutoff_days_before_run=config_reader.integer(
            cctx.at("days_before_run"), cutoff["days_before_run"], 0, "days_before_run: 1"
        ),
        cutoff_time=_time(cctx.at("time"), cutoff["time"]),
        target_group=reader.count(ctx.at("target_group"), top["target_group"]),
        presence=Presence(
            contact=reader.criteria(pctx.at("contact"), presence["contact"]),
            ended_within_hours=config_reader.integer(
                pctx.at("ended_within_hours"),
                presence["ended_within_hours"],
                0,
                "ended_within_hours: 24",
            ),
        ),
        lines_window_days=config_reader.integer(lctx.at("window_days"), lines["window_days"], 1, "window_days: 182"),
        compare_with=compare_with,
        admission_hours=reader.admission_hours,
    )


def load_aps_eligibility(path: str | Path | None = None) -> EligibilityRule:
    path = Path(path) if path is not None else CONFIG_DIR / APS_ELIGIBILITY_FILE
    data, digest = config_reader.read_yaml(path)
    ctx = config_reader.Ctx(str(path))
    _check_rule(ctx, data, "aps_eligibility")
    keys = ("version", "rule", "source", "code_lists", "concepts", "admission_hours", "routes",
            "exclusions")
    top = _mapping(ctx, data, keys, tuple(k for k in keys if k != "admission_hours"))
    info, reader = _header(ctx, top, "aps_eligibility", path, digest)

    rctx = ctx.at("routes")
    if not isinstance(top["routes"], list) or not top["routes"]:
        raise rctx.error(
            "expected a non-empty list of routes", "write `routes:` followed by `- id: ...` items"
        )
    routes: list[Route] = []
    for i, raw in enumerate(top["routes"]):
        ictx = rctx.at(i)
        body = _mapping(ictx, raw, ("id", "min_age", "age", "any_of"), ("id", "any_of"))
        route_id = config_reader.ident(ictx.at("id"), body["id"], "id")
        if any(r.id == route_id for r in routes):
            raise ictx.at("id").error(
                f"route id {route_id!r} is used twice", "give each route its own id"
            )
        actx = ictx.at("any_of")
        if not isinstance(body["any_of"], list) or not body["any_of"]:
            raise actx.error(
                "expected a non-empty list of conditions",
                "write `any_of:` followed by `- window_days: ...`",
            )
        routes.append(
            Route(
                id=route_id,
                min_age=reader.min_age(ictx, body),
                any_of=tuple(reader.count(actx.at(j), c) for j, c in enumerate(body["any_of"])),
            )
        )

    ectx = ctx.at("exclusions")
    raw_ex = top["exclusions"] if top["exclusions"] is not None else []
    if not isinstance(raw_ex, list):
        raise ectx.error(
            "expected a list of exclusions", "write `exclusions:` followed by `- reason: ...` items"
        )
    exclusions: list[Exclusion] = []
    kinds = ("contact", "residence_type", "dead")
    for i, raw in enumerate(raw_ex):
        ictx = ectx.at(i)
        body = _mapping(ictx, raw, ("reason", "window_days") + kinds, ("reason",))
        reason = config_reader.ident(ictx.at("reason"), body["reason"], "reason")
        if any(e.reason == reason for e in exclusions):
            raise ictx.at("reason").error(
                f"reason {reason!r} is used twice", "give each exclusion its own reason"
            )
        given = [k for k in kinds if k in body]
        if len(given) != 1:
            raise ictx.error(
                f"an exclusion needs exactly one of {', '.join(kinds)}; found {given or 'none'}",
                "split it into one exclusion per kind, each with its own reason",
            )
        if "window_days" in body and given != ["contact"]:
            raise ictx.at("window_days").error(
                "only a `contact` exclusion has a window", "remove `window_days`"
            )
        kind = given[0]
        if kind == "contact":
            window = body.get("window_days")
            exclusions.append(
                Exclusion(
                    reason,
                    contact=reader.criteria(ictx.at("contact"), body["contact"]),
                    window_days=None
                    if window is None
                    else config_reader.integer(ictx.at("window_days"), window, 1, "window_days: 365"),
                )
            )
        elif kind == "residence_type":
            exclusions.append(
                Exclusion(
                    reason,
                    residence_type=config_reader.choices(ictx.at(kind), body[kind], contract.RESIDENCE_TYPES),
                )
            )
        else:
            if body[kind] is not True:
                raise ictx.at(kind).error(
                    "only `dead: true` is meaningful", "write `dead: true` or remove the exclusion"
                )
            exclusions.append(Exclusion(reason, dead=True))

    return EligibilityRule(
        info=info,
        admission_hours=reader.admission_hours,
        routes=tuple(routes),
        exclusions=tuple(exclusions),
    )
