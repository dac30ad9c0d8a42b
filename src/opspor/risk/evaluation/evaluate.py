"""The evaluation of scores on the test as-of date: overall and by region, sex and age band.

Every score (the models', and the generator's true probabilities when the data are synthetic)
gets the same metrics on the same persons. The top 1/2/5 % are flagged over the whole test
population; a subgroup's figures say how many of those flagged fall in the group and how many
of the group's admissions they catch (a region's own ranking is what selection uses).
"""

from __future__ import annotations

import itertools

import numpy as np

from opspor.risk.config import ModelConfig
from opspor.risk.evaluation import metrics


def score_metrics(
    y: np.ndarray,
    p: np.ndarray,
    flags: dict[float, np.ndarray],
    cfg: ModelConfig,
    ranked: metrics.Ranked | None = None,
    ci: dict | None = None,
    curves: bool = False,
) -> dict:
    ranked = ranked or metrics.Ranked(y, p)
    nan = [float("nan"), float("nan")]
    fit = metrics.calibration_fit(y, p)
    out = {
        "auroc": ranked.auroc(),
        "auroc_ci": list(ci["auroc"]) if ci else nan,
        "auprc": ranked.average_precision(),
        "auprc_ci": list(ci["auprc"]) if ci else nan,
        "brier": metrics.brier(y, p),
        "mean_predicted": float(p.mean()) if len(p) else float("nan"),
        "calibration_intercept": fit.intercept,
        "calibration_intercept_se": fit.intercept_se,
        "calibration_slope": fit.slope,
        "calibration_slope_se": fit.slope_se,
        "top": [{"share": share, **metrics.flagged_summary(y, f)} for share, f in flags.items()],
    }
    if curves:
        fpr, tpr = ranked.roc_curve()
        recall, precision = ranked.pr_curve()
        out["calibration_curve"] = metrics.calibration_curve(y, p, cfg.calibration_bins)
        out["roc_curve"] = {"fpr": fpr.round(5).tolist(), "tpr": tpr.round(5).tolist()}
        out["pr_curve"] = {"recall": recall.round(5).tolist(), "precision": precision.round(5).tolist()}
    return out


def age_band_labels(age: np.ndarray, bands: tuple[int, ...]) -> np.ndarray:
    edges = list(bands)
    names = [f"{lo}-{hi - 1}" for lo, hi in itertools.pairwise(edges)] + [f"{edges[-1]}+"]
    idx = np.searchsorted(np.asarray(edges), np.nan_to_num(age, nan=-1), side="right") - 1
    labels = np.array(["unknown"] + names, dtype=object)
    return labels[np.where(np.isnan(age), 0, np.clip(idx, -1, len(names) - 1) + 1)]


def evaluate(
    y: np.ndarray,
    scores: dict[str, np.ndarray],
    groups: dict[str, np.ndarray],
    cfg: ModelConfig,
    seed: int = 0,
) -> dict:
    """Metrics of every score, overall (with curves) and in every group of every grouping."""
    y = y.astype(np.int8)
    flags = {name: {s: metrics.top_flags(p, s) for s in cfg.top_shares} for name, p in scores.items()}
    subsets: list[tuple[str | None, str | None, np.ndarray | None]] = [(None, None, None)]
    for grouping, labels in groups.items():
        for label in sorted(set(labels.tolist()), key=str):
            subsets.append((grouping, str(label), np.flatnonzero(labels == label)))
    parts = {}
    for grouping, label, rows in subsets:
        for name, p in scores.items():
            yy, pp = (y, p) if rows is None else (y[rows], p[rows])
            parts[(grouping, label, name)] = (metrics.Ranked(yy, pp), rows)
    # overall: a paired bootstrap of the persons; subgroups: closed-form intervals
    overall = {key: part for key, part in parts.items() if key[0] is None}
    ci = metrics.bootstrap(overall, len(y), cfg.bootstrap, seed, cfg.confidence)
    for key, (ranked, _) in parts.items():
        if key[0] is not None:
            ci[key] = metrics.analytic_intervals(ranked, cfg.confidence)
    out: dict = {
        "persons": len(y),
        "positives": int(y.sum()),
        "prevalence": float(y.mean()) if len(y) else float("nan"),
        "overall": {},
        "groups": {g: {} for g in groups},
    }
    for grouping, label, rows in subsets:
        entry = {}
        for name, p in scores.items():
            key = (grouping, label, name)
            ranked = parts[key][0]
            if rows is None:
                entry[name] = score_metrics(y, p, flags[name], cfg, ranked, ci[key], curves=True)
            else:
                entry[name] = score_metrics(y[rows], p[rows], {s: f[rows] for s, f in flags[name].items()},
                                            cfg, ranked, ci[key])
        if rows is None:
            out["overall"] = entry
        else:
            out["groups"][grouping][label] = {"persons": len(rows), "positives": int(y[rows].sum()),
                                              "scores": entry}
    return out
