"""Temporal validation: which as-of dates train and which one tests, the data of those dates, and
fitting both model kinds.

The **test** as-of date is the latest quarter day (1 January, April, July or October) whose
outcome horizon lies inside the data. The **training** as-of dates are the quarter days before
it whose horizon ends at least ``gap_days`` before the test date — so every outcome the model
learns from was known on the test date, as it would be in use — and that have the features'
full history in the data (``history_days`` before them). At most ``max_train_dates`` (the
latest ones) are used. Persons are split once, by a keyed hash of their pseudonymous key, into a
fitting part and a calibration part (``calibration_share``) for all dates.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pyarrow as pa
from threadpoolctl import threadpool_limits

from opspor import dates
from opspor.engines import Engine
from opspor.risk import outcome as outcome_mod
from opspor.risk.calibration import calibrate, person_fraction
from opspor.risk.features import FeatureFrame, FeatureSet
from opspor.risk.models.estimators import KINDS, RiskModel, build, reference_values, threads
from opspor.risk.outcome import DataPeriod, Outcome
from opspor.risk.settings import RiskConfig


class TrainingError(Exception):
    """Training cannot go ahead; the message says why and what to do."""


def quarter_days(first: date, last: date) -> list[date]:
    """Every 1 January/April/July/October in [first, last]."""
    out = []
    q = dates.quarter_start(first)
    while q <= last:
        if q >= first:
            out.append(q)
        q = dates.add_months(q, 3)
    return out


@dataclass(frozen=True)
class Schedule:
    train: tuple[date, ...]
    test: date
    horizon_days: int
    history_days: int
    gap_days: int

    def describe(self) -> dict:
        return {"train_as_of": [d.isoformat() for d in self.train], "test_as_of": self.test.isoformat(),
                "horizon_days": self.horizon_days, "history_days": self.history_days,
                "gap_days": self.gap_days}


def schedule(period: DataPeriod, cfg: RiskConfig, test_as_of: date | None = None) -> Schedule:
    horizon = cfg.outcome.horizon_days
    history = cfg.features.history_days
    gap = cfg.model.gap_days
    earliest = period.first_day + timedelta(days=history)
    latest_test = period.end_day - timedelta(days=horizon)
    need = timedelta(days=history + horizon + gap + horizon)
    advice = (f"the features need {history} days of history before an as-of date and the outcome "
              f"{horizon} days after it; training and testing need about {need.days} days in all, and "
              f"the data run from {period.first_day} to {period.end_day}")
    if test_as_of is None:
        candidates = quarter_days(earliest, latest_test)
        if not candidates:
            raise TrainingError(f"no test as-of date fits: {advice}. Fix: load more history")
        test_as_of = candidates[-1]
    elif test_as_of > latest_test or test_as_of < earliest:
        raise TrainingError(
            f"--test-as-of {test_as_of} does not fit: it must lie in [{earliest}, {latest_test}] "
            f"({advice}). Fix: choose a date in that range")
    last_train = test_as_of - timedelta(days=horizon + gap)
    train = quarter_days(earliest, last_train)[-cfg.model.max_train_dates:]
    if not train:
        raise TrainingError(
            f"no training as-of date before the test date {test_as_of}: {advice}. Fix: load more "
            "history, or test on a later date (--test-as-of)")
    return Schedule(tuple(train), test_as_of, horizon, history, gap)


@dataclass
class DateData:
    features: FeatureFrame
    outcome: Outcome
    rows: np.ndarray  # rows that enter (deaths: exclude drops some)

    @property
    def X(self) -> np.ndarray:
        return self.features.X[self.rows]

    @property
    def y(self) -> np.ndarray:
        return self.outcome.y[self.rows]


def date_data(engine: Engine, fs: FeatureSet, cfg: RiskConfig, as_of: date,
              period: DataPeriod) -> DateData:
    frame = fs.compute(engine, as_of)
    out = outcome_mod.compute(engine, as_of, cfg.outcome, period)
    if not frame.person_key.equals(out.person_key):  # the same population by construction
        raise AssertionError("features and outcome disagree on the population")
    return DateData(frame, out, np.flatnonzero(outcome_mod.usable(out, cfg.outcome)))


def fit_models(
    fs: FeatureSet,
    cfg: RiskConfig,
    train: list[DateData],
    kinds: tuple[str, ...] = KINDS,
    log: Callable[[str], None] = lambda _: None,
) -> tuple[dict[str, RiskModel], dict]:
    """Fit and calibrate each kind on the training dates; returns the models and a summary."""
    X = np.concatenate([d.X for d in train])
    y = np.concatenate([d.y for d in train])
    keys = pa.concat_arrays([d.features.person_key.take(pa.array(d.rows)) for d in train])
    cal = person_fraction(keys, cfg.model.seed) < cfg.model.calibration_share
    if y[~cal].min(initial=1) == y[~cal].max(initial=0) or y[cal].min(initial=1) == y[cal].max(initial=0):
        raise TrainingError("the training data have no admissions (or only admissions) in the fitting "
                            "or calibration part: too few persons or too short a period to train on")
    summary = {"rows": len(y), "positives": int(y.sum()), "persons_calibration_share":
               cfg.model.calibration_share, "fit_rows": int((~cal).sum()), "calibration_rows": int(cal.sum()),
               "seconds": {}}
    ref = reference_values(fs, X[~cal])
    # fitting rows: every admission, a sample of the others (weighted back to the population)
    share = cfg.model.negative_share
    rng = np.random.default_rng(cfg.model.seed)
    fit = ~cal & ((y == 1) | (rng.random(len(y)) < share))
    weight = np.where(y[fit] == 1, 1.0, 1.0 / share)
    summary["fit_rows_used"] = int(fit.sum())
    models = {}
    with threadpool_limits(limits=threads()):
        for kind in kinds:
            started = time.perf_counter()
            params = cfg.model.logistic if kind == "logistic" else cfg.model.boosted
            estimator = build(kind, fs, params, cfg.model.seed)
            if kind == "logistic":
                estimator.fit(X[fit], y[fit], model__sample_weight=weight)
            else:
                estimator.fit(X[fit], y[fit], sample_weight=weight)
            calibrated = calibrate(estimator, X[cal], y[cal], cfg.model.calibration_method)
            n_iter = getattr(estimator, "n_iter_", None)
            if kind == "logistic":
                n_iter = int(np.max(estimator.named_steps["model"].n_iter_))
            models[kind] = RiskModel(kind, calibrated, fs.names, ref, int(n_iter) if n_iter is not None else None)
            summary["seconds"][kind] = round(time.perf_counter() - started, 2)
            log(f"fitted {kind} in {summary['seconds'][kind]:.1f} s")
    return models, summary
