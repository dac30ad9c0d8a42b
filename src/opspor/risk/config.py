"""The risk model's configuration: ``features.yaml``, ``outcome.yaml`` and ``model.yaml`` -> frozen
objects, checked on the way in.

The shipped files live in ``risk/config``. ``OPSPOR_RISK_CONFIG`` may name a folder with a
region's own versions of any of the three (a file it lacks is taken from the shipped ones);
:mod:`opspor.risk.settings` reads the three together and checks them against the features.
Every problem raises :class:`RiskConfigError` naming the file, the key (``explain.groups.age``),
what is wrong and the fix, in the style of the rules' loader (``opspor.rules.load``): unknown and
duplicate keys are errors, because a misspelt key must not silently change a model.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from opspor import config_reader
from opspor.rules import concepts as clinical
from opspor.rules.codes import CodeEntryError, CodeList
from opspor.rules.load import RuleConfigError, load_code_lists

CONFIG_DIR = Path(__file__).with_name("config")
CONFIG_ENV = "OPSPOR_RISK_CONFIG"
FEATURES_FILE, OUTCOME_FILE, MODEL_FILE = "features.yaml", "outcome.yaml", "model.yaml"

COUNT_KINDS = (
    "acute_admissions",
    "acute_outpatient",
    "planned_contacts",
    "planned_admissions",
    "bed_days",
    "home_visits",
    "remote_contacts",
)
DEATH_HANDLING = ("competing_risk", "exclude")
CALIBRATION_METHODS = ("sigmoid", "isotonic")
MODEL_KINDS = ("logistic", "boosted")


class RiskConfigError(config_reader.ConfigError):
    """A risk configuration file cannot be used. Says where (file, key), what, and the fix."""


# --------------------------------------------------------------------------- reading


def _read(path: Path) -> tuple[Any, str]:
    return config_reader.read_yaml(path, RiskConfigError)  # duplicate keys refused, sha256


class Ctx(config_reader.Ctx):
    error_class = RiskConfigError


def _mapping(ctx: Ctx, value: Any, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict:
    return config_reader.mapping(ctx, value, allowed, required, docs=f"see the shipped {Path(ctx.file).name}")


def _no_admission_hours(ctx: Ctx, top: dict) -> None:
    if "admission_hours" in top:
        raise ctx.at("admission_hours").error(
            "the length of an admission is defined once, in rules/config/concepts.yaml",
            "remove `admission_hours` here")


def _concept(ctx: Ctx, value: Any) -> str:
    """The name of a contact concept of the shipped concepts.yaml."""
    return config_reader.choice(ctx, value, tuple(clinical.shipped().contacts), "concept")


def _concepts(ctx: Ctx, value: Any) -> tuple[str, ...]:
    """One contact concept, or a list of them (a contact meeting any of them)."""
    if isinstance(value, list):
        return config_reader.choices(ctx, value, tuple(clinical.shipped().contacts),
                                     "[acute_admission, preventable_admission]")
    return (_concept(ctx, value),)


def _int_list(ctx: Ctx, value: Any, minimum: int, example: str) -> tuple[int, ...]:
    if not isinstance(value, list) or not value:
        raise ctx.error(f"expected a non-empty list of whole numbers, got {config_reader.show(value)}",
                        f"write e.g. `{example}`")
    out = tuple(config_reader.integer(ctx.at(i), v, minimum, example) for i, v in enumerate(value))
    if list(out) != sorted(set(out)):
        raise ctx.error("the numbers must be increasing, each once", f"write e.g. `{example}`")
    return out


# --------------------------------------------------------------------------- features.yaml


@dataclass(frozen=True)
class ConditionGroup:
    name: str
    codes: CodeList  # entries and the prefixes they match
    da: str
    en: str


@dataclass(frozen=True)
class ExplainText:
    when: str | None  # `name` (value > 0) or `name=value` (a category); None: always
    da: str
    en: str


@dataclass(frozen=True)
class ExplainGroup:
    name: str
    features: tuple[str, ...]  # names or `prefix_*` patterns, as written
    texts: tuple[ExplainText, ...]


@dataclass(frozen=True)
class FeatureConfig:
    file: str
    version: str
    digest: str
    admission_hours: int
    windows_days: tuple[int, ...]
    counts: tuple[str, ...]
    recency_decay_days: tuple[int, ...]
    readmission_within_days: int
    readmission_window_days: int
    departments_window_days: int
    condition_window_days: int
    conditions: tuple[ConditionGroup, ...]
    explain_top: int
    explain_groups: tuple[ExplainGroup, ...]
    code_lists_digest: str = ""
    concepts_digest: str = ""

    @property
    def history_days(self) -> int:
        """The longest look-back: how much history before an as-of date the features read."""
        return max(*self.windows_days, self.readmission_window_days,
                   self.departments_window_days, self.condition_window_days)


def load_features(path: Path) -> FeatureConfig:
    data, digest = _read(path)
    ctx = Ctx(str(path))
    keys = ("version", "windows_days", "counts", "recency", "readmissions", "departments",
            "conditions", "explain")
    top = _mapping(ctx, data, keys + ("admission_hours",), keys)
    _no_admission_hours(ctx, top)
    version = config_reader.version(ctx.at("version"), top["version"])
    concepts = clinical.shipped()
    windows = _int_list(ctx.at("windows_days"), top["windows_days"], 1, "windows_days: [30, 91, 182, 365]")
    cctx = ctx.at("counts")
    if not isinstance(top["counts"], list) or not top["counts"]:
        raise cctx.error(f"expected a non-empty list, got {config_reader.show(top['counts'])}",
                         f"write e.g. `counts: [acute_admissions]`; allowed: {', '.join(COUNT_KINDS)}")
    counts = []
    for i, kind in enumerate(top["counts"]):
        counts.append(config_reader.choice(cctx.at(i), kind, COUNT_KINDS))
        if counts.count(kind) > 1:
            raise cctx.at(i).error(f"{kind!r} is listed twice", "list each count once")
    rctx = ctx.at("recency")
    recency = _mapping(rctx, top["recency"], ("decay_days",), ("decay_days",))
    decays = _int_list(rctx.at("decay_days"), recency["decay_days"], 1, "decay_days: [25, 91]")
    actx = ctx.at("readmissions")
    readm = _mapping(actx, top["readmissions"], ("concept", "window_days"), ("concept", "window_days"))
    readmission = _concept(actx.at("concept"), readm["concept"])
    if concepts[readmission].any_of[0].preceded_by is None:
        raise actx.at("concept").error(f"the concept {readmission!r} is not preceded by an earlier contact",
                                       "write `concept: readmission`")
    dctx = ctx.at("departments")
    depts = _mapping(dctx, top["departments"], ("window_days",), ("window_days",))
    conditions, cl_digest, cwindow = _conditions(ctx.at("conditions"), top["conditions"], path)
    ectx = ctx.at("explain")
    explain = _mapping(ectx, top["explain"], ("top", "groups"), ("top", "groups"))
    groups = _explain_groups(ectx.at("groups"), explain["groups"])
    return FeatureConfig(
        file=str(path),
        version=version,
        digest=digest,
        admission_hours=concepts.admission_hours,
        windows_days=windows,
        counts=tuple(counts),
        recency_decay_days=decays,
        readmission_within_days=concepts.within_days(readmission),
        readmission_window_days=config_reader.integer(actx.at("window_days"), readm["window_days"], 1, "window_days: 365"),
        departments_window_days=config_reader.integer(dctx.at("window_days"), depts["window_days"], 1, "window_days: 365"),
        condition_window_days=cwindow,
        conditions=conditions,
        explain_top=config_reader.integer(ectx.at("top"), explain["top"], 1, "top: 3"),
        explain_groups=groups,
        code_lists_digest=cl_digest,
        concepts_digest=concepts.digest,
    )


def _conditions(ctx: Ctx, value: Any, path: Path) -> tuple[tuple[ConditionGroup, ...], str, int]:
    body = _mapping(ctx, value, ("window_days", "code_lists", "groups"), ("window_days", "groups"))
    window = config_reader.integer(ctx.at("window_days"), body["window_days"], 1, "window_days: 365")
    code_lists = None
    cl_digest = ""
    if "code_lists" in body:
        name = config_reader.text(ctx.at("code_lists"), body["code_lists"], "file name")
        cl_path = (path.parent / name).resolve()
        if not cl_path.is_file() and path.parent != CONFIG_DIR:  # a region's folder: shipped lists
            cl_path = (CONFIG_DIR / name).resolve()
        if not cl_path.is_file():
            raise ctx.at("code_lists").error(f"no file {name!r} relative to {path.parent}",
                                             "name the rules' code_lists.yaml by a relative path")
        try:
            code_lists = load_code_lists(cl_path)
        except RuleConfigError as exc:
            raise ctx.at("code_lists").error(f"the code lists cannot be read: {exc}",
                                             "correct the code-list file") from None
        cl_digest = code_lists.digest
    gctx = ctx.at("groups")
    if not isinstance(body["groups"], dict) or not body["groups"]:
        raise gctx.error("expected a mapping of condition names to groups",
                         "write `copd: {codes: [DJ44], da: KOL, en: COPD}`")
    groups = []
    for name, raw in body["groups"].items():
        c = gctx.at(str(name))
        config_reader.ident(c, name, "condition name")
        g = _mapping(c, raw, ("codes", "code_list", "da", "en"), ("da", "en"))
        if ("codes" in g) == ("code_list" in g):
            raise c.error("a condition needs exactly one of `codes:` or `code_list:`",
                          "write `codes: [DJ44]` or `code_list: aps_exclusion_dementia`")
        if "codes" in g:
            entries = g["codes"]
            if not isinstance(entries, list) or not entries:
                raise c.at("codes").error(f"expected a non-empty list of codes, got {config_reader.show(entries)}",
                                          "write e.g. `codes: [DJ44]`")
            try:
                codes = CodeList.from_entries(f"risk_{name}", [str(e) if isinstance(e, int) else e
                                                               for e in entries], source=str(path))
            except CodeEntryError as exc:
                raise c.at("codes").error(str(exc), exc.fix) from None
        else:
            codes = _code_list(c.at("code_list"), g["code_list"], code_lists)
        groups.append(ConditionGroup(name, codes, config_reader.text(c.at("da"), g["da"]), config_reader.text(c.at("en"), g["en"])))
    return tuple(groups), cl_digest, window


def _code_list(ctx: Ctx, value: Any, code_lists) -> CodeList:
    if code_lists is None:
        raise ctx.error("`code_list:` needs the conditions' `code_lists:` file",
                        "add `code_lists: ../../rules/config/code_lists.yaml` under `conditions:`")
    ref = config_reader.text(ctx, value, "code-list name")
    name, _, group = ref.partition(".")
    if name not in code_lists.lists:
        close = difflib.get_close_matches(name, list(code_lists.lists), n=1)
        hint = f"did you mean `{close[0]}`? " if close else ""
        raise ctx.error(f"no code list named {name!r} in {code_lists.file}",
                        f"{hint}use one of: {', '.join(code_lists.lists)}")
    found = code_lists.lists[name]
    if not group:
        return found
    labels = dict(found.groups)
    if group not in labels:
        raise ctx.error(f"the code list {name!r} has no group {group!r}",
                        f"use one of: {', '.join(f'{name}.{g}' for g in labels) or name}")
    return CodeList.from_entries(ref, labels[group], source=found.source)


def _explain_groups(ctx: Ctx, value: Any) -> tuple[ExplainGroup, ...]:
    if not isinstance(value, dict) or not value:
        raise ctx.error("expected a mapping of group names to groups",
                        "write `age: {features: [age], texts: [{da: '{age} år', en: 'aged {age}'}]}`")
    groups = []
    for name, raw in value.items():
        c = ctx.at(str(name))
        config_reader.ident(c, name, "group name")
        g = _mapping(c, raw, ("features", "texts"), ("features", "texts"))
        fctx = c.at("features")
        if not isinstance(g["features"], list) or not g["features"]:
            raise fctx.error("expected a non-empty list of feature names", "write e.g. `features: [age]`")
        features = tuple(config_reader.text(fctx.at(i), f, "feature name") for i, f in enumerate(g["features"]))
        tctx = c.at("texts")
        if not isinstance(g["texts"], list):  # an empty list: measured, never named
            raise tctx.error("expected a list of texts (empty: the group is never named)",
                             "write e.g. `texts: [{da: '{age} år', en: 'aged {age}'}]`")
        texts = []
        for i, t in enumerate(g["texts"]):
            t = _mapping(tctx.at(i), t, ("when", "da", "en"), ("da", "en"))
            when = config_reader.text(tctx.at(i).at("when"), t["when"], "condition") if "when" in t else None
            texts.append(ExplainText(when, config_reader.text(tctx.at(i).at("da"), t["da"]),
                                     config_reader.text(tctx.at(i).at("en"), t["en"])))
        groups.append(ExplainGroup(str(name), features, tuple(texts)))
    return tuple(groups)


# --------------------------------------------------------------------------- outcome.yaml


@dataclass(frozen=True)
class OutcomeConfig:
    file: str
    version: str
    digest: str
    horizon: str  # the name, e.g. "6m"
    horizons_days: dict[str, int] = field(hash=False)
    concepts: tuple[str, ...]  # the event: a contact meeting any of these concepts of concepts.yaml
    deaths: str

    @property
    def concept(self) -> str:
        """The event's concepts as one name (``acute_admission``, or ``a | b`` for several)."""
        return " | ".join(self.concepts)

    @property
    def admission_hours(self) -> int:
        return clinical.shipped().admission_hours

    @property
    def horizon_days(self) -> int:
        return self.horizons_days[self.horizon]

    def with_horizon(self, name: str) -> OutcomeConfig:
        if name not in self.horizons_days:
            raise RiskConfigError(self.file, "horizon", f"unknown horizon {name!r}",
                                  f"use one of: {', '.join(self.horizons_days)}")
        return replace(self, horizon=name)

    def describe(self) -> dict:
        return {"horizon": self.horizon, "horizon_days": self.horizon_days, "concept": self.concept,
                "admission_hours": self.admission_hours, "deaths": self.deaths,
                "version": self.version, "sha256": self.digest}


def load_outcome(path: Path) -> OutcomeConfig:
    data, digest = _read(path)
    ctx = Ctx(str(path))
    keys = ("version", "horizon", "horizons_days", "concept", "deaths")
    top = _mapping(ctx, data, keys + ("admission_hours",), keys)
    _no_admission_hours(ctx, top)
    hctx = ctx.at("horizons_days")
    if not isinstance(top["horizons_days"], dict) or not top["horizons_days"]:
        raise hctx.error("expected a mapping of horizon names to days", "write `horizons_days: {6m: 182}`")
    horizons = {}
    for name, days in top["horizons_days"].items():
        horizons[str(name)] = config_reader.integer(hctx.at(str(name)), days, 1, "6m: 182")
    horizon = config_reader.choice(ctx.at("horizon"), str(top["horizon"]), tuple(horizons))
    return OutcomeConfig(
        file=str(path),
        version=config_reader.version(ctx.at("version"), top["version"]),
        digest=digest,
        horizon=horizon,
        horizons_days=horizons,
        concepts=_concepts(ctx.at("concept"), top["concept"]),
        deaths=config_reader.choice(ctx.at("deaths"), top["deaths"], DEATH_HANDLING),
    )


# --------------------------------------------------------------------------- model.yaml

_LOGISTIC = {"C": ("number", 1e-6, 1e6, "C: 0.5"), "max_iter": ("int", 10, 100_000, "max_iter: 3000")}
_BOOSTED = {
    "learning_rate": ("number", 0.0, 1.0, "learning_rate: 0.05"),
    "max_iter": ("int", 1, 100_000, "max_iter: 600"),
    "max_leaf_nodes": ("int", 2, 100_000, "max_leaf_nodes: 31"),
    "min_samples_leaf": ("int", 1, 10_000_000, "min_samples_leaf: 200"),
    "l2_regularization": ("number", 0.0, 1e6, "l2_regularization: 1.0"),
    "max_bins": ("int", 2, 255, "max_bins: 255"),
    "early_stopping": ("bool", 0, 0, "early_stopping: true"),
    "validation_fraction": ("number", 0.0, 0.5, "validation_fraction: 0.1"),
    "n_iter_no_change": ("int", 1, 10_000, "n_iter_no_change: 30"),
}


@dataclass(frozen=True)
class ModelConfig:
    file: str
    version: str
    digest: str
    max_train_dates: int
    gap_days: int
    calibration_share: float
    negative_share: float
    seed: int
    calibration_method: str
    logistic: dict = field(hash=False)
    boosted: dict = field(hash=False)
    select: str
    bootstrap: int
    confidence: float
    top_shares: tuple[float, ...]
    calibration_bins: int
    age_bands: tuple[int, ...]
    explain_share: float
    explain_min_per_region: int


def _params(ctx: Ctx, value: Any, spec: dict) -> dict:
    body = _mapping(ctx, value, tuple(spec), tuple(spec))
    out = {}
    for key, (kind, low, high, example) in spec.items():
        if kind == "int":
            out[key] = config_reader.integer(ctx.at(key), body[key], int(low), example)
            if out[key] > high:
                raise ctx.at(key).error(f"must be at most {high}, got {out[key]}", f"write e.g. `{example}`")
        elif kind == "bool":
            out[key] = config_reader.boolean(ctx.at(key), body[key])
        else:
            out[key] = config_reader.number(ctx.at(key), body[key], example, low, high,
                                            low_open=low == 0.0 and key == "learning_rate")
    return out


def load_model(path: Path) -> ModelConfig:
    data, digest = _read(path)
    ctx = Ctx(str(path))
    keys = ("version", "training", "calibration", "models", "select", "evaluation", "scoring")
    top = _mapping(ctx, data, keys, keys)
    tctx = ctx.at("training")
    tkeys = ("max_train_dates", "gap_days", "calibration_share", "negative_share", "seed")
    training = _mapping(tctx, top["training"], tkeys, tkeys)
    cctx = ctx.at("calibration")
    calibration = _mapping(cctx, top["calibration"], ("method",), ("method",))
    mctx = ctx.at("models")
    models = _mapping(mctx, top["models"], MODEL_KINDS, MODEL_KINDS)
    ectx = ctx.at("evaluation")
    ekeys = ("bootstrap", "confidence", "top_shares", "calibration_bins", "age_bands")
    evaluation = _mapping(ectx, top["evaluation"], ekeys, ekeys)
    sctx = ctx.at("scoring")
    skeys = ("explain_share", "explain_min_per_region")
    scoring = _mapping(sctx, top["scoring"], skeys, skeys)
    shares_ctx = ectx.at("top_shares")
    shares = evaluation["top_shares"]
    if not isinstance(shares, list) or not shares:
        raise shares_ctx.error(f"expected a non-empty list of shares, got {config_reader.show(shares)}",
                               "write e.g. `top_shares: [0.01, 0.02, 0.05]`")
    top_shares = tuple(config_reader.number(shares_ctx.at(i), s, "0.01", 0.0, 1.0, low_open=True)
                       for i, s in enumerate(shares))
    return ModelConfig(
        file=str(path),
        version=config_reader.version(ctx.at("version"), top["version"]),
        digest=digest,
        max_train_dates=config_reader.integer(tctx.at("max_train_dates"), training["max_train_dates"], 1, "max_train_dates: 6"),
        gap_days=config_reader.integer(tctx.at("gap_days"), training["gap_days"], 0, "gap_days: 0"),
        calibration_share=config_reader.number(tctx.at("calibration_share"), training["calibration_share"],
                                               "calibration_share: 0.25", 0.0, 0.9, low_open=True),
        negative_share=config_reader.number(tctx.at("negative_share"), training["negative_share"],
                                            "negative_share: 0.3", 0.0, 1.0, low_open=True),
        seed=config_reader.integer(tctx.at("seed"), training["seed"], 0, "seed: 1"),
        calibration_method=config_reader.choice(cctx.at("method"), calibration["method"], CALIBRATION_METHODS),
        logistic=_params(mctx.at("logistic"), models["logistic"], _LOGISTIC),
        boosted=_params(mctx.at("boosted"), models["boosted"], _BOOSTED),
        select=config_reader.choice(ctx.at("select"), top["select"], MODEL_KINDS),
        bootstrap=config_reader.integer(ectx.at("bootstrap"), evaluation["bootstrap"], 0, "bootstrap: 200"),
        confidence=config_reader.number(ectx.at("confidence"), evaluation["confidence"], "confidence: 0.95",
                                        0.5, 0.999),
        top_shares=top_shares,
        calibration_bins=config_reader.integer(ectx.at("calibration_bins"), evaluation["calibration_bins"], 2, "calibration_bins: 10"),
        age_bands=_int_list(ectx.at("age_bands"), evaluation["age_bands"], 0, "age_bands: [0, 18, 65]"),
        explain_share=config_reader.number(sctx.at("explain_share"), scoring["explain_share"],
                                           "explain_share: 0.05", 0.0, 1.0),
        explain_min_per_region=config_reader.integer(sctx.at("explain_min_per_region"), scoring["explain_min_per_region"], 0,
                                    "explain_min_per_region: 1000"),
    )
