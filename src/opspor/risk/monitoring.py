"""Monitoring the risk model after deployment (``opspor risk monitor --month YYYY-MM``).

For the scores made in a month (the stored score set whose as-of date lies in the month, of the
selected model when it has one), once their outcome is known (the whole horizon inside the data):

* **observed against expected** per unit of each group (region, municipality, GP practice, sex,
  age band, residence type): admitted persons against the sum of their scores, the ratio with its
  exact (Garwood) interval (:func:`opspor.alerts.stats.ratio_interval`), calibration-in-the-large
  and the calibration slope with intervals (:func:`opspor.risk.evaluation.metrics.calibration_fit`);
* **AUROC over time**: the AUROC (Hanley-McNeil interval) of every earlier scored month whose
  outcome is known, beside the model's AUROC on its test date;
* **feature drift**: the population stability index of each feature against the model's training
  data (:mod:`opspor.risk.drift`);
* **alerts** where a limit of ``config/monitoring.yaml`` is passed.

The result is stored as ``$OPSPOR_HOME/risk/monitoring/<YYYY-MM>/<run_id>/monitoring.json`` with
its PDF report (``report.pdf``, :mod:`opspor.risk.monitoring_pdf`). It holds units, counts and
figures — never a person key or CPR number; units with few persons are shown as counts, which
are aggregates over at least the unit's size.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from opspor import config_reader, engines
from opspor import dates as dates_mod
from opspor.alerts.stats import ratio_interval
from opspor.risk import drift, registry, scoring, settings
from opspor.risk import outcome as outcome_mod
from opspor.risk.config import CONFIG_DIR, Ctx, RiskConfigError
from opspor.risk.evaluation.evaluate import age_band_labels
from opspor.risk.evaluation.metrics import Ranked, analytic_intervals, calibration_fit
from opspor.risk.features import FeatureSet
from opspor.store import SnapshotStore

MONITORING_FILE = "monitoring.yaml"
RECORD_FORMAT = "opspor.risk.monitoring/1"
RECORD, REPORT = "monitoring.json", "report.pdf"
GROUPS = ("region", "municipality", "gp_practice", "sex", "age_band", "residence")
UNKNOWN = "unknown"


class MonitorError(Exception):
    """Monitoring cannot run for the month asked; the message says why and what to do."""


# --------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class MonitorConfig:
    file: str
    version: str
    digest: str
    confidence: float
    min_expected: float
    ratio_low: float
    ratio_high: float
    groups: tuple[str, ...]
    slope_low: float
    slope_high: float
    auroc_min: float
    auroc_months: int
    bins: int
    psi_warn: float
    psi_alert: float

    def describe(self) -> dict:
        return {"file": Path(self.file).name, "version": self.version, "sha256": self.digest,
                "confidence": self.confidence, "min_expected": self.min_expected,
                "ratio_low": self.ratio_low, "ratio_high": self.ratio_high, "slope_low": self.slope_low,
                "slope_high": self.slope_high, "auroc_min": self.auroc_min, "psi_warn": self.psi_warn,
                "psi_alert": self.psi_alert, "bins": self.bins}


def load_config(path: Path | None = None) -> MonitorConfig:
    """``monitoring.yaml`` from ``OPSPOR_RISK_CONFIG`` (when the folder has one) or the shipped one."""
    if path is None:
        path = settings.config_dir() / MONITORING_FILE
        if not path.is_file():
            path = CONFIG_DIR / MONITORING_FILE
    data, digest = config_reader.read_yaml(path, RiskConfigError)
    ctx = Ctx(str(path))
    keys = ("version", "confidence", "observed_expected", "overall", "auroc_months", "drift")
    top = config_reader.mapping(ctx, data, keys, keys, docs=f"see the shipped {MONITORING_FILE}")
    oe_ctx = ctx.at("observed_expected")
    oe_keys = ("min_expected", "ratio_low", "ratio_high", "groups")
    oe = config_reader.mapping(oe_ctx, top["observed_expected"], oe_keys, oe_keys)
    ov_ctx = ctx.at("overall")
    ov_keys = ("slope_low", "slope_high", "auroc_min")
    ov = config_reader.mapping(ov_ctx, top["overall"], ov_keys, ov_keys)
    dr_ctx = ctx.at("drift")
    dr_keys = ("bins", "psi_warn", "psi_alert")
    dr = config_reader.mapping(dr_ctx, top["drift"], dr_keys, dr_keys)
    low = config_reader.number(oe_ctx.at("ratio_low"), oe["ratio_low"], "ratio_low: 0.8", 0, 1, low_open=True)
    high = config_reader.number(oe_ctx.at("ratio_high"), oe["ratio_high"], "ratio_high: 1.25", 1, 100,
                                low_open=True)
    slope_low = config_reader.number(ov_ctx.at("slope_low"), ov["slope_low"], "slope_low: 0.8", 0, 1)
    slope_high = config_reader.number(ov_ctx.at("slope_high"), ov["slope_high"], "slope_high: 1.2", 1, 100)
    warn = config_reader.number(dr_ctx.at("psi_warn"), dr["psi_warn"], "psi_warn: 0.1", 0, 10, low_open=True)
    alert = config_reader.number(dr_ctx.at("psi_alert"), dr["psi_alert"], "psi_alert: 0.25", 0, 10, low_open=True)
    if alert < warn:
        raise dr_ctx.at("psi_alert").error(f"is below psi_warn ({warn:g})", "write psi_alert >= psi_warn, e.g. 0.25")
    return MonitorConfig(
        file=str(path), version=config_reader.version(ctx.at("version"), top["version"]), digest=digest,
        confidence=config_reader.number(ctx.at("confidence"), top["confidence"], "confidence: 0.95", 0.5, 1,
                                        high_open=True),
        min_expected=config_reader.number(oe_ctx.at("min_expected"), oe["min_expected"], "min_expected: 10", 0),
        ratio_low=low, ratio_high=high,
        groups=config_reader.choices(oe_ctx.at("groups"), oe["groups"], GROUPS, "[region, municipality]"),
        slope_low=slope_low, slope_high=slope_high,
        auroc_min=config_reader.number(ov_ctx.at("auroc_min"), ov["auroc_min"], "auroc_min: 0.7", 0, 1),
        auroc_months=config_reader.integer(ctx.at("auroc_months"), top["auroc_months"], 1, "auroc_months: 24"),
        bins=config_reader.integer(dr_ctx.at("bins"), dr["bins"], 2, "bins: 10"),
        psi_warn=warn, psi_alert=alert,
    )


# --------------------------------------------------------------------------- paths and records


def monitoring_dir() -> Path:
    return registry.risk_dir() / "monitoring"


def parse_month(text: str) -> date:
    """``YYYY-MM`` -> its first day; ``ValueError`` names the form."""
    try:
        return dt.datetime.strptime(text.strip(), "%Y-%m").date()
    except (ValueError, AttributeError):
        raise ValueError(f"{text!r} is not a month; write it as YYYY-MM, e.g. 2025-03") from None


def runs(month: str | None = None) -> list[Path]:
    """Stored monitoring runs (folders), newest first; of one month (``YYYY-MM``) when given."""
    base = monitoring_dir()
    if not base.is_dir():
        return []
    months = [base / month] if month else sorted((p for p in base.iterdir() if p.is_dir() and p.name[:2] == "20"),
                                                 reverse=True)
    out: list[Path] = []
    for m in months:
        if m.is_dir():
            out += sorted((p for p in m.iterdir() if registry.is_id(p.name) and (p / RECORD).is_file()),
                          key=lambda p: p.name, reverse=True)
    return out


def read(folder: Path) -> dict:
    record = registry.read_json(folder / RECORD)
    if record.get("format") != RECORD_FORMAT:
        raise MonitorError(f"{folder / RECORD} is not a monitoring record of this opspor version. Fix: run "
                           f"`opspor risk monitor --month {folder.parent.name}` again")
    return record


# --------------------------------------------------------------------------- figures


def _z(confidence: float) -> float:
    return NormalDist().inv_cdf((1 + confidence) / 2)


def _num(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else round(float(value), 6)


def unit_figures(y: np.ndarray, p: np.ndarray, confidence: float) -> dict:
    """Persons, observed, expected, O/E with its exact interval, calibration-in-the-large and
    slope with intervals, for one unit."""
    n, observed, expected = len(y), int(y.sum()), float(p.sum())
    out: dict = {"persons": n, "observed": observed, "expected": round(expected, 3)}
    if expected > 0:
        low, high = ratio_interval(observed, expected, confidence)
        out.update(ratio=_num(observed / expected), ratio_low=_num(low), ratio_high=_num(high))
    else:
        out.update(ratio=None, ratio_low=None, ratio_high=None)
    fit = calibration_fit(y, p)
    z = _z(confidence)
    out.update(
        intercept=_num(fit.intercept), intercept_low=_num(fit.intercept - z * fit.intercept_se),
        intercept_high=_num(fit.intercept + z * fit.intercept_se),
        slope=_num(fit.slope), slope_low=_num(fit.slope - z * fit.slope_se),
        slope_high=_num(fit.slope + z * fit.slope_se))
    return out


def auroc_figures(y: np.ndarray, p: np.ndarray, confidence: float) -> dict:
    ranked = Ranked(y, p)
    low, high = analytic_intervals(ranked, confidence)["auroc"]
    return {"auroc": _num(ranked.auroc()), "auroc_low": _num(low), "auroc_high": _num(high)}


def flag(row: dict, cfg: MonitorConfig) -> str:
    """``high`` / ``low`` when the unit's O/E interval lies wholly beyond a limit, else ``""``."""
    if row["expected"] < cfg.min_expected or row["ratio_low"] is None:
        return ""
    if row["ratio_low"] > cfg.ratio_high:
        return "high"
    if row["ratio_high"] < cfg.ratio_low:
        return "low"
    return ""


def _labels(values: list, default: str = UNKNOWN) -> np.ndarray:
    return np.array([default if v is None or v == "" else str(v) for v in values], dtype=object)


def _categories(frame, fs: FeatureSet, name: str) -> np.ndarray:
    cats = fs.features[fs.index[name]].categories
    x = frame.column(name)
    names = np.array(list(cats) + [UNKNOWN], dtype=object)
    return names[np.where(np.isnan(x), len(cats), np.nan_to_num(x, nan=0).astype(np.int64))]


def group_labels(frame, fs: FeatureSet, gp: np.ndarray | None, age_bands: tuple[int, ...]) -> dict[str, np.ndarray]:
    """Each person's unit of every group (``gp_practice`` only when ``gp`` is given)."""
    male = frame.column("sex_male")
    out = {
        "region": _labels(frame.region_code.to_pylist()),
        "municipality": _categories(frame, fs, "municipality"),
        "sex": np.where(np.isnan(male), UNKNOWN, np.where(male == 1, "M", "F")).astype(object),
        "age_band": age_band_labels(frame.column("age"), age_bands),
        "residence": _categories(frame, fs, "residence"),
    }
    if gp is not None:
        out["gp_practice"] = gp
    return out


def by_group(y: np.ndarray, p: np.ndarray, labels: np.ndarray, cfg: MonitorConfig,
             regions: np.ndarray | None = None) -> list[dict]:
    """One row per unit; with ``regions`` (per person) each row names the region most of the
    unit's persons live in (the programme lead who is alerted), else ``""``."""
    rows = []
    order = np.argsort(labels, kind="stable")
    values, starts = np.unique(labels[order], return_index=True)
    bounds = list(starts) + [len(order)]
    for i, value in enumerate(values):
        idx = order[bounds[i]:bounds[i + 1]]
        row = {"unit": str(value), "region": "", **unit_figures(y[idx], p[idx], cfg.confidence)}
        if regions is not None and len(idx):
            names, counts = np.unique(regions[idx], return_counts=True)
            if names[counts.argmax()] != UNKNOWN:
                row["region"] = str(names[counts.argmax()])
        row["flag"] = flag(row, cfg)
        rows.append(row)
    return sorted(rows, key=lambda r: (r["unit"] == UNKNOWN, r["unit"]))


# --------------------------------------------------------------------------- the run


def _score_set(month: date) -> scoring.ScoreSet:
    last = dates_mod.month_end(month)
    sets = [s for s in scoring.stored() if month <= s.as_of <= last]
    if not sets:
        raise MonitorError(
            f"no scores were stored for an as-of date in {month:%Y-%m}. Fix: score that month with "
            f"`opspor risk score --as-of {month}` (the monthly schedule, `opspor risk schedule`, does it), "
            "or choose a month that was scored (`opspor risk monitor --list`)")
    chosen = registry.selected()
    mine = [s for s in sets if s.model_id == chosen]
    return (mine or sets)[0]


def _outcome_config(cfg: settings.RiskConfig, horizon_days: int):
    for name, days in cfg.outcome.horizons_days.items():
        if days == horizon_days:
            return cfg.outcome.with_horizon(name)
    name = f"{horizon_days}d"
    return replace(cfg.outcome, horizon=name, horizons_days={**cfg.outcome.horizons_days, name: horizon_days})


def _aligned(score_set: scoring.ScoreSet, keys: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(score per row of ``keys``, rows that have one)."""
    table = score_set.table(columns=["person_key", "score"])
    idx = pc.index_in(keys, value_set=table.column("person_key").combine_chunks())
    has = ~np.asarray(pc.is_null(idx).to_numpy(zero_copy_only=False), dtype=bool)
    p = np.full(len(keys), np.nan)
    values = table.column("score").to_numpy()
    p[has] = values[np.asarray(pc.fill_null(idx, 0).to_numpy(zero_copy_only=False))[has]]
    return p, np.flatnonzero(has & ~np.isnan(p))


def _reference_profiles(con, fs: FeatureSet, model_record: dict, bins: int,
                        log: Callable[[str], None]) -> dict:
    """The training data's drift profile of the model: computed on the model's training as-of
    dates once, kept in ``monitoring/reference/<model_id>.json``."""
    model_id = model_record["model_id"]
    path = monitoring_dir() / "reference" / f"{model_id}.json"
    if path.is_file():
        cached = registry.read_json(path)
        if cached.get("format") == drift.PROFILE_FORMAT and cached.get("bins") == bins:
            return cached
    train_dates = [date.fromisoformat(d) for d in model_record["training"]["schedule"]["train_as_of"]]
    frames = [fs.compute(con, d) for d in train_dates]
    X = np.vstack([f.X for f in frames])
    log(f"drift reference: features of the training as-of dates {', '.join(map(str, train_dates))} "
        f"({len(X):,} rows)")
    profiles = [drift.profile(f.name, f.kind, X[:, i], bins).as_dict() for i, f in enumerate(fs.features)]
    doc = {"format": drift.PROFILE_FORMAT, "model_id": model_id, "bins": bins,
           "train_as_of": [d.isoformat() for d in train_dates], "rows": int(len(X)), "features": profiles}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    registry.write_json(tmp, doc)
    tmp.replace(path)
    return doc


def _auroc_over_time(con, cfg: settings.RiskConfig, mcfg: MonitorConfig, month: date, period,
                     current: tuple[str, dict]) -> list[dict]:
    """One point per scored month up to ``month`` whose outcome is known (the newest set of
    the month, the selected model's first)."""
    chosen = registry.selected()
    by_month: dict[str, scoring.ScoreSet] = {}
    for s in sorted(scoring.stored(), key=lambda s: (s.model_id == chosen, s.score_id)):
        if s.as_of <= dates_mod.month_end(month):
            by_month[f"{s.as_of:%Y-%m}"] = s  # later (preferred) sets replace earlier ones
    points = []
    for key in sorted(by_month)[-mcfg.auroc_months:]:
        s = by_month[key]
        if key == current[0]:
            points.append(current[1])
            continue
        try:
            record = registry.model_record(s.model_id)
            ocfg = _outcome_config(cfg, record["training"]["schedule"]["horizon_days"])
            out = outcome_mod.compute(con, s.as_of, ocfg, period)
        except (outcome_mod.OutcomeError, registry.RegistryError):
            continue
        p, rows = _aligned(s, out.person_key)
        rows = rows[outcome_mod.usable(out, ocfg)[rows]]
        points.append({"month": key, "as_of": s.as_of.isoformat(), "score_id": s.score_id, "model_id": s.model_id,
                       "persons": int(len(rows)), "positives": int(out.y[rows].sum()),
                       **auroc_figures(out.y[rows], p[rows], mcfg.confidence)})
    return points


def monitor(
    month: date,
    store: SnapshotStore | None = None,
    snapshot_id: str | None = None,
    log: Callable[[str], None] = lambda _: None,
    engine: str | None = None,
    config: Path | None = None,
) -> dict:
    """Monitor the scores made in ``month`` (its first day) and store the run; returns the record
    with ``path`` (the run's folder). Raises :class:`MonitorError` / ``OutcomeError`` when the
    month has no scores or their outcome is not yet known."""
    started = time.perf_counter()
    mcfg = load_config(config)
    cfg = settings.load()
    fs = FeatureSet(cfg.features)
    score_set = _score_set(month)
    model_record = registry.model_record(score_set.model_id)
    model_record.setdefault("model_id", score_set.model_id)
    horizon_days = int(model_record["training"]["schedule"]["horizon_days"])
    ocfg = _outcome_config(cfg, horizon_days)
    store = store or SnapshotStore()
    snapshot_id = snapshot_id or store.current()
    con = engines.connect(engine, store=store, snapshot=snapshot_id)
    try:
        period = outcome_mod.data_period(con)
        if period is None:
            raise MonitorError("the snapshot has no contacts. Fix: load a drop with `opspor ingest DIR`")
        as_of = score_set.as_of
        if as_of + timedelta(days=horizon_days) > period.end_day:
            known = period.end_day - timedelta(days=horizon_days)
            raise MonitorError(
                f"the outcome of the scores of {as_of} ({horizon_days} days) is known from "
                f"{as_of + timedelta(days=horizon_days)}, but the data end on {period.end_day}. Fix: load newer "
                f"data, or monitor a month scored on or before {known} (`opspor risk monitor --month "
                f"{known:%Y-%m}`)")
        log(f"scores {score_set.score_id} of {as_of} (model {score_set.model_id}); outcome within "
            f"{horizon_days} days on snapshot {snapshot_id}")
        frame = fs.compute(con, as_of)
        out = outcome_mod.compute(con, as_of, ocfg, period)
        if not frame.person_key.equals(out.person_key):
            raise AssertionError("features and outcome disagree on the population")
        gp_table = con.query("SELECT person_key, gp_provider_number FROM persons ORDER BY person_key")
        gp_idx = pc.index_in(frame.person_key, value_set=gp_table.column("person_key").combine_chunks())
        gp = _labels(pc.take(gp_table.column("gp_provider_number"), gp_idx).to_pylist())
        p, rows = _aligned(score_set, frame.person_key)
        usable = outcome_mod.usable(out, ocfg)
        not_scored = int(len(frame) - len(rows))
        rows = rows[usable[rows]]
        y, p = out.y[rows].astype(np.int8), p[rows]
        overall = {**unit_figures(y, p, mcfg.confidence), **auroc_figures(y, p, mcfg.confidence)}
        labels = group_labels(frame, fs, gp, cfg.model.age_bands)
        local = ("region", "municipality", "gp_practice")  # units inside a region
        groups = {g: by_group(y, p, labels[g][rows], mcfg, labels["region"][rows] if g in local else None)
                  for g in mcfg.groups}
        current = {"month": f"{month:%Y-%m}", "as_of": as_of.isoformat(), "score_id": score_set.score_id,
                   "model_id": score_set.model_id, "persons": int(len(rows)), "positives": int(y.sum()),
                   **{k: overall[k] for k in ("auroc", "auroc_low", "auroc_high")}}
        over_time = _auroc_over_time(con, cfg, mcfg, month, period, (f"{month:%Y-%m}", current))
        reference_doc = _reference_profiles(con, fs, model_record, mcfg.bins, log)
    finally:
        con.close()
    drift_rows = []
    for prof in reference_doc["features"]:
        fp = drift.FeatureProfile.from_dict(prof)
        value = drift.feature_psi(fp, frame.column(fp.name))
        level = "alert" if value > mcfg.psi_alert else "warn" if value > mcfg.psi_warn else ""
        drift_rows.append({"feature": fp.name, "psi": round(value, 5), "level": level})
    drift_rows.sort(key=lambda r: -r["psi"])
    alerts = _alerts(overall, groups, drift_rows, mcfg)
    run_id = registry.new_id()
    record = {
        "format": RECORD_FORMAT,
        "run_id": run_id,
        "month": f"{month:%Y-%m}",
        "as_of": as_of.isoformat(),
        "created_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "snapshot_id": snapshot_id,
        "score_id": score_set.score_id,
        "model_id": score_set.model_id,
        "model_kind": model_record.get("kind", ""),
        "training_auroc": (model_record.get("metrics") or {}).get("auroc"),
        "horizon_days": horizon_days,
        "outcome": {"concept": ocfg.concept, "deaths": ocfg.deaths, "version": ocfg.version,
                    "window": [as_of.isoformat(), (as_of + timedelta(days=horizon_days)).isoformat()]},
        "config": mcfg.describe(),
        "persons": int(len(rows)),
        "not_scored": not_scored,
        "overall": overall,
        "groups": groups,
        "auroc_over_time": over_time,
        "drift": {"reference": {"train_as_of": reference_doc["train_as_of"], "rows": reference_doc["rows"]},
                  "features": drift_rows},
        "alerts": alerts,
        "code_version": registry.code_version(),
    }
    from opspor.risk import monitoring_pdf

    folder = monitoring_dir() / record["month"] / run_id
    with registry.staged_folder(folder) as stage:
        registry.write_json(stage / RECORD, record)
        monitoring_pdf.write(record, stage / REPORT)
    record["path"] = str(folder)
    record["seconds"] = round(time.perf_counter() - started, 2)
    return record


def _alerts(overall: dict, groups: dict[str, list[dict]], drift_rows: list[dict], cfg: MonitorConfig) -> list[dict]:
    """Every limit passed, in a fixed order: the whole population, the units, the features."""
    out = []
    if overall["slope_low"] is not None and (overall["slope_low"] > cfg.slope_high
                                             or overall["slope_high"] < cfg.slope_low):
        out.append({"kind": "calibration_slope", "group": "", "unit": "", "value": overall["slope"],
                    "low": overall["slope_low"], "high": overall["slope_high"],
                    "limit": [cfg.slope_low, cfg.slope_high]})
    if overall["auroc"] is not None and overall["auroc"] < cfg.auroc_min:
        out.append({"kind": "auroc", "group": "", "unit": "", "value": overall["auroc"],
                    "low": overall["auroc_low"], "high": overall["auroc_high"], "limit": [cfg.auroc_min]})
    for group, rows in groups.items():
        for r in rows:
            if r["flag"]:
                out.append({"kind": "observed_expected", "group": group, "unit": r["unit"], "region": r["region"],
                            "direction": r["flag"],
                            "value": r["ratio"], "low": r["ratio_low"], "high": r["ratio_high"],
                            "observed": r["observed"], "expected": r["expected"],
                            "limit": [cfg.ratio_low, cfg.ratio_high]})
    for r in drift_rows:
        if r["level"] == "alert":
            out.append({"kind": "drift", "group": "", "unit": r["feature"], "value": r["psi"], "low": None,
                        "high": None, "limit": [cfg.psi_alert]})
    return out
