"""Reading instruments from YAML files. A mistake in a file stops the load with a message that
names the file, the key path and the fix (``who5.yaml: at items[2].scale: unknown scale 'freq'.
Fix: use one of: frequency``), in the words of every configuration reader (``opspor.config_reader``).

Where the files are: the shipped ``config/*.yaml`` beside this module, then every folder in the
Django setting ``APS_INSTRUMENT_DIRS`` (a list), or, when that is not set, in the environment
variable ``OPSPOR_APS_INSTRUMENTS`` (folders separated by ``:``). An instrument id may appear
only once across all folders.

The file format (see ``config/who5.yaml`` for a full example)::

    id: who5                      # lower-case letters, digits, - and _
    version: "1998"               # a string; stored with every response
    title: {da: ..., en: ...}     # texts: a mapping of language → text, or one plain string
    instructions: {da: ..., en: ...}   # optional
    source: ...                   # optional: where the wording and scoring come from
    scales:
      <scale id>:                 # one or more answer scales
        - {value: 5, label: {da: ..., en: ...}}
    items:
      - {id: q1, text: {da: ..., en: ...}, scale: <scale id>, reverse: false}
      - id: q1b                   # a follow-up question, asked only when q1 was answered 0 or 1
        text: ...                 # (FHIR enableWhen); never part of the score
        scale: <scale id>
        enable_when: {item: q1, answers: [0, 1]}
    scoring:
      method: sum                 # sum | mean
      multiplier: 4               # optional, default 1
      decimals: 0                 # optional, default 1
      missing: no_score           # no_score | prorate
      max_missing: 0              # with prorate: how many items may be unanswered
    interpretation:               # optional, checked in order, first match wins
      - {id: low, at_most: 28, level: alarm, label: {da: ..., en: ...}}
      - {id: reduced, below: 50, level: warn, label: ...}
      - {id: good, level: ok, label: ...}   # the last band may have no bound
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from opspor import config_reader
from opspor.web.aps.instruments.model import (
    MEAN,
    NO_SCORE,
    PRORATE,
    SUM,
    Band,
    Choice,
    EnableWhen,
    Instrument,
    Item,
    Scale,
    Scoring,
)

CONFIG_DIR = Path(__file__).parent / "config"
ENV_VAR = "OPSPOR_APS_INSTRUMENTS"
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
LEVELS = ("ok", "warn", "alarm")

TOP_KEYS = {"id", "version", "title", "instructions", "source", "scales", "items", "scoring", "interpretation"}
ITEM_KEYS = {"id", "text", "scale", "reverse", "enable_when"}
ENABLE_KEYS = {"item", "answers"}
CHOICE_KEYS = {"value", "label"}
SCORING_KEYS = {"method", "multiplier", "decimals", "missing", "max_missing"}
BAND_KEYS = {"id", "label", "at_most", "below", "level"}


class InstrumentConfigError(config_reader.ConfigError):
    """A mistake in an instrument file: ``file: at key path: problem. Fix: what to do``."""

    @property
    def where(self) -> str:
        return self.key


class _Ctx(config_reader.Ctx):
    error_class = InstrumentConfigError


class _Reader:
    def __init__(self, path: Path):
        self.file = path.name
        self.path = path

    def fail(self, where: str, problem: str, fix: str):
        raise _Ctx(self.file, where).error(problem, fix)

    def mapping(self, value: Any, where: str, keys: set[str], required: Iterable[str] = ()) -> Mapping:
        config_reader.mapping(_Ctx(self.file, where), value, tuple(sorted(keys)), tuple(required),
                              docs="see the file format in opspor/web/aps/instruments/loader.py")
        for key in required:  # an empty value counts as missing
            if key not in value or value[key] in (None, ""):
                self.fail(f"{where}.{key}" if where else key, "missing", f"add {key}: ...")
        return value

    def texts(self, value: Any, where: str) -> dict[str, str]:
        if isinstance(value, str) and value.strip():
            return {"da": value.strip()}
        if isinstance(value, Mapping) and value:
            out = {}
            for lang, text in value.items():
                if not isinstance(lang, str) or not isinstance(text, str) or not text.strip():
                    self.fail(f"{where}.{lang}", "expected a non-empty text", "write the text after the language code")
                out[lang.lower()] = text.strip()
            if "da" not in out:
                self.fail(where, "no Danish text", "add da: <the Danish text> (Danish is the default language)")
            return out
        self.fail(where, "expected a text or a mapping of language → text", "write e.g. {da: ..., en: ...}")

    def identifier(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not ID_PATTERN.match(value):
            self.fail(where, f"{value!r} is not a valid id",
                      "use 1-40 lower-case letters, digits, - or _, starting with a letter or digit")
        return value

    def number(self, value: Any, where: str, *, integer: bool = False, minimum: float | None = None) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or (integer and not isinstance(value, int)):
            self.fail(where, f"{value!r} is not {'a whole number' if integer else 'a number'}",
                      "write a plain number without quotes")
        if minimum is not None and value < minimum:
            self.fail(where, f"{value} is below {minimum}", f"use a number of at least {minimum}")
        return value

    def instrument(self, data: Any) -> Instrument:
        data = self.mapping(data, "", TOP_KEYS, required=("id", "version", "title", "scales", "items", "scoring"))
        iid = self.identifier(data["id"], "id")
        if not isinstance(data["version"], str | int | float):
            self.fail("version", "expected a version text", 'write e.g. version: "1.0"')
        version = str(data["version"])
        scales = self.scales(data["scales"])
        items = self.items(data["items"], scales)
        scoring = self.scoring(data["scoring"])
        bands = self.bands(data.get("interpretation") or [])
        source = data.get("source") or ""
        if not isinstance(source, str):
            self.fail("source", "expected a text", "write the source as one text")
        return Instrument(
            id=iid, version=version, title=self.texts(data["title"], "title"), items=items, scoring=scoring,
            bands=bands, instructions=self.texts(data["instructions"], "instructions") if data.get("instructions") else {},
            source=source.strip(), path=str(self.path),
        )

    def scales(self, value: Any) -> dict[str, Scale]:
        if not isinstance(value, Mapping) or not value:
            self.fail("scales", "expected one or more named scales", "write scales: {<scale id>: [{value: 0, label: ...}, ...]}")
        out = {}
        for sid, choices in value.items():
            where = f"scales.{sid}"
            self.identifier(sid, where)
            if not isinstance(choices, list) or len(choices) < 2:
                self.fail(where, "a scale needs a list of at least two answers", "list the answers as - {value: ..., label: ...}")
            parsed, seen = [], set()
            for n, choice in enumerate(choices):
                cw = f"{where}[{n}]"
                choice = self.mapping(choice, cw, CHOICE_KEYS, required=("value", "label"))
                v = int(self.number(choice["value"], f"{cw}.value", integer=True))
                if v in seen:
                    self.fail(f"{cw}.value", f"the value {v} is used twice in the scale", "give every answer its own value")
                seen.add(v)
                parsed.append(Choice(v, self.texts(choice["label"], f"{cw}.label")))
            out[sid] = Scale(sid, tuple(parsed))
        return out

    def items(self, value: Any, scales: dict[str, Scale]) -> tuple[Item, ...]:
        if not isinstance(value, list) or not value:
            self.fail("items", "expected a list of items", "write items: - {id: q1, text: ..., scale: ...}")
        out, seen, by_id = [], set(), {}
        for n, item in enumerate(value):
            where = f"items[{n}]"
            item = self.mapping(item, where, ITEM_KEYS, required=("id", "text", "scale"))
            iid = self.identifier(item["id"], f"{where}.id")
            if iid in seen:
                self.fail(f"{where}.id", f"the item id {iid!r} is used twice", "give every item its own id")
            seen.add(iid)
            scale = scales.get(item["scale"])
            if scale is None:
                self.fail(f"{where}.scale", f"unknown scale {item['scale']!r}", f"use one of: {', '.join(scales)}")
            reverse = item.get("reverse", False)
            if not isinstance(reverse, bool):
                self.fail(f"{where}.reverse", f"{reverse!r} is not true or false", "write reverse: true or reverse: false")
            when = self.enable_when(item["enable_when"], f"{where}.enable_when", by_id) if "enable_when" in item else None
            if when is not None and reverse:
                self.fail(f"{where}.reverse", "a conditional item is not scored, so it cannot be reverse-scored",
                          "remove reverse: true, or remove enable_when")
            made = Item(iid, self.texts(item["text"], f"{where}.text"), scale, reverse, when)
            by_id[iid] = made
            out.append(made)
        if all(i.enable_when is not None for i in out):
            self.fail("items", "every item is conditional, so nothing is scored",
                      "leave enable_when off the items that make the score")
        return tuple(out)

    def enable_when(self, value: Any, where: str, earlier: Mapping[str, Item]) -> EnableWhen:
        value = self.mapping(value, where, ENABLE_KEYS, required=("item", "answers"))
        target = earlier.get(value["item"])
        if target is None:
            self.fail(f"{where}.item", f"{value['item']!r} is not an earlier item",
                      f"name an item listed before this one: {', '.join(earlier) or '(none)'}")
        answers = value["answers"]
        if not isinstance(answers, list) or not answers:
            self.fail(f"{where}.answers", "expected a list of answer values", "write e.g. answers: [0, 1]")
        for n, v in enumerate(answers):
            self.number(v, f"{where}.answers[{n}]", integer=True)
            if v not in target.scale.values:
                self.fail(f"{where}.answers[{n}]", f"{v} is not an answer of {target.id}",
                          f"use values of the scale {target.scale.id}: {', '.join(map(str, target.scale.values))}")
        return EnableWhen(target.id, tuple(int(v) for v in answers))

    def scoring(self, value: Any) -> Scoring:
        value = self.mapping(value, "scoring", SCORING_KEYS, required=("method", "missing"))
        method = value["method"]
        if method not in (SUM, MEAN):
            self.fail("scoring.method", f"unknown method {method!r}", f"use {SUM} or {MEAN}")
        missing = value["missing"]
        if missing not in (NO_SCORE, PRORATE):
            self.fail("scoring.missing", f"unknown rule {missing!r}", f"use {NO_SCORE} or {PRORATE}")
        max_missing = int(self.number(value.get("max_missing", 0), "scoring.max_missing", integer=True, minimum=0))
        if missing == PRORATE and max_missing == 0:
            self.fail("scoring.max_missing", "prorate needs at least one item that may be missing",
                      "set max_missing: 1 (or more), or use missing: no_score")
        if missing == NO_SCORE and max_missing:
            self.fail("scoring.max_missing", "no_score never accepts missing items",
                      "remove max_missing, or use missing: prorate")
        multiplier = float(self.number(value.get("multiplier", 1), "scoring.multiplier"))
        if multiplier == 0:
            self.fail("scoring.multiplier", "the multiplier is 0", "use a number other than 0 (default 1)")
        decimals = int(self.number(value.get("decimals", 1), "scoring.decimals", integer=True, minimum=0))
        return Scoring(method, multiplier, decimals, missing, max_missing)

    def bands(self, value: Any) -> tuple[Band, ...]:
        if not isinstance(value, list):
            self.fail("interpretation", "expected a list of bands", "write - {id: ..., at_most: ..., label: ...}")
        out, last_bound = [], None
        for n, band in enumerate(value):
            where = f"interpretation[{n}]"
            band = self.mapping(band, where, BAND_KEYS, required=("id", "label"))
            bid = self.identifier(band["id"], f"{where}.id")
            at_most, below = band.get("at_most"), band.get("below")
            if at_most is not None and below is not None:
                self.fail(where, "both at_most and below are given", "give one bound: at_most (≤) or below (<)")
            bound = at_most if at_most is not None else below
            if bound is None and n != len(value) - 1:
                self.fail(where, "only the last band may have no bound", "add at_most: or below: to this band")
            if bound is not None:
                bound = self.number(bound, f"{where}.{'at_most' if at_most is not None else 'below'}")
                if last_bound is not None and bound < last_bound:
                    self.fail(where, f"the bound {bound} is lower than the band before it ({last_bound})",
                              "list the bands from the lowest score up")
                last_bound = bound
            level = band.get("level", "ok")
            if level not in LEVELS:
                self.fail(f"{where}.level", f"unknown level {level!r}", f"use one of: {', '.join(LEVELS)}")
            out.append(Band(bid, self.texts(band["label"], f"{where}.label"),
                            at_most=at_most if at_most is None else float(at_most),
                            below=below if below is None else float(below), level=level))
        return tuple(out)


def load_file(path: Path | str) -> Instrument:
    """Read and check one instrument file."""
    path = Path(path)
    reader = _Reader(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InstrumentConfigError(path.name, "(file)", f"cannot be read ({e})", "check that it is a UTF-8 text file") from None
    return reader.instrument(config_reader.parse_yaml(text, path.name, InstrumentConfigError))


def configured_dirs() -> tuple[Path, ...]:
    from django.conf import settings

    extra = getattr(settings, "APS_INSTRUMENT_DIRS", None)
    if extra is None:
        extra = [d for d in os.environ.get(ENV_VAR, "").split(":") if d.strip()]
    return (CONFIG_DIR, *(Path(d) for d in extra))


@lru_cache(maxsize=8)
def _load_dirs(dirs: tuple[Path, ...]) -> dict[str, Instrument]:
    found: dict[str, Instrument] = {}
    for folder in dirs:
        if not folder.is_dir():
            raise InstrumentConfigError(str(folder), "(folder)", "the instrument folder does not exist",
                                        f"create it or remove it from APS_INSTRUMENT_DIRS / {ENV_VAR}")
        for path in sorted(folder.glob("*.yaml")):
            instrument = load_file(path)
            if instrument.id in found:
                raise InstrumentConfigError(path.name, "id", f"the id {instrument.id!r} is also used by "
                                            f"{Path(found[instrument.id].path).name}", "give each instrument its own id")
            found[instrument.id] = instrument
    return found


def instruments() -> dict[str, Instrument]:
    """All configured instruments by id, in file order (shipped ones first)."""
    return _load_dirs(configured_dirs())


def get(instrument_id: str) -> Instrument | None:
    return instruments().get(instrument_id)
