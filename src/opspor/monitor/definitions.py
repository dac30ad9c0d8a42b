"""The indicator definitions: ``config/indicators.yaml`` -> frozen objects, checked on the way in.

The YAML is read with the rules' strict reader (duplicate keys are errors), and every problem
raises :class:`ConfigError` (:class:`opspor.config_reader.ConfigError`) naming the
file, the key path (``indicators[2].versions[0].events.min_hours``), what is wrong and the fix.
Contact criteria are the rule language of ``docs/rules.md``, read by the rules' own reader, so a
criterion means the same in a case-finding rule and in an indicator.
"""

from __future__ import annotations

import csv
import difflib
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from opspor import config_reader
from opspor.rules import concepts as clinical
from opspor.rules.codes import CodeList
from opspor.rules.load import CodeLists, RuleReader, load_code_lists, load_repeated_acute
from opspor.rules.model import ContactCriteria, CountCondition

ConfigError = config_reader.ConfigError

CONFIG_DIR = Path(__file__).with_name("config")
INDICATORS_FILE = "indicators.yaml"

KINDS = ("rate", "persons", "value", "proportion")
PERIODS = ("year", "month")
VALUE_COLUMNS = ("drg_value",)
EPISODE_RULES = ("repeated_acute",)


# --------------------------------------------------------------------------- objects


@dataclass(frozen=True)
class StandardPopulation:
    """Age bands ``(age_from, age_to or None)`` and their weights, contiguous from 0."""

    key: str
    bands: tuple[tuple[int, int | None], ...]
    weights: tuple[float, ...]

    def band_starts(self) -> tuple[int, ...]:
        return tuple(a for a, _ in self.bands)

    def label(self, band_start: int) -> str:
        for (a, b) in self.bands:
            if a == band_start:
                return f"{a}-{b}" if b is not None else f"{a}+"
        raise KeyError(band_start)

    def weights_for(self, min_age: int, max_age: int | None) -> dict[int, float]:
        """The weight of every band that overlaps the age range ``[min_age, max_age]``."""
        out = {}
        for (a, b), w in zip(self.bands, self.weights, strict=True):
            if (b is None or b >= min_age) and (max_age is None or a <= max_age):
                out[a] = w
        return out


@dataclass(frozen=True)
class Condition:
    key: str
    title_da: str
    title_en: str
    contact: ContactCriteria
    lookback_days: int


@dataclass(frozen=True)
class Population:
    min_age: int = 0
    max_age: int | None = None
    condition_any: tuple[str, ...] = ()  # empty: everybody


@dataclass(frozen=True)
class Events:
    """Contacts meeting ``contact`` and lasting ``min_hours`` or more (None: any length)."""

    contact: ContactCriteria
    min_hours: int | None = None


@dataclass(frozen=True)
class Readmission:
    within_days: int
    events: Events


@dataclass(frozen=True)
class Unit:
    per: int
    da: str
    en: str


@dataclass(frozen=True)
class IndicatorVersion:
    indicator_id: str
    version: str
    title_da: str
    title_en: str
    label_da: str
    label_en: str
    kind: str  # rate | persons | value | proportion
    population: Population
    unit: Unit
    periods: tuple[str, ...]
    source: str
    events: Events | None = None  # rate, value; the index admissions of proportion
    value_column: str | None = None  # value
    value_scale: float = 1.0
    readmission: Readmission | None = None  # proportion
    episode: CountCondition | None = None  # persons
    episode_source: str = ""
    note: str = ""

    @property
    def key(self) -> str:
        return f"{self.indicator_id}@{self.version}"


@dataclass(frozen=True)
class Indicator:
    id: str
    title_da: str
    title_en: str
    source: str
    versions: tuple[IndicatorVersion, ...]

    @property
    def current(self) -> IndicatorVersion:
        """The first version listed is the one in force."""
        return self.versions[0]

    def version(self, version: str | int | None) -> IndicatorVersion:
        if version is None:
            return self.current
        for v in self.versions:
            if v.version == str(version):
                return v
        raise KeyError(f"indicator {self.id} has no version {version!r} "
                       f"(versions: {', '.join(v.version for v in self.versions)})")


@dataclass(frozen=True)
class IndicatorSet:
    file: str
    version: str
    digest: str
    code_lists: tuple[tuple[str, str, str], ...]  # (file, version, sha256)
    standard: StandardPopulation
    suppression_threshold: int
    conditions: dict[str, Condition]
    indicators: tuple[Indicator, ...]
    _by_id: dict[str, Indicator] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_id.update({i.id: i for i in self.indicators})

    def get(self, indicator_id: str) -> Indicator:
        try:
            return self._by_id[indicator_id]
        except KeyError:
            close = difflib.get_close_matches(indicator_id, list(self._by_id), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise KeyError(f"no indicator {indicator_id!r}{hint}; indicators: "
                           f"{', '.join(self._by_id)}") from None

    def versions(self, ids: list[str] | None = None, all_versions: bool = True) -> list[IndicatorVersion]:
        chosen = [self.get(i) for i in ids] if ids else list(self.indicators)
        out: list[IndicatorVersion] = []
        for ind in chosen:
            out.extend(ind.versions if all_versions else (ind.current,))
        return out

    @property
    def info(self) -> dict:
        return {
            "file": self.file, "version": self.version, "sha256": self.digest,
            "code_lists": [{"file": f, "version": v, "sha256": d} for f, v, d in self.code_lists],
            "standard_population": self.standard.key,
            "suppression_threshold": self.suppression_threshold,
        }


# --------------------------------------------------------------------------- standard populations


@cache
def standard_populations() -> dict[str, StandardPopulation]:
    text = resources.files("opspor.monitor").joinpath("data", "standard_populations.csv").read_text(
        encoding="utf-8")
    rows: dict[str, list[tuple[int, int | None, float]]] = {}
    for r in csv.DictReader(text.splitlines()):
        rows.setdefault(r["standard"], []).append(
            (int(r["age_from"]), int(r["age_to"]) if r["age_to"] else None, float(r["weight"])))
    out = {}
    for key, bands in rows.items():
        bands.sort()
        expected = 0
        for i, (a, b, w) in enumerate(bands):
            last = i == len(bands) - 1
            if a != expected or (b is None) != last or (b is not None and b < a) or w <= 0:
                raise ValueError(f"standard_populations.csv: standard {key!r}: bands must be "
                                 f"contiguous from 0 with positive weights and end open; at {a}")
            expected = (b or 0) + 1
        out[key] = StandardPopulation(key, tuple((a, b) for a, b, _ in bands),
                                      tuple(w for _, _, w in bands))
    return out


# --------------------------------------------------------------------------- loading


def _code_lists(ctx: config_reader.Ctx, path: Path, value: Any) -> tuple[CodeLists, tuple[tuple[str, str, str], ...]]:
    names = value if isinstance(value, list) else [value]
    if not names or not all(isinstance(n, str) and n.strip() for n in names):
        raise ctx.error(f"expected a list of code-list files, got {config_reader.show(value)}",
                        "write e.g. `code_lists: [../../rules/config/code_lists.yaml, code_lists.yaml]`")
    merged: dict[str, CodeList] = {}
    info = []
    for i, name in enumerate(names):
        cl_path = (path.parent / name).resolve()
        if not cl_path.is_file():
            raise ctx.at(i).error(f"no file {name!r} (looked for {cl_path})",
                                  "name a code-list file relative to this file")
        lists = load_code_lists(cl_path)
        for list_name in lists.lists:
            if list_name in merged:
                raise ctx.at(i).error(f"code list {list_name!r} is defined in two files",
                                      "keep each list in one file")
        merged.update(lists.lists)
        info.append((str(cl_path), lists.version, lists.digest))
    combined = CodeLists(" + ".join(Path(f).name for f, _, _ in info), "+".join(v for _, v, _ in info),
                         "", merged)
    return combined, tuple(info)


class _Reader:
    """Contact criteria in the rule language, with the shared concepts of rules/config/concepts.yaml.
    A concept that is an admission gives the events its length (``min_hours``); a readmission
    concept gives ``within_days``; elsewhere neither is meaningful."""

    def __init__(self, file: str, code_lists: CodeLists) -> None:
        self.concepts = clinical.shipped()
        c = self.concepts
        self.rules = RuleReader(file, code_lists, c.admission_hours, c.contacts, c.file, c.ages)

    def contact(self, ctx: config_reader.Ctx, value: Any, *, length: bool = False,
                preceded: bool = False) -> ContactCriteria:
        if isinstance(value, dict):
            for key in ("admission", "preceded_by"):
                if key in value:
                    raise ctx.at(key).error(
                        f"`{key}` is not used in indicators",
                        "name a concept (`concept: acute_admission`) or give the length of a stay "
                        "as `min_hours:` beside `contact:`"
                        if key == "admission" else
                        "a readmission is an indicator of kind `proportion` with `readmission:`")
        crit = self.rules.criteria(ctx, value)
        if (crit.admission and not length) or (crit.preceded_by and not preceded):
            raise ctx.at("concept").error(
                "this concept is an admission or a readmission, which is not meaningful here",
                "name a concept without a length (e.g. `acute_contact`), or write the conditions out")
        return crit

    def events(self, ctx: config_reader.Ctx, value: Any, extra: tuple[str, ...] = ()) -> tuple[Events, dict]:
        body = config_reader.mapping(ctx, value, ("contact", "min_hours") + extra, ("contact",))
        hours = body.get("min_hours")
        crit = self.contact(ctx.at("contact"), body["contact"], length=True)
        if crit.admission:
            if hours is not None:
                raise ctx.at("min_hours").error(
                    "the concept already gives the length of an admission",
                    "remove `min_hours`, or name a concept without a length")
            hours, crit = self.concepts.admission_hours, replace(crit, admission=False)
        elif hours is not None:
            hours = config_reader.integer(ctx.at("min_hours"), hours, 0, "min_hours: 4")
        return Events(contact=crit, min_hours=hours), body

    def readmission(self, ctx: config_reader.Ctx, value: Any) -> Readmission:
        """``{concept: readmission, contact: {...}}`` (the concept's length and ``within_days``) or
        ``{within_days: N, min_hours: H, contact: {...}}``."""
        if isinstance(value, dict) and "concept" in value:
            body = config_reader.mapping(ctx, value, ("concept", "contact"), ("concept", "contact"))
            contact = body["contact"] if isinstance(body["contact"], dict) else {}
            if "concept" in contact:
                raise ctx.at("contact").at("concept").error(
                    "the readmission's concept is given beside `contact:`", "remove it here")
            crit = self.contact(ctx.at("contact"), {**contact, "concept": body["concept"]},
                                length=True, preceded=True)
            if crit.preceded_by is None:
                raise ctx.at("concept").error(f"the concept {body['concept']!r} is not a readmission",
                                              "write `concept: readmission`")
            within = crit.preceded_by.within_days
            crit = replace(crit, preceded_by=None)
            events = Events(replace(crit, admission=False),
                            self.concepts.admission_hours if crit.admission else None)
            return Readmission(within, events)
        events, body = self.events(ctx, value, ("within_days",))
        if "within_days" not in body:
            raise ctx.at("within_days").error("missing", "add e.g. `within_days: 30`")
        return Readmission(config_reader.integer(ctx.at("within_days"), body["within_days"], 0,
                                                 "within_days: 30"), events)


def _population(ctx: config_reader.Ctx, value: Any, conditions: dict[str, Condition],
                reader: _Reader) -> Population:
    body = config_reader.mapping(ctx, {} if value is None else value,
                                 ("min_age", "age", "max_age", "condition_any"))
    min_age = reader.rules.min_age(ctx, body) or 0
    max_age = body.get("max_age")
    if max_age is not None:
        max_age = config_reader.integer(ctx.at("max_age"), max_age, min_age, f"max_age: {max(min_age, 74)}")
    cond: tuple[str, ...] = ()
    if "condition_any" in body:
        cond = config_reader.choices(ctx.at("condition_any"), body["condition_any"], tuple(conditions),
                        f"condition_any: [{next(iter(conditions), 'copd')}]")
    return Population(min_age, max_age, cond)


def _values(v: IndicatorVersion) -> dict[str, int]:
    """The numbers a version's texts may state, as ``{name}`` placeholders: they are filled from
    the definition (and the concepts), never typed."""
    out = {"admission_hours": clinical.shipped().admission_hours, "min_age": v.population.min_age}
    if v.events is not None and v.events.min_hours is not None:
        out["min_hours"] = v.events.min_hours
    if v.readmission is not None:
        out["within_days"] = v.readmission.within_days
    if v.episode is not None:
        out["window_days"], out["at_least"] = v.episode.window_days, v.episode.at_least
    return out


def _fill(ctx: config_reader.Ctx, text: str, values: dict[str, int]) -> str:
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError) as exc:
        raise ctx.error(f"the text has a placeholder this definition cannot fill ({exc})",
                        f"use {', '.join('{' + k + '}' for k in values)}, or write `{{{{` for a brace") from None


def _filled(ctx: config_reader.Ctx, v: IndicatorVersion) -> IndicatorVersion:
    values = _values(v)
    return replace(
        v, label_da=_fill(ctx.at("label_da"), v.label_da, values),
        label_en=_fill(ctx.at("label_en"), v.label_en, values),
        unit=Unit(v.unit.per, _fill(ctx.at("unit").at("da"), v.unit.da, values),
                  _fill(ctx.at("unit").at("en"), v.unit.en, values)))


def _unit(ctx: config_reader.Ctx, value: Any) -> Unit:
    body = config_reader.mapping(ctx, value, ("per", "da", "en"), ("per", "da", "en"))
    return Unit(config_reader.integer(ctx.at("per"), body["per"], 1, "per: 1000"),
                config_reader.text(ctx.at("da"), body["da"], "Danish unit text"),
                config_reader.text(ctx.at("en"), body["en"], "English unit text"))


_VERSION_KEYS = ("version", "label_da", "label_en", "kind", "population", "events", "value",
                 "index", "readmission", "episode", "unit", "periods", "note")
_KIND_KEYS = {
    "rate": ("events",),
    "value": ("events", "value"),
    "proportion": ("index", "readmission"),
    "persons": ("episode",),
}


def _indicator_version(ctx: config_reader.Ctx, raw: Any, ind: dict, reader: _Reader,
                       conditions: dict[str, Condition]) -> IndicatorVersion:
    body = config_reader.mapping(ctx, raw, _VERSION_KEYS,
                    ("version", "label_da", "label_en", "kind", "population", "unit", "periods"))
    kind = body["kind"]
    if kind not in KINDS:
        close = difflib.get_close_matches(str(kind), KINDS, n=1)
        hint = f"did you mean `{close[0]}`? " if close else ""
        raise ctx.at("kind").error(f"unknown kind {config_reader.show(kind)}", f"{hint}write one of: {', '.join(KINDS)}")
    needed = _KIND_KEYS[kind]
    for key in needed:
        if key not in body:
            raise ctx.at(key).error(f"missing (an indicator of kind `{kind}` needs "
                                    f"{', '.join(needed)})", f"add `{key}:` (see docs/monitoring.md)")
    for key in ("events", "value", "index", "readmission", "episode"):
        if key in body and key not in needed:
            raise ctx.at(key).error(f"not used by an indicator of kind `{kind}`",
                                    f"remove `{key}:` or change `kind:`")
    kw: dict[str, Any] = {}
    if kind in ("rate", "value"):
        kw["events"], _ = reader.events(ctx.at("events"), body["events"])
    if kind == "value":
        vctx = ctx.at("value")
        value = config_reader.mapping(vctx, body["value"], ("column", "scale"), ("column",))
        if value["column"] not in VALUE_COLUMNS:
            raise vctx.at("column").error(f"unknown column {config_reader.show(value['column'])}",
                                          f"write one of: {', '.join(VALUE_COLUMNS)}")
        scale = value.get("scale", 1)
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or scale <= 0:
            raise vctx.at("scale").error(f"expected a positive number, got {config_reader.show(scale)}",
                                         "write e.g. `scale: 0.001` (DKK -> 1,000 DKK)")
        kw["value_column"], kw["value_scale"] = value["column"], float(scale)
    if kind == "proportion":
        kw["events"], _ = reader.events(ctx.at("index"), body["index"])
        kw["readmission"] = reader.readmission(ctx.at("readmission"), body["readmission"])
    if kind == "persons":
        ectx = ctx.at("episode")
        episode = config_reader.mapping(ectx, body["episode"], ("from_rule", "window_days", "at_least",
                                                   "same_hospital_unit", "contact"))
        if "from_rule" in episode:
            if len(episode) != 1:
                raise ectx.error("`from_rule` takes the whole episode from the rule",
                                 "write only `from_rule:` or only the count condition")
            if episode["from_rule"] not in EPISODE_RULES:
                raise ectx.at("from_rule").error(f"unknown rule {config_reader.show(episode['from_rule'])}",
                                                 f"write one of: {', '.join(EPISODE_RULES)}")
            rule = load_repeated_acute()
            kw["episode"] = rule.target_group
            kw["episode_source"] = f"{rule.info.name} v{rule.info.version} ({rule.info.file})"
        else:
            for key in ("window_days", "at_least", "contact"):
                if key not in episode:
                    raise ectx.at(key).error("missing", "add it, or write `from_rule: repeated_acute`")
            kw["episode"] = CountCondition(
                contact=reader.contact(ectx.at("contact"), episode["contact"]),
                window_days=config_reader.integer(ectx.at("window_days"), episode["window_days"], 1, "window_days: 182"),
                at_least=config_reader.integer(ectx.at("at_least"), episode["at_least"], 1, "at_least: 3"),
                same_hospital_unit=config_reader.boolean(ectx.at("same_hospital_unit"),
                                         episode.get("same_hospital_unit", False)),
            )
            kw["episode_source"] = "indicators.yaml"
    return _filled(ctx, IndicatorVersion(
        indicator_id=ind["id"],
        version=config_reader.version(ctx.at("version"), body["version"]),
        title_da=ind["title_da"],
        title_en=ind["title_en"],
        label_da=config_reader.text(ctx.at("label_da"), body["label_da"], "Danish label"),
        label_en=config_reader.text(ctx.at("label_en"), body["label_en"], "English label"),
        kind=kind,
        population=_population(ctx.at("population"), body["population"], conditions, reader),
        unit=_unit(ctx.at("unit"), body["unit"]),
        periods=config_reader.choices(ctx.at("periods"), body["periods"], PERIODS, "periods: [year, month]"),
        source=ind["source"],
        note=config_reader.text(ctx.at("note"), body["note"], "note") if "note" in body else "",
        **kw,
    ))


def load_indicators(path: str | Path | None = None) -> IndicatorSet:
    """Read and check an indicators file (default: the shipped ``config/indicators.yaml``)."""
    path = Path(path) if path is not None else CONFIG_DIR / INDICATORS_FILE
    data, digest = config_reader.read_yaml(path)
    ctx = config_reader.Ctx(str(path))
    keys = ("version", "code_lists", "standard_population", "suppression", "conditions", "indicators")
    top = config_reader.mapping(ctx, data, keys, keys)
    version = config_reader.version(ctx.at("version"), top["version"])
    code_lists, cl_info = _code_lists(ctx.at("code_lists"), path, top["code_lists"])
    reader = _Reader(str(path), code_lists)

    standards = standard_populations()
    if top["standard_population"] not in standards:
        raise ctx.at("standard_population").error(
            f"unknown standard population {config_reader.show(top['standard_population'])}",
            f"write one of: {', '.join(standards)} (monitor/data/standard_populations.csv)")
    sctx = ctx.at("suppression")
    suppression = config_reader.mapping(sctx, top["suppression"], ("threshold",), ("threshold",))
    threshold = config_reader.integer(sctx.at("threshold"), suppression["threshold"], 1, "threshold: 5")

    cctx = ctx.at("conditions")
    if not isinstance(top["conditions"], dict):
        raise cctx.error("expected a mapping of condition names to definitions",
                         "write `conditions: {copd: {title_da: ..., title_en: ..., contact: ..., "
                         "lookback_days: 1826}}`")
    conditions: dict[str, Condition] = {}
    for key, raw in top["conditions"].items():
        kctx = cctx.at(str(key))
        body = config_reader.mapping(kctx, raw, ("title_da", "title_en", "contact", "lookback_days"),
                        ("title_da", "title_en", "contact", "lookback_days"))
        conditions[str(key)] = Condition(
            str(key), config_reader.text(kctx.at("title_da"), body["title_da"], "Danish title"),
            config_reader.text(kctx.at("title_en"), body["title_en"], "English title"),
            reader.contact(kctx.at("contact"), body["contact"]),
            config_reader.integer(kctx.at("lookback_days"), body["lookback_days"], 1, "lookback_days: 1826"),
        )

    ictx = ctx.at("indicators")
    if not isinstance(top["indicators"], list) or not top["indicators"]:
        raise ictx.error("expected a non-empty list of indicators",
                         "write `indicators:` followed by `- id: ...` items")
    indicators: list[Indicator] = []
    for i, raw in enumerate(top["indicators"]):
        nctx = ictx.at(i)
        body = config_reader.mapping(nctx, raw, ("id", "title_da", "title_en", "source", "versions"),
                        ("id", "title_da", "title_en", "source", "versions"))
        ind_id = body["id"]
        if not isinstance(ind_id, str) or not ind_id.replace("_", "").isalnum() or not ind_id.islower():
            raise nctx.at("id").error(f"an indicator id is lower-case letters, digits and '_'; got "
                                      f"{config_reader.show(ind_id)}", "write e.g. `id: preventable_admissions_elderly`")
        if any(x.id == ind_id for x in indicators):
            raise nctx.at("id").error(f"indicator id {ind_id!r} is used twice", "give each indicator its own id")
        ind = {"id": ind_id,
               "title_da": config_reader.text(nctx.at("title_da"), body["title_da"], "Danish title"),
               "title_en": config_reader.text(nctx.at("title_en"), body["title_en"], "English title"),
               "source": config_reader.text(nctx.at("source"), body["source"], "source")}
        vctx = nctx.at("versions")
        if not isinstance(body["versions"], list) or not body["versions"]:
            raise vctx.error("expected a non-empty list of versions",
                             "write `versions:` followed by `- version: 1` items, the one in force first")
        versions: list[IndicatorVersion] = []
        for j, vraw in enumerate(body["versions"]):
            v = _indicator_version(vctx.at(j), vraw, ind, reader, conditions)
            if any(x.version == v.version for x in versions):
                raise vctx.at(j).at("version").error(f"version {v.version!r} is listed twice",
                                                     "give each version its own number")
            versions.append(v)
        in_force = _values(versions[0])  # the titles state the version in force
        versions = [replace(v, title_da=_fill(nctx.at("title_da"), v.title_da, in_force),
                            title_en=_fill(nctx.at("title_en"), v.title_en, in_force)) for v in versions]
        indicators.append(Indicator(ind_id, versions[0].title_da, versions[0].title_en, ind["source"],
                                    tuple(versions)))

    return IndicatorSet(
        file=str(path), version=version, digest=digest, code_lists=cl_info,
        standard=standards[top["standard_population"]], suppression_threshold=threshold,
        conditions=conditions, indicators=tuple(indicators),
    )
