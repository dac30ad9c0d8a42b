"""The accepted measurement kinds: ``config/measurements.yaml`` -> :class:`Catalogue`, checked.

Every problem raises a :class:`~opspor.config_reader.ConfigError` naming the file, the key, what
is wrong and the fix. ``OPSPOR_TELEMONITORING_KINDS`` names another file (read when first used).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from opspor import config_reader
from opspor.config_reader import Ctx

CONFIG_FILE = Path(__file__).with_name("config") / "measurements.yaml"
VALUE_FORMS = ("quantity", "integer")
VALUE = "value"  # the part name of a kind without components


@dataclass(frozen=True)
class Part:
    """What one number of a measurement must be: the whole value, or one component."""

    name: str
    title_da: str
    title_en: str
    codes: frozenset[tuple[str, str]]  # (system URL, code)
    unit: str  # UCUM code
    low: float
    high: float
    integer: bool


@dataclass(frozen=True)
class Kind:
    name: str
    title_da: str
    title_en: str
    codes: frozenset[tuple[str, str]]
    parts: tuple[Part, ...]  # one (VALUE) or the components, in file order
    has_components: bool
    questionnaire: bool

    @property
    def unit(self) -> str:
        return self.parts[0].unit


@dataclass(frozen=True)
class Catalogue:
    file: str
    version: str
    digest: str
    ucum: str
    statuses: tuple[str, ...]
    future_tolerance: dt.timedelta
    kinds: dict[str, Kind]
    by_code: dict[tuple[str, str], Kind]

    def accepted_codes(self, kind: Kind | Part) -> str:
        return ", ".join(f"{s}|{c}" for s, c in sorted(kind.codes))


def _codes(ctx: Ctx, value, systems: dict[str, str]) -> frozenset[tuple[str, str]]:
    if not isinstance(value, list) or not value:
        raise ctx.error(f"expected a non-empty list of codings, got {config_reader.show(value)}",
                        'write e.g. `codes: [{system: loinc, code: "59408-5"}]`')
    out = set()
    for i, item in enumerate(value):
        c = ctx.at(i)
        item = config_reader.mapping(c, item, ("system", "code"), ("system", "code"))
        system = config_reader.choice(c.at("system"), item["system"], tuple(systems), "code system")
        code = config_reader.text(c.at("code"), item["code"], "code")
        if (systems[system], code) in out:
            raise c.error(f"{system}|{code} is listed twice", "list each coding once")
        out.add((systems[system], code))
    return frozenset(out)


def _part(ctx: Ctx, name: str, data: dict, systems: dict[str, str], *, integer: bool, titles=None) -> Part:
    plaus = config_reader.mapping(ctx.at("plausible"), data["plausible"], ("min", "max"), ("min", "max"))
    low = config_reader.number(ctx.at("plausible").at("min"), plaus["min"], "min: 0")
    high = config_reader.number(ctx.at("plausible").at("max"), plaus["max"], "max: 100", low=low, low_open=True)
    title_da, title_en = titles or (config_reader.text(ctx.at("title_da"), data["title_da"], "title"),
                                    config_reader.text(ctx.at("title_en"), data["title_en"], "title"))
    return Part(name=name, title_da=title_da, title_en=title_en,
                codes=_codes(ctx.at("codes"), data["codes"], systems),
                unit=config_reader.text(ctx.at("unit"), data["unit"], "UCUM code"),
                low=low, high=high, integer=integer)


def load(path: str | Path | None = None) -> Catalogue:
    """Read and check a measurement catalogue (default: the shipped one)."""
    path = Path(path) if path is not None else CONFIG_FILE
    data, digest = config_reader.read_yaml(path)
    ctx = Ctx(str(path))
    keys = ("version", "systems", "ucum", "statuses", "future_tolerance_minutes", "kinds")
    top = config_reader.mapping(ctx, data, keys, keys)
    sctx = ctx.at("systems")
    systems = config_reader.mapping(sctx, top["systems"], ("loinc", "ieee", "medcom"), ())
    systems = {k: config_reader.text(sctx.at(k), v, "system URL") for k, v in systems.items()}
    statuses = top["statuses"]
    if not isinstance(statuses, list) or not statuses or not all(isinstance(s, str) for s in statuses):
        raise ctx.at("statuses").error("expected a list of Observation.status codes", "write e.g. `[final, amended]`")
    minutes = config_reader.integer(ctx.at("future_tolerance_minutes"), top["future_tolerance_minutes"], 0, "10")
    kctx = ctx.at("kinds")
    if not isinstance(top["kinds"], dict) or not top["kinds"]:
        raise kctx.error("expected a mapping of kinds", "write e.g. `kinds: {spo2: {...}}`")
    kinds: dict[str, Kind] = {}
    by_code: dict[tuple[str, str], Kind] = {}
    for name, raw in top["kinds"].items():
        c = kctx.at(str(name))
        config_reader.ident(c, name, "kind")
        allowed = ("title_da", "title_en", "codes", "unit", "value", "plausible", "components", "questionnaire")
        raw = config_reader.mapping(c, raw, allowed, ("title_da", "title_en", "codes"))
        title_da = config_reader.text(c.at("title_da"), raw["title_da"], "title")
        title_en = config_reader.text(c.at("title_en"), raw["title_en"], "title")
        if "components" in raw:
            if any(k in raw for k in ("unit", "value", "plausible")):
                raise c.error("a kind has either components or unit/value/plausible", "remove one of them")
            cc = c.at("components")
            if not isinstance(raw["components"], dict) or not raw["components"]:
                raise cc.error("expected a mapping of components", "write e.g. `components: {systolic: {...}}`")
            parts = []
            for pname, praw in raw["components"].items():
                pc = cc.at(str(pname))
                config_reader.ident(pc, pname, "component")
                keys = ("title_da", "title_en", "codes", "unit", "plausible")
                praw = config_reader.mapping(pc, praw, keys, keys)
                parts.append(_part(pc, pname, praw, systems, integer=False))
        else:
            config_reader.mapping(c, raw, allowed, ("unit", "value", "plausible"))
            form = config_reader.choice(c.at("value"), raw["value"], VALUE_FORMS, "value form")
            parts = [_part(c, VALUE, raw, systems, integer=form == "integer", titles=(title_da, title_en))]
        questionnaire = config_reader.boolean(c.at("questionnaire"), raw.get("questionnaire", False))
        kind = Kind(name=name, title_da=title_da, title_en=title_en, codes=_codes(c.at("codes"), raw["codes"], systems),
                    parts=tuple(parts), has_components="components" in raw, questionnaire=questionnaire)
        for code in kind.codes:
            if code in by_code:
                raise c.at("codes").error(f"{code[0]}|{code[1]} is already the code of {by_code[code].name}",
                                          "give each coding to one kind")
            by_code[code] = kind
        kinds[name] = kind
    return Catalogue(file=str(path), version=config_reader.version(ctx.at("version"), top["version"]), digest=digest,
                     ucum=config_reader.text(ctx.at("ucum"), top["ucum"], "UCUM system URL"),
                     statuses=tuple(statuses), future_tolerance=dt.timedelta(minutes=minutes),
                     kinds=kinds, by_code=by_code)


@cache
def _cached(path: str) -> Catalogue:
    return load(path)


def shipped() -> Catalogue:
    """The catalogue in force: ``OPSPOR_TELEMONITORING_KINDS`` or the shipped file."""
    return _cached(os.environ.get("OPSPOR_TELEMONITORING_KINDS") or str(CONFIG_FILE))
