"""Fairness at the capacity threshold: sensitivity, PPV and calibration by sex, age band,
municipality and residence type, with intervals, and the judgement of ``governance.yaml``
``fairness``.

On the eligible persons of a model's test set (opspor.risk.decision) with the persons the model
invites at the given capacity, per group:

* **sensitivity**: the share of the group's admissions among its invited (Wilson interval, :func:`opspor.monitor.rates.wilson`);
* **PPV**: the share of the group's invited who are admitted (Wilson interval);
* **calibration**: observed / expected admissions (O/E; expected = the sum of the model's
  probabilities) with the exact interval, calibration-in-the-large and slope with intervals —
  the figures monitoring computes per unit (:func:`opspor.risk.monitoring.unit_figures`);
* the share of the group among the invited against its share of the eligible.

**Judgement** (the limits in ``governance.yaml``, ``fairness``): a group with fewer than
``min_admissions`` admissions is "too small to judge"; otherwise it is **flagged** when its O/E
interval lies wholly outside ``[oe_low, oe_high]`` (the model is systematically wrong for the
group), or its PPV interval lies wholly below ``ppv_ratio_min`` × the overall PPV (an invitation
is worth less for it). Sensitivity differs between groups by design when their risks differ (a
capacity-limited programme invites the highest risks), so it is shown, not judged.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

from opspor.monitor.rates import wilson
from opspor.risk.decision import TestSet
from opspor.risk.monitoring import unit_figures

GROUPINGS = ("sex", "age_band", "municipality", "residence")


def _share(k: int, n: int, z: float) -> tuple[float | None, list]:
    if n == 0:
        return None, [None, None]
    low, high = wilson(k, n, z)
    return k / n, [low, high]


def _row(y: np.ndarray, p: np.ndarray, inv: np.ndarray, confidence: float, z: float,
         eligible_total: int, invited_total: int) -> dict:
    n, k = len(y), int(inv.sum())
    adm = int(y.sum())
    tp = int(y[inv].sum())
    sensitivity, sensitivity_ci = _share(tp, adm, z)
    ppv, ppv_ci = _share(tp, k, z)
    return {"eligible": n, "invited": k, "admitted": adm, "invited_admitted": tp,
            "share_of_eligible": n / eligible_total if eligible_total else None,
            "share_of_invited": k / invited_total if invited_total else None,
            "sensitivity": sensitivity, "sensitivity_ci": sensitivity_ci, "ppv": ppv, "ppv_ci": ppv_ci,
            "calibration": unit_figures(y, p, confidence)}


def analyse(ts: TestSet, invited: np.ndarray, limits: dict, confidence: float = 0.95) -> dict:
    """Per grouping and group, the figures above and the judgement. ``invited`` is the mask over
    the eligible persons of ``ts`` (opspor.risk.decision.analyse's ``invited_mask``)."""
    z = NormalDist().inv_cdf((1 + confidence) / 2)
    e = ts.eligible
    y, p = ts.y[e], ts.p[e]
    total = int(invited.sum())
    overall = _row(y, p, invited, confidence, z, len(y), total)
    out = {"model_id": ts.model_id, "as_of": ts.as_of.isoformat(), "confidence": confidence, "limits": limits,
           "overall": overall, "groups": {}, "flagged": []}
    for grouping in GROUPINGS:
        labels = ts.groups[grouping][e]
        rows = {}
        for label in sorted(set(labels.tolist()), key=str):
            m = labels == label
            row = _row(y[m], p[m], invited[m], confidence, z, len(y), total)
            row["judgement"], row["why"] = judge(row, overall, limits)
            if row["judgement"] == "flagged":
                out["flagged"].append(f"{grouping} {label}: {row['why']}")
            rows[str(label)] = row
        out["groups"][grouping] = rows
    return out


def judge(row: dict, overall: dict, limits: dict) -> tuple[str, str]:
    """``too_small``, ``flagged`` (with why) or ``acceptable`` under ``governance.yaml`` ``fairness``."""
    if row["admitted"] < limits["min_admissions"]:
        return "too_small", f"fewer than {limits['min_admissions']} admissions"
    why = []
    cal = row["calibration"]
    low, high = cal["ratio_low"], cal["ratio_high"]
    if low is not None and (low > limits["oe_high"] or high < limits["oe_low"]):
        why.append(f"O/E {cal['ratio']:.2f} [{low:.2f}; {high:.2f}] outside {limits['oe_low']}-{limits['oe_high']}")
    ppv_high = row["ppv_ci"][1]
    if ppv_high is not None and overall["ppv"] and ppv_high < limits["ppv_ratio_min"] * overall["ppv"]:
        why.append(f"PPV {row['ppv']:.3f} (upper {ppv_high:.3f}) below {limits['ppv_ratio_min']} × overall "
                   f"{overall['ppv']:.3f}")
    return ("flagged", "; ".join(why)) if why else ("acceptable", "")
