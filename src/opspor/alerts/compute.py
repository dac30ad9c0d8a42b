"""Compute the data alerts of one or more months on a snapshot.

    from opspor.alerts import compute, load_config
    table = compute(con, months=["2024-11"])
    for r in table.results: ...        # AlertResult: one unit in one month, aggregates only

One query counts, per month, region, municipality, GP practice, sex and age band, the population
at the month's first day and how many of them are *patients with repeated acute contacts* in the
month: the monitoring indicator's own population filter and episode SQL
(:func:`opspor.monitor.indicator_sql.episode_ctes`), so an alert and the indicator count the same
patients. Python then makes the reference rates (the region, same month, per sex x age band), the
expected count of every unit (indirect standardisation), the exact Poisson test, the adjusted
p-values per (month, unit kind) and the alert flag (:mod:`opspor.alerts.stats`).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from opspor import dates
from opspor import reference as ref
from opspor.alerts import stats
from opspor.alerts.errors import AlertError
from opspor.alerts.settings import AlertConfig, load_config
from opspor.engines import Engine
from opspor.monitor import indicator_sql
from opspor.monitor.definitions import IndicatorVersion, load_indicators
from opspor.monitor.indicators import snapshot_id
from opspor.rules.sql import Dialect

UNIT_COLUMNS = {"municipality": "municipality_code", "gp_practice": "gp_provider_number"}


@dataclass(frozen=True)
class AlertResult:
    month: str  # YYYY-MM
    region_code: str
    unit_kind: str  # municipality | gp_practice
    unit_code: str
    unit_name: str
    population: int  # persons in the unit at the month's first day
    observed: int  # of them, patients with repeated acute contacts in the month
    expected: float  # at the region's rates for the unit's sex x age mix
    ratio: float | None  # observed / expected (None when nothing is expected)
    ci_low: float | None
    ci_high: float | None
    p_value: float | None  # one-sided exact Poisson, P(X >= observed)
    p_adjusted: float | None  # over the tested units of the kind in the month; None: not tested
    tested: bool
    alert: bool
    note: str  # why a unit was not tested or not flagged; empty for an alert
    lookback_complete: bool  # the data reach the episode's window back before the month
    config_version: str
    indicator_id: str
    indicator_version: str
    snapshot_id: str | None

    def as_dict(self) -> dict:
        return asdict(self)


COLUMNS = tuple(AlertResult.__dataclass_fields__)


@dataclass
class AlertTable:
    results: list[AlertResult]
    config: AlertConfig
    snapshot_id: str | None
    months: list[str]
    data_start: dt.datetime
    data_end: dt.datetime
    suppression_threshold: int
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        """``2024-11``, or ``2024-07_2024-12`` for several months (file and folder names)."""
        return self.months[0] if len(self.months) == 1 else f"{self.months[0]}_{self.months[-1]}"

    def alerts(self) -> list[AlertResult]:
        return [r for r in self.results if r.alert]

    def select(self, unit_kind: str | None = None, month: str | None = None) -> list[AlertResult]:
        return [r for r in self.results if (unit_kind is None or r.unit_kind == unit_kind)
                and (month is None or r.month == month)]


def parse_month(value: str) -> indicator_sql.Period:
    try:
        d = dt.datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise AlertError(f"month {value!r}: write it as YYYY-MM, e.g. 2024-11") from None
    return indicator_sql.Period(f"{d:%Y-%m}", d, dates.next_month(d))


def _bounds(con: Engine) -> tuple[dt.datetime, dt.datetime, dt.datetime]:
    data_start, data_end, latest = con.row(indicator_sql.bounds_sql())
    if data_start is None:
        raise AlertError("the snapshot has no contacts: nothing to compute")
    return data_start, data_end, latest


def last_complete_month(con: Engine) -> str:
    """The last month the data cover to its end (the last contact starts on its last day or later)."""
    _, data_end, _ = _bounds(con)
    last = dates.month_start((data_end + dt.timedelta(days=1)).date()) - dt.timedelta(days=1)
    return f"{last:%Y-%m}"


def _query(v: IndicatorVersion, periods: list[indicator_sql.Period], bands: tuple[int, ...],
           d: Dialect) -> str:
    values = ", ".join(f"('{p.label}', DATE '{p.start}', DATE '{p.end}')" for p in periods)
    whens = " ".join(f"WHEN age >= {a} THEN {a}" for a in reversed(bands) if a > 0)
    age = indicator_sql.age_sql("p.birth_date", "pr.d0")
    ctes = [f"periods(period, d0, d1) AS (VALUES {values})", *indicator_sql.episode_ctes(v, d)]
    ctes.append(
        f"base AS (SELECT * FROM (SELECT pr.period, pr.d0, p.person_key, p.birth_date, p.death_date, "
        f"p.region_code, p.municipality_code, p.gp_provider_number, p.sex, {age} AS age "
        f"FROM periods pr CROSS JOIN persons p) x WHERE {indicator_sql.cohort_filter_sql(v)})")
    ctes.append(
        'hit AS (SELECT DISTINCT pr.period, e.person_key FROM entries e JOIN periods pr '
        'ON e."start" >= CAST(pr.d0 AS TIMESTAMP) AND e."start" < CAST(pr.d1 AS TIMESTAMP))')
    return (
        "WITH " + ",\n".join(ctes) + "\n"
        f"SELECT b.period, b.region_code, b.municipality_code, b.gp_provider_number, b.sex, "
        f"CASE {whens} ELSE 0 END AS band, count(*) AS n, count(h.person_key) AS observed "
        "FROM base b LEFT JOIN hit h ON h.period = b.period AND h.person_key = b.person_key "
        "GROUP BY ALL ORDER BY ALL"
    )


def compute(
    con: Engine,
    *,
    months: list[str] | None = None,
    config: AlertConfig | None = None,
    region: str | None = None,
) -> AlertTable:
    """The alerts of ``months`` (default: the last complete month) on the snapshot of the engine ``con``;
    ``region`` keeps one region (default: every region of the snapshot, each on its own)."""
    t0 = time.perf_counter()
    cfg = config or load_config()
    indicators = load_indicators()
    v = indicators.get(cfg.indicator_id).version(cfg.indicator_version)
    threshold = indicators.suppression_threshold
    if region is not None and region not in {r.code for r in ref.regions()}:
        raise AlertError(f"unknown region {region!r}; use one of {', '.join(r.code for r in ref.regions())}")
    data_start, data_end, _ = _bounds(con)
    labels = months or [last_complete_month(con)]
    periods = sorted({p.label: p for p in map(parse_month, labels)}.values(), key=lambda p: p.start)
    for p in periods:
        if p.end <= data_start.date() or p.start > data_end.date():
            raise AlertError(f"month {p.label} is outside the data ({data_start:%Y-%m-%d} - "
                             f"{data_end:%Y-%m-%d}); choose a month the snapshot covers")
    rows = con.rows(_query(v, periods, cfg.age_bands, con.dialect))
    snapshot = snapshot_id(con)
    lookback = v.episode.window_days
    results: list[AlertResult] = []
    for p in periods:
        complete = p.start - dt.timedelta(days=lookback) >= data_start.date()
        period_rows = [r for r in rows if r[0] == p.label and (region is None or r[1] == region)]
        for reg in sorted({r[1] for r in period_rows if r[1]}):
            results.extend(_region_results(cfg, v, p.label, reg, [r for r in period_rows if r[1] == reg],
                                           complete, snapshot, threshold))
    notes = []
    if not all(r.lookback_complete for r in results):
        notes.append(f"the data start {data_start:%Y-%m-%d}: months less than {lookback} days later "
                     "undercount repeated contacts everywhere (the ratios stay comparable)")
    return AlertTable(results, cfg, snapshot, [p.label for p in periods], data_start, data_end,
                      threshold, time.perf_counter() - t0, notes)


def _region_results(cfg: AlertConfig, v: IndicatorVersion, month: str, region: str, rows: list[tuple],
                    complete: bool, snapshot: str | None, threshold: int) -> list[AlertResult]:
    """Reference rates of the region and every unit's result, tested and adjusted per unit kind."""
    ref_n: dict[tuple, int] = defaultdict(int)
    ref_o: dict[tuple, int] = defaultdict(int)
    for _, _, _, _, sex, band, n, obs in rows:
        ref_n[(sex, band)] += n
        ref_o[(sex, band)] += obs
    rate = {k: ref_o[k] / ref_n[k] for k in ref_n}
    names = {m.code: m.name for m in ref.municipalities()}
    out: list[AlertResult] = []
    for kind in cfg.units:
        col = 2 if kind == "municipality" else 3
        units: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0.0])  # population, observed, expected
        for r in rows:
            code = r[col]
            if not code:
                continue  # unknown municipality / practice: in the reference, not a unit
            acc = units[code]
            acc[0] += r[6]
            acc[1] += r[7]
            acc[2] += r[6] * rate[(r[4], r[5])]
        drafts = []
        for code in sorted(units):
            population, observed, expected = units[code]
            observed = int(observed)
            ratio = low = high = p = None
            if expected > 0:
                ratio = observed / expected
                low, high = stats.ratio_interval(observed, expected, cfg.ci_level)
                p = stats.p_excess(observed, expected)
            tested = expected >= cfg.min_expected
            note = "" if tested else f"expected {expected:.1f} is below {cfg.min_expected:g}: not tested"
            drafts.append([code, int(population), observed, expected, ratio, low, high, p, tested, note])
        tested_idx = [i for i, d in enumerate(drafts) if d[8]]
        adjusted = stats.adjust([drafts[i][7] for i in tested_idx], cfg.multiple_testing)
        adj_of = dict(zip(tested_idx, adjusted, strict=True))
        for i, (code, population, observed, expected, ratio, low, high, p, tested, note) in enumerate(drafts):
            padj = adj_of.get(i)
            alert = False
            if tested:
                if padj >= cfg.alpha:
                    note = f"adjusted p {padj:.3g} is not below {cfg.alpha:g}"
                elif ratio < cfg.min_ratio:
                    note = f"ratio {ratio:.2f} is below {cfg.min_ratio:g}"
                elif observed < threshold:
                    note = f"observed is below the suppression threshold {threshold}"
                else:
                    alert = True
            out.append(AlertResult(
                month=month, region_code=region, unit_kind=kind, unit_code=code,
                unit_name=names.get(code, "") if kind == "municipality" else "",
                population=population, observed=observed, expected=expected, ratio=ratio,
                ci_low=low, ci_high=high, p_value=p, p_adjusted=padj, tested=tested, alert=alert,
                note=note, lookback_complete=complete, config_version=cfg.version,
                indicator_id=v.indicator_id, indicator_version=v.version, snapshot_id=snapshot))
    return out
