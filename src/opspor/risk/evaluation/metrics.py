"""Discrimination and calibration metrics, written for speed at national scale.

The score is sorted once; AUROC and average precision are then sums over groups of equal scores,
so a bootstrap replicate (a weight per person) costs two ``bincount`` calls instead of a sort.
Ties count half (AUROC) or as one threshold (average precision), as in scikit-learn's
``roc_auc_score`` and ``average_precision_score`` — the tests check the two agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

EPS = 1e-7


class Ranked:
    """Outcomes sorted by descending score, with the groups of equal scores."""

    def __init__(self, y: np.ndarray, p: np.ndarray):
        order = np.argsort(-p, kind="stable")
        self.order = order
        self.p = p[order]
        self.y = y[order].astype(np.float64)
        new = np.empty(len(p), dtype=bool)
        if len(p):
            new[0] = True
            new[1:] = self.p[1:] != self.p[:-1]
        self.group = np.cumsum(new) - 1
        self.n_groups = int(self.group[-1]) + 1 if len(p) else 0

    def _counts(self, w: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        pos_w = self.y if w is None else w * self.y
        all_w = None if w is None else w
        pos = np.bincount(self.group, weights=pos_w, minlength=self.n_groups)
        tot = np.bincount(self.group, weights=all_w, minlength=self.n_groups)
        return pos, tot

    def auroc(self, w: np.ndarray | None = None) -> float:
        pos, tot = self._counts(w)
        neg = tot - pos
        P, N = pos.sum(), neg.sum()
        if P == 0 or N == 0:
            return float("nan")
        above = np.cumsum(pos) - pos
        return float((neg * (above + 0.5 * pos)).sum() / (P * N))

    def average_precision(self, w: np.ndarray | None = None) -> float:
        pos, tot = self._counts(w)
        P = pos.sum()
        if P == 0:
            return float("nan")
        tp, flagged = np.cumsum(pos), np.cumsum(tot)
        precision = np.divide(tp, flagged, out=np.zeros_like(tp), where=flagged > 0)
        return float((pos / P * precision).sum())

    def roc_curve(self, points: int = 200) -> tuple[np.ndarray, np.ndarray]:
        pos, tot = self._counts(None)
        tpr = np.r_[0, np.cumsum(pos)] / max(pos.sum(), 1)
        fpr = np.r_[0, np.cumsum(tot - pos)] / max((tot - pos).sum(), 1)
        keep = _thin(len(tpr), points)
        return fpr[keep], tpr[keep]

    def pr_curve(self, points: int = 200) -> tuple[np.ndarray, np.ndarray]:
        pos, tot = self._counts(None)
        tp, flagged = np.cumsum(pos), np.cumsum(tot)
        recall = tp / max(pos.sum(), 1)
        precision = np.divide(tp, flagged, out=np.ones_like(tp), where=flagged > 0)
        keep = _thin(len(recall), points)
        return recall[keep], precision[keep]


def _thin(n: int, points: int) -> np.ndarray:
    if n <= points:
        return np.arange(n)
    return np.unique(np.r_[np.linspace(0, n - 1, points).astype(int), n - 1])


def auroc(y: np.ndarray, p: np.ndarray) -> float:
    return Ranked(y, p).auroc()


def average_precision(y: np.ndarray, p: np.ndarray) -> float:
    return Ranked(y, p).average_precision()


def brier(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean((p - y) ** 2)) if len(y) else float("nan")


def _both(ranked: Ranked, w: np.ndarray) -> tuple[float, float]:
    """AUROC and average precision under weights ``w`` (in the ranked order), counting once."""
    pos, tot = ranked._counts(w)
    neg = tot - pos
    P, N = pos.sum(), neg.sum()
    if P == 0 or N == 0:
        return float("nan"), float("nan")
    above = np.cumsum(pos) - pos
    tp, flagged = above + pos, np.cumsum(tot)
    precision = np.divide(tp, flagged, out=np.zeros_like(tp), where=flagged > 0)
    return float((neg * (above + 0.5 * pos)).sum() / (P * N)), float((pos / P * precision).sum())


def bootstrap(
    parts: dict[object, tuple[Ranked, np.ndarray | None]],
    n: int,
    replicates: int,
    seed: int,
    confidence: float,
) -> dict[object, dict[str, tuple[float, float]]]:
    """Percentile confidence intervals of AUROC and average precision for several scores and
    subgroups at once. ``parts`` maps a key to a Ranked score and the rows (of ``n`` persons) it
    covers (None: all). Every replicate resamples the ``n`` persons once and weighs all parts with
    the same resample, so intervals of different scores on the same persons are paired."""
    nan = (float("nan"), float("nan"))
    if replicates == 0 or n == 0:
        return {key: {"auroc": nan, "auprc": nan} for key in parts}
    rng = np.random.default_rng(seed)
    values = {key: np.empty((replicates, 2)) for key in parts}
    for r in range(replicates):
        w = np.bincount(rng.integers(0, n, n), minlength=n).astype(np.float64)
        for key, (ranked, rows) in parts.items():
            sub = w if rows is None else w[rows]
            values[key][r] = _both(ranked, sub[ranked.order])
    lo, hi = (1 - confidence) / 2 * 100, (1 + confidence) / 2 * 100
    out = {}
    for key, v in values.items():
        out[key] = {"auroc": tuple(np.nanpercentile(v[:, 0], [lo, hi]).tolist()),
                    "auprc": tuple(np.nanpercentile(v[:, 1], [lo, hi]).tolist())}
    return out


def analytic_intervals(ranked: Ranked, confidence: float) -> dict[str, tuple[float, float]]:
    """Closed-form intervals, for subgroups (a bootstrap of every subgroup costs too much at
    national scale): AUROC by Hanley & McNeil (1982), average precision on the logit scale
    (Boyd, Eng & Page 2013)."""
    from statistics import NormalDist

    z = NormalDist().inv_cdf((1 + confidence) / 2)
    P = float(ranked.y.sum())
    N = float(len(ranked.y) - P)
    a, ap = ranked.auroc(), ranked.average_precision()
    nan = (float("nan"), float("nan"))
    if P == 0 or N == 0 or math.isnan(a):
        return {"auroc": nan, "auprc": nan}
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    var = (a * (1 - a) + (P - 1) * (q1 - a * a) + (N - 1) * (q2 - a * a)) / (P * N)
    se = math.sqrt(max(var, 0.0))
    auroc = (max(0.0, a - z * se), min(1.0, a + z * se))
    if 0 < ap < 1:
        centre, half = math.log(ap / (1 - ap)), z / math.sqrt(P * ap * (1 - ap))
        auprc = (1 / (1 + math.exp(-(centre - half))), 1 / (1 + math.exp(-(centre + half))))
    else:
        auprc = nan
    return {"auroc": auroc, "auprc": auprc}


@dataclass(frozen=True)
class CalibrationFit:
    intercept: float  # calibration-in-the-large: the intercept with the slope fixed at 1
    slope: float  # of logit(P(y)) on logit(p), intercept free
    slope_se: float
    intercept_se: float
    slope_intercept: float = float("nan")  # the intercept beside the slope (logistic recalibration)


def logit(p: np.ndarray, eps: float = EPS) -> np.ndarray:
    """log(p / (1 - p)), with ``p`` kept ``eps`` away from 0 and 1: the one logit of the risk
    package (recalibration, external validation, explanations)."""
    p = np.clip(p, eps, 1 - eps)
    return np.log(p) - np.log1p(-p)


def calibration_fit(y: np.ndarray, p: np.ndarray, iterations: int = 50) -> CalibrationFit:
    """Logistic recalibration (Cox 1958; Van Calster et al. 2016): ``logit P(y=1) = a + b·logit(p)``
    gives the slope b; ``logit P(y=1) = a + logit(p)`` gives the intercept a (calibration in the
    large). A perfectly calibrated model has a = 0 and b = 1. Newton's method, no penalty."""
    y = y.astype(np.float64)
    if len(y) == 0 or y.min() == y.max():
        return CalibrationFit(float("nan"), float("nan"), float("nan"), float("nan"))
    s = logit(p)
    # slope: two parameters
    beta = np.zeros(2)
    Z = np.column_stack([np.ones_like(s), s])
    beta[1] = 1.0
    info = np.eye(2)
    try:
        with np.errstate(over="ignore"):
            for _ in range(iterations):
                mu = 1 / (1 + np.exp(-(Z @ beta)))
                grad = Z.T @ (y - mu)
                info = (Z * (mu * (1 - mu))[:, None]).T @ Z
                step = np.linalg.solve(info, grad)
                beta += step
                if np.abs(step).max() < 1e-10:
                    break
        slope_se = float(np.sqrt(np.linalg.inv(info)[1, 1]))
    except np.linalg.LinAlgError:
        # no slope to fit: every score the same, or the outcome separated by the score (a small unit)
        beta[:], slope_se = float("nan"), float("nan")
    if not (np.isfinite(beta[1]) and np.isfinite(slope_se)):
        beta[:], slope_se = float("nan"), float("nan")
    # intercept with offset
    a = 0.0
    v = 1.0
    with np.errstate(over="ignore"):
        for _ in range(iterations):
            mu = 1 / (1 + np.exp(-(a + s)))
            v = float((mu * (1 - mu)).sum())
            if not v > 0:  # every score at 0 or 1 (a small unit): no intercept to fit
                return CalibrationFit(float("nan"), float(beta[1]), slope_se, float("nan"), float(beta[0]))
            step = float((y - mu).sum()) / v
            a += step
            if abs(step) < 1e-12:
                break
    return CalibrationFit(float(a), float(beta[1]), slope_se, float(np.sqrt(1 / v)), float(beta[0]))


def calibration_curve(y: np.ndarray, p: np.ndarray, bins: int) -> list[dict]:
    """Mean predicted and observed risk in ``bins`` groups of equal size by predicted risk."""
    if len(y) == 0:
        return []
    order = np.argsort(p, kind="stable")
    out = []
    for part in np.array_split(order, bins):
        if len(part) == 0:
            continue
        out.append({"predicted": float(p[part].mean()), "observed": float(y[part].mean()),
                    "n": len(part)})
    return out


def top_flags(p: np.ndarray, share: float) -> np.ndarray:
    """The ``ceil(share · n)`` persons with the highest scores (ties broken by position)."""
    n = len(p)
    k = int(np.ceil(share * n - 1e-9))
    flags = np.zeros(n, dtype=bool)
    if k:
        flags[np.argsort(-p, kind="stable")[:k]] = True
    return flags


def flagged_summary(y: np.ndarray, flags: np.ndarray) -> dict:
    flagged = int(flags.sum())
    tp = int((y[flags] == 1).sum())
    positives = int((y == 1).sum())
    return {
        "flagged": flagged,
        "true_positives": tp,
        "sensitivity": tp / positives if positives else float("nan"),
        "ppv": tp / flagged if flagged else float("nan"),
    }
