"""The shared clinical concepts (``config/concepts.yaml``): one definition of admission, acute
admission, home visit, readmission, ... for every area, and their two meanings.

A contact concept is contact criteria of the rule language (:class:`ContactCriteria`), or a
list of them of which one must hold (``any_of``). It compiles

* into SQL through :class:`opspor.rules.sql.Builder` and the engine's :class:`Dialect`
  (:meth:`Concepts.sql`), and
* into a Python predicate with the reference engine's meaning (:meth:`Concepts.predicate`);

tests/rules/test_concepts.py proves the two agree on generated contacts. Ages (``ages:``) are
person concepts: a minimum age in completed years. Labels are formatted from the configured
values (:meth:`Concepts.label`), so a label never states a number the definition lacks.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from opspor import config_reader
from opspor.rules import reference_engine
from opspor.rules.criteria import CONFIG_DIR, CodeLists, RuleReader, load_code_lists
from opspor.rules.model import ContactCriteria
from opspor.rules.sql import Builder, Dialect

CONCEPTS_FILE = "concepts.yaml"
_LABEL_FIELDS = ("admission_hours", "within_days", "min_age")
_EXAMPLES = {
    "version": "e.g. `version: 1`; bump it on every change",
    "code_lists": "e.g. `code_lists: code_lists.yaml`",
    "admission_hours": "e.g. `admission_hours: 12`",
    "concepts": "a mapping of concept names to concepts",
    "label_da": "the Danish label, e.g. `label_da: akut indlæggelse`",
    "label_en": "the English label, e.g. `label_en: acute admission`",
    "source": "name where the definition comes from",
    "min_age": "e.g. `min_age: 65`",
    "days": "e.g. `days: 365`",
}


@dataclass(frozen=True)
class Concept:
    """A named contact concept: a contact meets it when it meets one of ``any_of``."""

    name: str
    label_da: str
    label_en: str
    source: str
    any_of: tuple[ContactCriteria, ...]

    @property
    def criteria(self) -> ContactCriteria:
        """The criteria of a concept written as one ``contact:``."""
        if len(self.any_of) != 1:
            raise ValueError(f"the concept {self.name!r} has several criteria (any_of)")
        return self.any_of[0]


@dataclass(frozen=True)
class AgeConcept:
    """A person concept: ``min_age`` completed years or more at the reference date."""

    name: str
    label_da: str
    label_en: str
    source: str
    min_age: int


@dataclass(frozen=True)
class Period:
    """A period of ``days`` days before the reference date."""

    name: str
    label_da: str
    label_en: str
    source: str
    days: int


@dataclass(frozen=True)
class Concepts:
    file: str
    version: str
    digest: str
    admission_hours: int
    contacts: dict[str, Concept]
    ages: dict[str, AgeConcept]
    periods: dict[str, Period]
    code_lists: CodeLists

    def __getitem__(self, name: str) -> Concept:
        return self.contacts[name]

    def age(self, name: str) -> int:
        return self.ages[name].min_age

    def days(self, name: str) -> int:
        return self.periods[name].days

    def within_days(self, name: str) -> int:
        """The ``preceded_by.within_days`` of a concept such as ``readmission``."""
        pb = self[name].criteria.preceded_by
        if pb is None:
            raise ValueError(f"the concept {name!r} has no preceded_by")
        return pb.within_days

    def label(self, name: str, lang: str = "da") -> str:
        """The concept's label in ``lang`` (da, en), its placeholders filled from the values."""
        concept = self.contacts.get(name) or self.ages.get(name) or self.periods[name]
        return getattr(concept, f"label_{lang}").format(**self._values(concept))

    def _values(self, concept: Concept | AgeConcept | Period) -> dict[str, int]:
        values = {"admission_hours": self.admission_hours}
        if isinstance(concept, AgeConcept):
            values["min_age"] = concept.min_age
        elif isinstance(concept, Period):
            values["days"] = concept.days
        elif len(concept.any_of) == 1 and concept.any_of[0].preceded_by is not None:
            values["within_days"] = concept.any_of[0].preceded_by.within_days
        return values

    def sql(self, name: str, dialect: Dialect, alias: str, at: datetime,
            existing: str = "contacts") -> str:
        """A two-valued SQL boolean: row ``alias`` (of relation ``existing``, the contacts that
        exist at ``at``) meets the concept; an admission counts its length up to ``at``. A
        concept with ``preceded_by`` needs helper CTEs: use :meth:`sql_with` instead."""
        b = Builder(dialect, self.admission_hours)
        expr = self.sql_with(b, name, alias, at, existing)
        if b.ctes:
            raise ValueError(f"the concept {name!r} needs helper CTEs: use sql_with and b.ctes")
        return expr

    def sql_with(self, b: Builder, name: str, alias: str, at: datetime,
                 existing: str = "contacts") -> str:
        """As :meth:`sql`, through ``b`` (helper CTEs, for ``preceded_by``, go to ``b.ctes``)."""
        parts = [b.criteria(c, alias, existing, at) for c in self[name].any_of]
        return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"

    def predicate(self, name: str) -> Callable[..., bool]:
        """``meets(contact, at, history=())``: the reference engine's meaning of the concept for a
        :class:`reference_engine.Contact`; ``history``: the person's contacts existing at ``at``
        (needed by ``preceded_by``)."""
        any_of, hours = self[name].any_of, self.admission_hours

        def meets(contact: reference_engine.Contact, at: datetime, history=()) -> bool:
            return any(
                reference_engine.meets(c, contact, at, list(history), hours) for c in any_of
            )

        return meets


def _label(ctx: config_reader.Ctx, value: Any, allowed: tuple[str, ...]) -> str:
    text = config_reader.text(ctx, value, "label")
    for _, field, _, _ in string.Formatter().parse(text):
        if field is not None and field not in allowed:
            raise ctx.error(
                f"the label names {{{field}}}, which this concept does not have",
                f"use {', '.join('{' + a + '}' for a in allowed) or 'no placeholder'} or plain text",
            )
    return text


def load_concepts(path: str | Path | None = None) -> Concepts:
    """Read and check a concepts file (default: the shipped one). Problems raise
    :class:`opspor.config_reader.ConfigError` naming the file, the key and the fix."""
    path = Path(path) if path is not None else CONFIG_DIR / CONCEPTS_FILE
    data, digest = config_reader.read_yaml(path)
    ctx = config_reader.Ctx(str(path))
    keys = ("version", "code_lists", "admission_hours", "concepts", "ages", "periods")
    top = _mapping(ctx, data, keys, keys[:4])
    version = config_reader.version(ctx.at("version"), top["version"])
    cl_name = config_reader.text(ctx.at("code_lists"), top["code_lists"], "file name")
    cl_path = path.parent / cl_name
    if not cl_path.is_file():
        raise ctx.at("code_lists").error(
            f"no file {cl_name!r} next to the concepts file",
            f"put {cl_name} in {path.parent} or name the right file",
        )
    code_lists = load_code_lists(cl_path)
    hours = config_reader.integer(
        ctx.at("admission_hours"), top["admission_hours"], 1, "admission_hours: 12"
    )
    contacts: dict[str, Concept] = {}
    reader = RuleReader(str(path), code_lists, hours, contacts, str(path))
    cctx = ctx.at("concepts")
    if not isinstance(top["concepts"], dict) or not top["concepts"]:
        raise cctx.error("expected a mapping of concept names to concepts",
                         "write `concepts:` followed by `name: {label_da: ..., contact: ...}`")
    for name, body in top["concepts"].items():
        nctx = cctx.at(str(name))
        config_reader.ident(nctx, name, "concept name")
        body = _mapping(nctx, body, ("label_da", "label_en", "source", "contact", "any_of"),
                        ("label_da", "label_en", "source"))
        if ("contact" in body) == ("any_of" in body):
            raise nctx.error("a concept needs exactly one of `contact:` or `any_of:`",
                             "write `contact: {priority: [acute]}` or `any_of: [{...}, {...}]`")
        if "contact" in body:
            any_of = (reader.criteria(nctx.at("contact"), body["contact"]),)
        else:
            actx = nctx.at("any_of")
            if not isinstance(body["any_of"], list) or len(body["any_of"]) < 2:
                raise actx.error("expected a list of at least two criteria",
                                 "write `any_of: [{contact_type: [home_visit]}, {...}]`, or one `contact:`")
            any_of = tuple(reader.criteria(actx.at(i), c) for i, c in enumerate(body["any_of"]))
        allowed = ("admission_hours", "within_days") if (
            len(any_of) == 1 and any_of[0].preceded_by is not None) else ("admission_hours",)
        contacts[name] = Concept(
            name,
            _label(nctx.at("label_da"), body["label_da"], allowed),
            _label(nctx.at("label_en"), body["label_en"], allowed),
            config_reader.text(nctx.at("source"), body["source"], "source"),
            any_of,
        )
    ages = _named_values(ctx.at("ages"), top.get("ages"), "min_age", AgeConcept, contacts)
    periods = _named_values(ctx.at("periods"), top.get("periods"), "days", Period,
                            {**contacts, **ages})
    return Concepts(str(path), version, digest, hours, contacts, ages, periods, code_lists)


def _named_values(ctx: config_reader.Ctx, raw: Any, key: str, kind: type, taken: dict) -> dict:
    """``ages:`` (``min_age``) or ``periods:`` (``days``): named whole numbers with labels."""
    raw = raw or {}
    if not isinstance(raw, dict):
        raise ctx.error(f"expected a mapping of names to {{label_da, label_en, source, {key}}}",
                        f"write e.g. `name: {{label_da: ..., label_en: ..., source: ..., {key}: 65}}`")
    out = {}
    for name, body in raw.items():
        nctx = ctx.at(str(name))
        config_reader.ident(nctx, name, "concept name")
        if name in taken:
            raise nctx.error(f"{name!r} is already a concept", "give it another name")
        keys = ("label_da", "label_en", "source", key)
        body = _mapping(nctx, body, keys, keys)
        allowed = ("admission_hours", key)
        out[name] = kind(
            name,
            _label(nctx.at("label_da"), body["label_da"], allowed),
            _label(nctx.at("label_en"), body["label_en"], allowed),
            config_reader.text(nctx.at("source"), body["source"], "source"),
            config_reader.integer(nctx.at(key), body[key], 0 if key == "min_age" else 1,
                                  "min_age: 65" if key == "min_age" else "days: 365"),
        )
    return out


@cache
def shipped() -> Concepts:
    """The shipped concepts (read once per process)."""
    return load_concepts()


def _mapping(ctx: config_reader.Ctx, value: Any, allowed: tuple[str, ...],
             required: tuple[str, ...] = ()) -> dict:
    return config_reader.mapping(ctx, value, allowed, required, _EXAMPLES, "see docs/rules.md")


__all__ = ["AgeConcept", "Concept", "Concepts", "Period", "load_concepts", "shipped"]
