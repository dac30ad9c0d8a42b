"""Targets: baseline, target year, yearly path, rebasing, and actual against target.

    targets = load_targets()
    rows = evaluate(targets, table)          # table: opspor.monitor.indicators.compute(...)
    rows[0].status                           # on_track | off_track | no_data | no_target

The path value of a year is the baseline in the baseline year, the given path value, the target
in the target year, a straight line between given points where a year is missing, and the
target value after the target year (``after_target_year`` says so). Before the baseline year
there is no target.

Rebasing (seed 003:3395-3403): when an indicator's definition changes, the new target keeps the
same percentage development from the baseline: ``new = new_baseline * old_value /
old_baseline`` for the target and for every path value (``relative``). ``absolute`` keeps the same
point difference instead (the seed's employment targets); ``manual`` records a target set by
judgement — :func:`rebase` then still tells what the rule would have given.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from opspor import config_reader
from opspor.i18n import gettext_lazy as _
from opspor.i18n import translate_all
from opspor.monitor.definitions import ConfigError, load_indicators

CONFIG_FILE = Path(__file__).with_name("config") / "targets.yaml"
DIRECTIONS = ("lower", "higher")
COMPARE = ("crude", "standardised")
METHODS = ("relative", "absolute", "manual")

ON_TRACK, OFF_TRACK, NO_DATA, NO_TARGET = "on_track", "off_track", "no_data", "no_target"
STATUSES = {ON_TRACK: _("on track"), OFF_TRACK: _("off track"), NO_DATA: _("no data"), NO_TARGET: _("no target")}


def status_labels(lang: str) -> dict[str, str]:
    """The target statuses' labels in ``lang``."""
    return translate_all(STATUSES, lang)


@dataclass(frozen=True)
class Path_:
    """Baseline, target and the given path values (year -> value)."""

    baseline_year: int
    baseline: float
    target_year: int
    target: float
    points: tuple[tuple[int, float], ...]  # given path values, sorted, without baseline/target

    def value(self, year: int) -> tuple[float | None, bool]:
        """(path value for ``year``, after the target year?)."""
        if year < self.baseline_year:
            return None, False
        if year >= self.target_year:
            return self.target, year > self.target_year
        known = dict([(self.baseline_year, self.baseline), *self.points, (self.target_year, self.target)])
        if year in known:
            return known[year], False
        years = sorted(known)
        lo = max(y for y in years if y < year)
        hi = min(y for y in years if y > year)
        return known[lo] + (known[hi] - known[lo]) * (year - lo) / (hi - lo), False

    def years(self) -> list[int]:
        return list(range(self.baseline_year, self.target_year + 1))


@dataclass(frozen=True)
class Rebasing:
    indicator_version: str
    path: Path_
    method: str
    reason: str
    source: str


@dataclass(frozen=True)
class Target:
    id: str
    indicator: str
    indicator_version: str
    region: str
    direction: str
    compare: str
    title_da: str
    title_en: str
    path: Path_
    source: str
    rebased_from: Rebasing | None = None
    replaces: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class TargetSet:
    file: str
    version: str
    digest: str
    tolerance: float
    targets: tuple[Target, ...]

    def get(self, target_id: str) -> Target:
        for t in self.targets:
            if t.id == target_id:
                return t
        raise KeyError(f"no target {target_id!r}; targets: {', '.join(t.id for t in self.targets)}")


# --------------------------------------------------------------------------- rebasing


def rebase(old: Path_, new_baseline: float, method: str = "relative",
           new_baseline_year: int | None = None) -> Path_:
    """The path of a new definition whose baseline is ``new_baseline``, by the rule ``method``
    (``relative``: same percentage development; ``absolute``: same point difference)."""
    if method not in ("relative", "absolute"):
        raise ValueError(f"rebase method {method!r}: use relative or absolute")
    if method == "relative" and old.baseline == 0:
        raise ValueError("a relative rebase needs an old baseline other than 0")

    def move(value: float) -> float:
        if method == "relative":
            return new_baseline * value / old.baseline
        return new_baseline + (value - old.baseline)

    return Path_(new_baseline_year or old.baseline_year, new_baseline, old.target_year,
                 move(old.target), tuple((y, move(v)) for y, v in old.points))


def rule_rebased(target: Target) -> Path_ | None:
    """What the seed's rule (same percentage development) gives for a rebased target."""
    if target.rebased_from is None:
        return None
    return rebase(target.rebased_from.path, target.path.baseline, "relative", target.path.baseline_year)


# --------------------------------------------------------------------------- status


@dataclass(frozen=True)
class TargetStatus:
    target_id: str
    indicator_id: str
    indicator_version: str
    region: str
    year: int
    path_value: float | None
    after_target_year: bool
    actual: float | None
    actual_low: float | None
    actual_high: float | None
    compare: str
    status: str
    difference: float | None  # actual - path
    difference_share: float | None  # (actual - path) / path
    suppressed: bool = False
    period_complete: bool = True


def status_of(target: Target, actual: float | None, path_value: float | None, tolerance: float) -> str:
    if path_value is None:
        return NO_TARGET
    if actual is None:
        return NO_DATA
    if target.direction == "lower":
        return ON_TRACK if actual <= path_value * (1 + tolerance) else OFF_TRACK
    return ON_TRACK if actual >= path_value * (1 - tolerance) else OFF_TRACK


def evaluate(targets: TargetSet, table, years: list[int] | None = None,
             tolerance: float | None = None) -> list[TargetStatus]:
    """Each target against the region rows of an indicator table (year periods)."""
    tol = targets.tolerance if tolerance is None else tolerance
    out = []
    for t in targets.targets:
        rows = {int(r.period): r for r in table.rows
                if r.indicator_id == t.indicator and r.indicator_version == t.indicator_version
                and r.level == "region" and r.unit_code == t.region and len(r.period) == 4}
        wanted = sorted(set(years) if years else set(rows) | set(t.path.years()))
        for year in wanted:
            path_value, after = t.path.value(year)
            r = rows.get(year)
            if r is None:
                actual = low = high = None
            elif t.compare == "crude":
                actual, low, high = r.crude, r.crude_low, r.crude_high
            else:
                actual, low, high = r.standardised, r.standardised_low, r.standardised_high
            st = status_of(t, actual, path_value, tol)
            diff = None if actual is None or path_value is None else actual - path_value
            out.append(TargetStatus(
                t.id, t.indicator, t.indicator_version, t.region, year, path_value, after,
                actual, low, high, t.compare, st, diff,
                None if diff is None or not path_value else diff / path_value,
                suppressed=bool(r and r.suppressed), period_complete=bool(r.period_complete) if r else True,
            ))
    return out


# --------------------------------------------------------------------------- loading


def _point(ctx: config_reader.Ctx, value: Any, example: str) -> tuple[int, float]:
    body = config_reader.mapping(ctx, value, ("year", "value"), ("year", "value"))
    return (config_reader.integer(ctx.at("year"), body["year"], 1900, "year: 2018"),
            config_reader.number(ctx.at("value"), body["value"], example))


def _path(ctx: config_reader.Ctx, body: dict) -> Path_:
    by, bv = _point(ctx.at("baseline"), body["baseline"], "value: 60.1")
    ty, tv = _point(ctx.at("target"), body["target"], "value: 55")
    if ty <= by:
        raise ctx.at("target").at("year").error(
            f"the target year {ty} is not after the baseline year {by}", "give a later target year")
    points = []
    raw = body.get("path") or {}
    pctx = ctx.at("path")
    if not isinstance(raw, dict):
        raise pctx.error(f"expected year: value pairs, got {config_reader.show(raw)}", "write e.g. `path: {2019: 59.0}`")
    for year, value in raw.items():
        yctx = pctx.at(str(year))
        if isinstance(year, bool) or not isinstance(year, int) or not by < year < ty:
            raise yctx.error(f"a path year must be a year between {by} and {ty}, got {config_reader.show(year)}",
                             f"write years {by + 1}-{ty - 1} as `{by + 1}: value`")
        points.append((year, config_reader.number(yctx, value, f"{year}: 59.0")))
    return Path_(by, bv, ty, tv, tuple(sorted(points)))


_TARGET_KEYS = ("id", "indicator", "indicator_version", "region", "direction", "compare", "title_da",
                "title_en", "baseline", "target", "path", "source", "rebased_from", "replaces", "note")
_TARGET_REQUIRED = ("id", "indicator", "indicator_version", "region", "direction", "title_da",
                    "title_en", "baseline", "target", "source")


def load_targets(path: str | Path | None = None, indicators=None) -> TargetSet:
    """Read and check a targets file (default: the shipped one) against the indicators."""
    path = Path(path) if path is not None else CONFIG_FILE
    data, digest = config_reader.read_yaml(path)
    ctx = config_reader.Ctx(str(path))
    top = config_reader.mapping(ctx, data, ("version", "tolerance", "targets"), ("version", "targets"))
    version = config_reader.version(ctx.at("version"), top["version"])
    tolerance = config_reader.number(ctx.at("tolerance"), top.get("tolerance", 0.0), "tolerance: 0.02")
    if not 0 <= tolerance < 1:
        raise ctx.at("tolerance").error(f"must be 0 or more and below 1, got {tolerance}",
                                        "write e.g. `tolerance: 0.02` (2 %)")
    inds = indicators or load_indicators()
    from opspor import reference as ref

    regions = tuple(r.code for r in ref.regions())
    tctx = ctx.at("targets")
    if not isinstance(top["targets"], list) or not top["targets"]:
        raise tctx.error("expected a non-empty list of targets", "write `targets:` followed by `- id: ...`")
    targets: list[Target] = []
    for i, raw in enumerate(top["targets"]):
        ictx = tctx.at(i)
        body = config_reader.mapping(ictx, raw, _TARGET_KEYS, _TARGET_REQUIRED)
        tid = config_reader.text(ictx.at("id"), body["id"], "id")
        if any(t.id == tid for t in targets):
            raise ictx.at("id").error(f"target id {tid!r} is used twice", "give each target its own id")
        try:
            indicator = inds.get(body["indicator"])
        except KeyError as error:
            raise ictx.at("indicator").error(str(error.args[0]), "name an indicator of indicators.yaml") from None
        ver = config_reader.version(ictx.at("indicator_version"), body["indicator_version"])
        known = [v.version for v in indicator.versions]
        if ver not in known:
            raise ictx.at("indicator_version").error(
                f"indicator {indicator.id} has no version {ver!r}", f"write one of: {', '.join(known)}")
        region = config_reader.choice(ictx.at("region"), str(body["region"]), regions)
        rebased = None
        if "rebased_from" in body:
            rctx = ictx.at("rebased_from")
            rb = config_reader.mapping(rctx, body["rebased_from"], ("indicator_version", "baseline", "target", "path",
                                                        "method", "reason", "source"),
                          ("indicator_version", "baseline", "target", "method", "source"))
            old_ver = config_reader.version(rctx.at("indicator_version"), rb["indicator_version"])
            if old_ver not in known:
                raise rctx.at("indicator_version").error(
                    f"indicator {indicator.id} has no version {old_ver!r}", f"write one of: {', '.join(known)}")
            rebased = Rebasing(old_ver, _path(rctx, rb), config_reader.choice(rctx.at("method"), rb["method"], METHODS),
                               config_reader.text(rctx.at("reason"), rb["reason"], "reason") if "reason" in rb else "",
                               config_reader.text(rctx.at("source"), rb["source"], "source"))
        replaces = body.get("replaces") or []
        if not isinstance(replaces, list) or not all(isinstance(x, str) for x in replaces):
            raise ictx.at("replaces").error(f"expected a list of target ids, got {config_reader.show(replaces)}",
                                            "write e.g. `replaces: [acute_admissions_copd_2023]`")
        targets.append(Target(
            id=tid, indicator=indicator.id, indicator_version=ver, region=region,
            direction=config_reader.choice(ictx.at("direction"), body["direction"], DIRECTIONS),
            compare=config_reader.choice(ictx.at("compare"), body.get("compare", "crude"), COMPARE),
            title_da=config_reader.text(ictx.at("title_da"), body["title_da"], "Danish title"),
            title_en=config_reader.text(ictx.at("title_en"), body["title_en"], "English title"),
            path=_path(ictx, body), source=config_reader.text(ictx.at("source"), body["source"], "source"),
            rebased_from=rebased, replaces=tuple(replaces),
            note=config_reader.text(ictx.at("note"), body["note"], "note") if "note" in body else "",
        ))
    ids = {t.id for t in targets}
    for i, t in enumerate(targets):
        for j, other in enumerate(t.replaces):
            if other not in ids:
                raise tctx.at(i).at("replaces").at(j).error(f"no target {other!r}", "name a target of this file")
    return TargetSet(str(path), version, digest, tolerance, tuple(targets))


def with_path(target: Target, path: Path_) -> Target:
    return replace(target, path=path)


__all__ = [
    "ConfigError",
    "Target",
    "TargetSet",
    "TargetStatus",
    "evaluate",
    "load_targets",
    "rebase",
    "rule_rebased",
    "status_of",
]
