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

Each judged row keeps its **reasons** as data (``reasons``: kind and figures) and the record lists
the flagged groups with theirs (``flagged_groups``), so the model card words them in its own
language and number format (:func:`reason_text`); ``why`` and ``flagged`` hold the English words
of the command line.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

from opspor.i18n import decimal, number
from opspor.monitor.rates import wilson
from opspor.risk.decision import TestSet
from opspor.risk.monitoring import unit_figures
from opspor.risk.texts import t

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
           "overall": overall, "groups": {}, "flagged": [], "flagged_groups": []}
    for grouping in GROUPINGS:
        labels = ts.groups[grouping][e]
        rows = {}
        for label in sorted(set(labels.tolist()), key=str):
            m = labels == label
            row = _row(y[m], p[m], invited[m], confidence, z, len(y), total)
            row["judgement"], row["reasons"] = judge(row, overall, limits)
            row["why"] = reason_text(row["reasons"], "en")
            if row["judgement"] == "flagged":
                out["flagged"].append(f"{grouping} {label}: {row['why']}")
                out["flagged_groups"].append({"grouping": grouping, "label": str(label), "reasons": row["reasons"]})
            rows[str(label)] = row
        out["groups"][grouping] = rows
    return out


def judge(row: dict, overall: dict, limits: dict) -> tuple[str, list[dict]]:
    """``too_small``, ``flagged`` or ``acceptable`` under ``governance.yaml`` ``fairness``, with
    the reasons as data (kind and figures; none when acceptable)."""
    if row["admitted"] < limits["min_admissions"]:
        return "too_small", [{"kind": "too_small", "min": limits["min_admissions"]}]
    reasons = []
    cal = row["calibration"]
    low, high = cal["ratio_low"], cal["ratio_high"]
    if low is not None and (low > limits["oe_high"] or high < limits["oe_low"]):
        reasons.append({"kind": "oe", "ratio": cal["ratio"], "low": low, "high": high,
                        "limit_low": limits["oe_low"], "limit_high": limits["oe_high"]})
    ppv_high = row["ppv_ci"][1]
    if ppv_high is not None and overall["ppv"] and ppv_high < limits["ppv_ratio_min"] * overall["ppv"]:
        reasons.append({"kind": "ppv", "ppv": row["ppv"], "upper": ppv_high, "ratio_min": limits["ppv_ratio_min"],
                        "overall": overall["ppv"]})
    return ("flagged" if reasons else "acceptable"), reasons


def _limit(value: float, lang: str) -> str:
    return number(f"{value:g}", lang)  # as configured: 0.8, 1.25


def reason_text(reasons: list[dict], lang: str) -> str:
    """The reasons of a judgement as words in ``lang`` (its number format); "" when none."""
    words = []
    for r in reasons:
        if r["kind"] == "too_small":
            words.append(t("fairness_too_small", lang, min=r["min"]))
        elif r["kind"] == "oe":
            words.append(t("fairness_oe", lang, ratio=decimal(r["ratio"], 2, lang), low=decimal(r["low"], 2, lang),
                           high=decimal(r["high"], 2, lang), limit_low=_limit(r["limit_low"], lang),
                           limit_high=_limit(r["limit_high"], lang)))
        else:
            words.append(t("fairness_ppv", lang, ppv=decimal(r["ppv"], 3, lang), upper=decimal(r["upper"], 3, lang),
                           ratio_min=_limit(r["ratio_min"], lang), overall=decimal(r["overall"], 3, lang)))
    return "; ".join(words)
