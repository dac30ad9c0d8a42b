"""Contact criteria and code lists: the rule language's reader, shared by the rule files
(:mod:`opspor.rules.load`), the concepts (:mod:`opspor.rules.concepts`) and every area that
writes criteria (indicators, ...). Problems raise :class:`RuleConfigError` naming the file, the
key, what is wrong and the fix; unknown and duplicate keys are errors.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from opspor import config_reader, contract
from opspor.rules.codes import CodeEntryError, CodeList
from opspor.rules.model import COMPARE_WITH, ContactCriteria, CountCondition, PrecededBy

CONFIG_DIR = Path(__file__).with_name("config")
CODE_LISTS_FILE = "code_lists.yaml"

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
