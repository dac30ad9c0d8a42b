"""Compute the indicators on a snapshot: by municipality and region, per year or month.

    from opspor.monitor.indicators import compute
    table = compute(con, by="municipality", period="year", outside_region=True)
    for row in table.rows: ...          # IndicatorRow: aggregates only, never a person

Each indicator version runs one query (:mod:`opspor.monitor.indicator_sql`) returning counts per
age band; this module adds them up per municipality and region, computes the crude figure and
the directly age-standardised one (:mod:`opspor.monitor.rates`) and, for output meant for
outside the region, suppresses small numbers (:mod:`opspor.monitor.suppression`).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from opspor import reference as ref
from opspor.engines import Engine
from opspor.monitor import indicator_sql, rates, suppression
from opspor.monitor.definitions import IndicatorSet, IndicatorVersion, load_indicators
from opspor.monitor.errors import MonitorError

LEVELS = ("municipality", "region")


class IndicatorError(MonitorError):
    """Bad input to an indicator computation; the message says what to change."""


@dataclass(frozen=True)
class IndicatorRow:
    indicator_id: str
    indicator_version: str
    title_da: str
    title_en: str
    label_da: str
    label_en: str
    kind: str
    unit_da: str
    unit_en: str
    per: int
    level: str  # municipality | region
    unit_code: str  # municipality or region code
    unit_name: str
    region_code: str
    period: str  # "2024" or "2024-03"
    period_start: dt.date
    period_end: dt.date  # excluded
    numerator: float | None
    count: float | None
    denominator: float | None
    crude: float | None
    crude_low: float | None
    crude_high: float | None
    standardised: float | None
    standardised_low: float | None
    standardised_high: float | None
    standard_population: str
    extra: float | None  # value: contacts without a value; proportion: discharges not followed 30 days
    period_complete: bool  # the data cover the whole period
    lookback_complete: bool  # the data reach back over the condition's whole look-back
    lookback_missing_days: int = 0  # days of the look-back before the data begin: not reported
    suppressed: bool = False
    suppression_reason: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


COLUMNS = tuple(IndicatorRow.__dataclass_fields__)
NOT_REPORTED = suppression.FIGURES


@dataclass
class IndicatorTable:
    rows: list[IndicatorRow]
    snapshot_id: str | None
    config: dict
    data_start: dt.datetime  # the first contact start
    data_end: dt.datetime  # the last contact start
    outside_region: bool
    threshold: int
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def select(self, indicator_id: str, version: str | None = None, level: str | None = None,
               unit_code: str | None = None) -> list[IndicatorRow]:
        return [r for r in self.rows if r.indicator_id == indicator_id
                and (version is None or r.indicator_version == str(version))
                and (level is None or r.level == level)
                and (unit_code is None or r.unit_code == unit_code)]


def _names() -> tuple[dict[str, str], dict[str, str]]:
    munis = {m.code: m.name for m in ref.municipalities()}
    regions = {r.code: r.name for r in ref.regions()}
    return munis, regions


def _periods(kind: str, first: int, last: int) -> list[indicator_sql.Period]:
    return indicator_sql.years(first, last) if kind == "year" else indicator_sql.months(first, last)


def snapshot_id(engine: Engine) -> str | None:
    if engine.snapshot_id is not None:
        return engine.snapshot_id
    try:
        return engine.row("SELECT snapshot_id FROM _meta")[0]
    except Exception:  # noqa: BLE001 - a database without _meta (tests' populate) names none
        return None


def from_synthetic_drop(con: Engine) -> bool:
    """Was the snapshot loaded from an ``opspor synth`` drop (its truth/manifest.json says so)?"""
    try:
        paths = [r[0] for r in con.rows("SELECT drop_path FROM _loads")]
    except Exception:  # noqa: BLE001
        return False
    for p in paths:
        manifest = Path(p) / "truth" / "manifest.json"
        try:
            if json.loads(manifest.read_text()).get("generator") == "opspor synth":
                return True
        except (OSError, ValueError):
            continue
    return False


def compute(
    con: Engine,
    *,
    by: str | tuple[str, ...] = LEVELS,
    period: str = "year",
    indicators: list[str] | None = None,
    first_year: int | None = None,
    last_year: int | None = None,
    region: str | None = None,
    outside_region: bool = False,
    threshold: int | None = None,
    config: IndicatorSet | None = None,
    all_versions: bool = True,
) -> IndicatorTable:
    """The indicators on the snapshot of the engine ``con``.

    ``by``: ``municipality``, ``region`` or both; ``period``: ``year`` or ``month`` (versions
    that are not defined per month are left out of a monthly table); years default to those
    the data cover. ``region`` keeps one region's persons. ``outside_region`` suppresses small
    numbers (``threshold``, default from the configuration).
    """
    t0 = time.perf_counter()
    cfg = config or load_indicators()
    levels = (by,) if isinstance(by, str) else tuple(by)
    for level in levels:
        if level not in LEVELS:
            raise IndicatorError(f"--by {level!r}: use municipality or region")
    if period not in indicator_sql.PERIOD_KINDS:
        raise IndicatorError(f"--period {period!r}: use year or month")
    try:
        versions = [v for v in cfg.versions(indicators, all_versions) if period in v.periods]
    except KeyError as error:
        raise IndicatorError(str(error.args[0])) from None
    if region is not None and region not in {r.code for r in ref.regions()}:
        raise IndicatorError(f"unknown region {region!r}; use one of "
                             f"{', '.join(r.code for r in ref.regions())}")
    threshold = cfg.suppression_threshold if threshold is None else threshold
    if threshold < 1:
        raise IndicatorError("the suppression threshold must be at least 1")
    data_start, data_end, latest = con.row(indicator_sql.bounds_sql())
    if data_start is None:
        raise IndicatorError("the snapshot has no contacts: nothing to compute")
    first = first_year if first_year is not None else data_start.year
    last = last_year if last_year is not None else data_end.year
    if first > last:
        raise IndicatorError(f"the first year {first} is after the last year {last}")
    periods = _periods(period, first, last)
    munis, region_names = _names()

    rows: list[IndicatorRow] = []
    for v in versions:
        query = indicator_sql.indicator_sql(v, periods, cfg.conditions, cfg.standard, latest,
                                            con.dialect)
        result = con.rows(query)
        rows.extend(_aggregate(v, result, periods, levels, cfg, munis, region_names, region,
                               data_start, data_end))
    if outside_region:
        rows = suppression.suppress(rows, threshold)
    rows = [r for r in rows if r.level in levels]
    rows.sort(key=lambda r: (r.indicator_id, -_version_order(r.indicator_version), r.level,
                             r.region_code, r.unit_code, r.period))
    return IndicatorTable(rows, snapshot_id(con), cfg.info, data_start, data_end, outside_region,
                          threshold, time.perf_counter() - t0)


def _version_order(version: str) -> float:
    try:
        return float(version)
    except ValueError:
        return 0.0


def _aggregate(v: IndicatorVersion, result: list[tuple], periods, levels, cfg: IndicatorSet,
               munis: dict, region_names: dict, region: str | None, data_start: dt.datetime,
               data_end: dt.datetime) -> list[IndicatorRow]:
    by_period = {p.label: p for p in periods}
    weights = cfg.standard.weights_for(v.population.min_age, v.population.max_age)
    lookback = max((cfg.conditions[c].lookback_days for c in v.population.condition_any), default=0)
    # (level, unit, region, period) -> band -> [numerator, count, denominator, extra]
    cells: dict[tuple, dict[int, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0.0] * 4))
    for period, muni, reg, band, numerator, count, denominator, extra in result:
        if region is not None and reg != region:
            continue
        values = (float(numerator), float(count), float(denominator), float(extra))
        keys = [("municipality", muni or "", reg or "", period), ("region", reg or "", reg or "", period)]
        for key in keys:
            acc = cells[key][int(band)]
            for i, x in enumerate(values):
                acc[i] += x
    out = []
    for (level, unit, reg, period), bands in cells.items():
        p = by_period[period]
        missing = max(0, (data_start.date() - (p.start - dt.timedelta(days=lookback))).days) if lookback else 0
        numerator = sum(b[0] for b in bands.values())
        count = sum(b[1] for b in bands.values())
        denominator = sum(b[2] for b in bands.values())
        extra = sum(b[3] for b in bands.values())
        crude = rates.crude(v.kind, numerator, count, denominator, v.unit.per)
        std = rates.standardised(v.kind, {b: (x[0], x[2]) for b, x in bands.items()}, weights,
                                 v.unit.per)
        name = munis.get(unit, unit) if level == "municipality" else region_names.get(unit, unit)
        out.append(IndicatorRow(
            indicator_id=v.indicator_id, indicator_version=v.version, title_da=v.title_da,
            title_en=v.title_en, label_da=v.label_da, label_en=v.label_en, kind=v.kind,
            unit_da=v.unit.da, unit_en=v.unit.en, per=v.unit.per, level=level, unit_code=unit,
            unit_name=name, region_code=reg, period=period, period_start=p.start, period_end=p.end,
            numerator=numerator, count=count, denominator=denominator,
            crude=crude.value, crude_low=crude.low, crude_high=crude.high,
            standardised=std.value, standardised_low=std.low, standardised_high=std.high,
            standard_population=cfg.standard.key, extra=extra,
            period_complete=p.start >= data_start.date() and p.end <= data_end.date() + dt.timedelta(days=1),
            lookback_complete=missing == 0, lookback_missing_days=missing,
        ))
    # A population found from diagnoses over a look-back the data do not reach holds only those
    # seen lately, the sickest: its figure would be biased (COPD in a first year: 1,382 admissions
    # per 1,000), so it is not reported; the row stays and says how much data is missing.
    return [r if r.lookback_complete else replace(r, **{k: None for k in NOT_REPORTED}) for r in out]
