"""Calibration of a fitted model on persons held out of fitting.

The models are fitted on most persons and calibrated on the others (``calibration_share`` of
the persons, all their training as-of dates), so the calibration map is learnt on data the model
has not seen. ``sigmoid`` (Platt scaling) fits ``P(y) = 1 / (1 + exp(-(a·s + b)))`` on the
model's log-odds ``s``; it keeps the ranking, so AUROC is unchanged. ``isotonic`` fits a
monotone step function (ties in the scores can change AUROC a little).
"""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator


def calibrate(fitted, X: np.ndarray, y: np.ndarray, method: str) -> CalibratedClassifierCV:
    """Wrap an already fitted classifier with a calibration map learnt on (X, y)."""
    return CalibratedClassifierCV(FrozenEstimator(fitted), method=method).fit(X, y)


def person_fraction(person_key: pa.Array | list[str], seed: int) -> np.ndarray:
    """A number in [0, 1) per person, fixed for a person and a seed: the same person falls on
    the same side of the fitting/calibration split at every as-of date."""
    salt = seed.to_bytes(8, "little", signed=False)
    keys = person_key.to_pylist() if isinstance(person_key, (pa.Array, pa.ChunkedArray)) else person_key
    out = np.fromiter(
        (int.from_bytes(hashlib.blake2b(k.encode(), digest_size=8, key=salt).digest(), "little")
         for k in keys),
        dtype=np.uint64, count=len(keys))
    return (out >> np.uint64(11)).astype(np.float64) / float(1 << 53)
