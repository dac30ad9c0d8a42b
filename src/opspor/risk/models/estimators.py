"""The two model kinds as scikit-learn estimators, and :class:`RiskModel`, what the registry stores.

* ``logistic`` — the interpretable baseline: L2-regularised logistic regression on counts as
  ``log1p``, age as a spline, flags as they are and categories one-hot, all standardised;
* ``boosted`` — ``HistGradientBoostingClassifier`` on the raw features (categories native,
  missing values native).

Both are calibrated afterwards on persons held out of fitting (:mod:`opspor.risk.calibration`).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    OneHotEncoder,
    SplineTransformer,
    StandardScaler,
)
from threadpoolctl import threadpool_limits

from opspor.i18n import gettext_lazy as _
from opspor.risk.features import CATEGORICAL, FeatureSet

THREADS_ENV = "OPSPOR_RISK_THREADS"
LOGISTIC, BOOSTED = "logistic", "boosted"
KINDS = (LOGISTIC, BOOSTED)
LABELS = {
    LOGISTIC: _("Logistic regression (L2)"),
    BOOSTED: _("Gradient-boosted trees (HistGradientBoosting)"),
}


def threads() -> int:
    """Threads for fitting and scoring: ``OPSPOR_RISK_THREADS``, else the number of cores."""
    value = os.environ.get(THREADS_ENV, "").strip()
    return max(1, int(value)) if value.isdigit() else (os.cpu_count() or 1)


def _columns(fs: FeatureSet, scale: str) -> list[int]:
    return [i for i, f in enumerate(fs.features) if f.scale == scale]


def logistic(fs: FeatureSet, params: dict) -> Pipeline:
    steps = []
    counts = _columns(fs, "count") + _columns(fs, "days")
    if counts:
        steps.append(("counts", make_pipeline(
            SimpleImputer(strategy="median"), FunctionTransformer(np.log1p, feature_names_out="one-to-one"),
            StandardScaler()), counts))
    if _columns(fs, "age"):
        steps.append(("age", make_pipeline(
            SimpleImputer(strategy="median"), SplineTransformer(n_knots=6, degree=3),
            StandardScaler()), _columns(fs, "age")))
    if _columns(fs, "flag"):
        steps.append(("flags", SimpleImputer(strategy="most_frequent"), _columns(fs, "flag")))
    if _columns(fs, "category"):
        steps.append(("categories", make_pipeline(
            SimpleImputer(strategy="constant", fill_value=-1.0),
            OneHotEncoder(handle_unknown="ignore", sparse_output=False)), _columns(fs, "category")))
    return Pipeline([
        ("prepare", ColumnTransformer(steps, remainder="drop")),
        ("model", LogisticRegression(C=params["C"], max_iter=params["max_iter"])),
    ])


def boosted(fs: FeatureSet, params: dict, seed: int) -> HistGradientBoostingClassifier:
    categorical = np.array([f.kind == CATEGORICAL for f in fs.features])
    return HistGradientBoostingClassifier(categorical_features=categorical, random_state=seed, **params)


def build(kind: str, fs: FeatureSet, params: dict, seed: int):
    return logistic(fs, params) if kind == LOGISTIC else boosted(fs, params, seed)


@dataclass
class RiskModel:
    """A fitted, calibrated model with what it needs to score and explain.

    ``reference`` is a typical person's feature values (medians; the most frequent value of a
    flag or category) from the fitting data: an explanation measures how much each group of
    a person's features raises the score above what it would be with the typical values.
    """

    kind: str
    estimator: object  # CalibratedClassifierCV over the frozen fitted estimator
    feature_names: tuple[str, ...]
    reference: np.ndarray
    n_iter: int | None = None  # boosting iterations used (early stopping)

    def predict(self, X: np.ndarray, batch: int = 16_384, workers: int | None = None) -> np.ndarray:
        """Calibrated probabilities of the outcome.

        In batches of rows that stay in the CPU's cache while every tree visits them
        (scikit-learn walks all rows per tree, so one large call streams the whole matrix from
        memory once per tree: 2-3x slower at 5.9 M persons), each batch single-threaded and the
        batches spread over ``workers`` threads (scikit-learn's tree code releases the GIL).
        Many small multi-threaded calls would synchronise their threads for every tree, which
        collapses when other work shares the cores."""
        out = np.empty(X.shape[0], dtype=np.float64)
        starts = range(0, X.shape[0], batch)

        def one(start: int) -> None:
            out[start:start + batch] = self.estimator.predict_proba(X[start:start + batch])[:, 1]

        workers = workers or threads()
        with threadpool_limits(limits=1):
            if workers == 1 or len(starts) == 1:
                for start in starts:
                    one(start)
            else:
                with ThreadPoolExecutor(workers) as pool:
                    list(pool.map(one, starts))
        return out


def reference_values(fs: FeatureSet, X: np.ndarray) -> np.ndarray:
    ref = np.empty(X.shape[1], dtype=np.float32)
    for j, f in enumerate(fs.features):
        col = X[:, j]
        col = col[~np.isnan(col)]
        if col.size == 0:
            ref[j] = np.nan
        elif f.kind == "numeric":
            ref[j] = np.median(col)
        else:
            values, counts = np.unique(col, return_counts=True)
            ref[j] = values[np.argmax(counts)]
    return ref
