"""External validation across regions (``opspor risk validate-external``), as OHDSI
PatientLevelPrediction validates a model developed in one database on the others.

The model is developed on one region: the persons of that region at the training as-of dates of
the usual temporal schedule (:func:`opspor.risk.models.training.schedule`), fitted and calibrated
as ``opspor risk train`` does (:func:`fit_models`, one model kind). It is then validated on the
test as-of date

* **internally**: the development region's own persons (the temporal validation);
* **externally**: each other region's persons, **as developed** (the model's probabilities
  unchanged) and **recalibrated** on the region's own earlier data, PatientLevelPrediction's two
  recalibrations:

  - *recalibration in the large*: ``logit p' = a + logit p`` (a new intercept only);
  - *logistic ("weak") recalibration*: ``logit p' = a + b · logit p``.

  Both are fitted on the validating region's persons at the **last training as-of date** (whose
  outcome is known before the test date), never on the test date's outcomes. A logistic
  recalibration with ``b > 0`` keeps the ranking, so AUROC is unchanged by it; what changes is
  the agreement of expected with observed (O/E, calibration-in-the-large, slope).

Each row holds persons, admitted, AUROC (Hanley-McNeil interval), O/E with its exact interval,
calibration-in-the-large and slope with intervals — the figures monitoring computes per unit
(:func:`opspor.risk.monitoring.unit_figures`, :func:`auroc_figures`). Aggregates only.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from datetime import date

import numpy as np
import pyarrow as pa
from scipy.special import expit

from opspor import engines
from opspor.risk import registry, settings
from opspor.risk.evaluation.metrics import calibration_fit, logit
from opspor.risk.features import FeatureSet
from opspor.risk.models.training import DateData, TrainingError, date_data, fit_models, schedule
from opspor.risk.monitoring import auroc_figures, unit_figures
from opspor.risk.outcome import data_period
from opspor.store import SnapshotStore

RECORD_FORMAT = "opspor.risk.external/1"


class ExternalError(registry.RegistryError):
    """External validation cannot run; the message says why and what to do."""


def _regions(d: DateData) -> np.ndarray:
    return np.array(["unknown" if r is None else r for r in d.features.region_code.take(pa.array(d.rows)).to_pylist()],
                    dtype=object)


def _subset(d: DateData, mask: np.ndarray) -> DateData:
    return DateData(d.features, d.outcome, d.rows[mask])


def recalibrations(y: np.ndarray, p: np.ndarray) -> dict[str, tuple[float, float]]:
    """(a, b) of ``logit p' = a + b · logit p`` for each recalibration, fitted on (y, p)."""
    fit = calibration_fit(y, p)
    return {"in_the_large": (fit.intercept, 1.0), "logistic": (fit.slope_intercept, fit.slope)}


def recalibrated(p: np.ndarray, a: float, b: float) -> np.ndarray:
    return expit(a + b * logit(p))


def _figures(y: np.ndarray, p: np.ndarray, confidence: float) -> dict:
    return {**unit_figures(y, p, confidence), **auroc_figures(y, p, confidence)}


def validate(
    train_region: str,
    kind: str | None = None,
    test_as_of: date | None = None,
    horizon: str | None = None,
    store: SnapshotStore | None = None,
    log: Callable[[str], None] = lambda _: None,
    engine: str | None = None,
) -> dict:
    """Develop on ``train_region``, validate on every region; returns the record (stored as
    ``risk/external/<id>.json``, its path in ``path``)."""
    started = time.perf_counter()
    cfg = settings.load(horizon=horizon)
    kind = kind or cfg.model.select
    confidence = cfg.model.confidence
    fs = FeatureSet(cfg.features)
    store = store or SnapshotStore()
    snapshot_id = store.current()
    con = engines.connect(engine, store=store, snapshot=snapshot_id)
    try:
        period = data_period(con)
        if period is None:
            raise TrainingError("the snapshot has no contacts. Fix: load a drop with `opspor ingest DIR`")
        sched = schedule(period, cfg, test_as_of)
        train = [date_data(con, fs, cfg, day, period) for day in sched.train]
        test = date_data(con, fs, cfg, sched.test, period)
    finally:
        con.close()
    log(f"features and outcomes of {', '.join(map(str, sched.train))} and {sched.test} (test)")
    test_regions = _regions(test)
    regions = sorted(set(test_regions.tolist()) - {"unknown"})
    if train_region not in regions:
        raise ExternalError(f"region {train_region} has no persons on {sched.test}; the regions in the data are "
                            f"{', '.join(regions) or 'none'}. Fix: give one of them (--train-region)")
    if len(regions) < 2:
        raise ExternalError(f"the data hold one region ({train_region}): there is no other region to validate "
                            "on. Fix: load a drop of several regions (e.g. `opspor synth` without --region)")
    dev = [_subset(d, _regions(d) == train_region) for d in train]
    models, fit_summary = fit_models(fs, cfg, dev, kinds=(kind,), log=log)
    model = models[kind]
    last = train[-1]  # the recalibration data: the last training as-of date, outcome known before the test
    last_regions = _regions(last)
    last_p = model.predict(last.X)
    test_p = model.predict(test.X)
    y_test, y_last = test.y.astype(np.int8), last.y.astype(np.int8)
    rows = []
    for region in regions:
        m = test_regions == region
        y, p = y_test[m], test_p[m]
        row = {"region": region, "role": "development" if region == train_region else "external",
               "as_developed": _figures(y, p, confidence)}
        if region != train_region:
            r = last_regions == region
            fits = recalibrations(y_last[r], last_p[r])
            row["recalibration"] = {name: {"a": a, "b": b, "fitted_on": sched.train[-1].isoformat(),
                                           "persons": int(r.sum())} for name, (a, b) in fits.items()}
            for name, (a, b) in fits.items():
                row[name] = (_figures(y, recalibrated(p, a, b), confidence) if np.isfinite(a) and np.isfinite(b)
                             else None)
        rows.append(row)
        log(f"region {region}: {int(m.sum()):,} persons validated")
    run_id = registry.new_id()
    record = {
        "format": RECORD_FORMAT, "run_id": run_id,
        "created_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "snapshot_id": snapshot_id, "kind": kind, "train_region": train_region,
        "schedule": sched.describe(), "confidence": confidence,
        "development": {"rows": fit_summary["rows"], "positives": fit_summary["positives"]},
        "regions": rows, "config": cfg.describe(), "code_version": registry.code_version(),
        "seconds": round(time.perf_counter() - started, 1),
    }
    folder = registry.risk_dir() / "external"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{run_id}.json"
    registry.write_json(path, record)
    record["path"] = str(path)
    return record
