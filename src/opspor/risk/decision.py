"""Decisions, not only discrimination: net benefit at the thresholds the nurses' capacity
implies, against inviting everybody eligible and against the fallback ranking by the count of
acute admissions, on a model's temporal test set; and the number needed to invite per
prevented admission under the published effect sizes.

:func:`test_set` recomputes a stored model's test as-of date (features, outcome, the model's
scores, Aktiv Patientstøtte eligibility) on the snapshot it was trained on. :func:`analyse`
works on the eligible persons, as the programme does:

* **Capacity.** Region r invites its ``capacity[r]`` highest-ranked eligible persons. The model's
  threshold in region r is the score of the last one invited; pooled over regions, the threshold
  ``p_t`` of the decision is the capacity-weighted mean of those (reported per region too).
* **Net benefit** (Vickers & Elkin 2006): ``NB = TP/n - FP/n * p_t / (1 - p_t)`` over the n
  eligible persons; "invite everybody eligible" has ``NB = prevalence - (1 - prevalence) *
  p_t / (1 - p_t)``; "invite by acute admissions" invites the same number per region ranked by
  the count of acute admissions in the period ``last_year`` of concepts.yaml (the programme
  pool's fallback ranking, web/aps), ties by person key. The decision curve adds the model and
  inviting everybody over a grid of thresholds, and the count ranking at the model's number
  invited at each threshold.
* **Number needed to invite** per prevented admission: ``1 / (PPV * uptake * (1 - RR))``, with
  PPV the share of the invited who are admitted without the programme (the test set's
  outcome), ``uptake`` the share who take part, and RR the admission rate ratio of each
  reference in ``monitor/data/references.yaml`` (the pilot 0.77; the national trial 1.0: no
  admission is prevented, so the number is infinite).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa

from opspor import engines
from opspor.monitor.references import references
from opspor.risk import registry, settings
from opspor.risk.features import FeatureSet
from opspor.risk.models.training import date_data
from opspor.risk.monitoring import group_labels
from opspor.risk.outcome import data_period
from opspor.rules import aps_eligibility, concepts
from opspor.store import SnapshotStore

THRESHOLD_GRID = tuple(round(x, 3) for x in np.linspace(0.02, 0.6, 30))


class DecisionError(registry.RegistryError):
    """The analysis cannot be made; the message says why and what to do."""


@dataclass
class TestSet:
    model_id: str
    as_of: date
    snapshot_id: str
    person_key: np.ndarray  # str
    y: np.ndarray  # 0/1
    p: np.ndarray  # the model's probability
    admissions: np.ndarray  # acute admissions in last_year (the fallback ranking)
    eligible: np.ndarray  # bool: eligible and not excluded on the as-of date
    groups: dict[str, np.ndarray]  # region, sex, age_band, municipality, residence -> labels


def test_set(model_id: str, store: SnapshotStore | None = None, engine: str | None = None) -> TestSet:
    """The stored model's test as-of date, recomputed on the snapshot it was trained on."""
    from opspor.risk.registry import check_schema, load_model

    model, record = load_model(model_id)
    schedule = record["training"]["schedule"]
    cfg = settings.load(horizon=record["config"]["outcome"]["horizon"])
    fs = FeatureSet(cfg.features)
    check_schema(record, fs)
    count_feature = f"acute_admissions_{concepts.shipped().days('last_year')}d"
    if count_feature not in fs.names:
        raise DecisionError(f"the fallback ranking needs the feature {count_feature} (acute admissions in "
                            f"last_year of concepts.yaml), which {cfg.features.file} does not compute. Fix: "
                            "add that window to `windows_days`")
    store = store or SnapshotStore()
    day = date.fromisoformat(schedule["test_as_of"])
    con = engines.connect(engine, store=store, snapshot=record["snapshot_id"])
    try:
        data = date_data(con, fs, cfg, day, data_period(con))
        eligible_keys = {r.person_key for r in aps_eligibility(con, day) if not r.excluded}
    finally:
        con.close()
    rows = data.rows
    frame = data.features
    keys = np.array(frame.person_key.take(pa.array(rows)).to_pylist(), dtype=object)
    labels = group_labels(frame, fs, None, cfg.model.age_bands)
    groups = {name: values[rows] for name, values in labels.items()}
    return TestSet(model_id, day, record["snapshot_id"], keys, data.y.astype(np.int8), model.predict(data.X),
                   frame.column(count_feature)[rows], np.array([k in eligible_keys for k in keys]), groups)


def _invite(order_score: np.ndarray, keys: np.ndarray, regions: np.ndarray, capacity: Mapping[str, int]) -> np.ndarray:
    """A mask of the persons invited: per region the ``capacity`` highest by score, ties by key."""
    out = np.zeros(len(keys), dtype=bool)
    for region, cap in capacity.items():
        idx = np.flatnonzero(regions == region)
        if cap <= 0 or len(idx) == 0:
            continue
        order = np.lexsort((keys[idx], -order_score[idx]))
        out[idx[order[:cap]]] = True
    return out


def net_benefit(y: np.ndarray, invited: np.ndarray, pt: float) -> float:
    n = len(y)
    tp = int((y[invited] == 1).sum())
    fp = int(invited.sum()) - tp
    return tp / n - fp / n * pt / (1 - pt)


def _summary(y: np.ndarray, invited: np.ndarray) -> dict:
    k = int(invited.sum())
    tp = int(y[invited].sum())
    return {"invited": k, "admitted": tp, "ppv": tp / k if k else None,
            "sensitivity": tp / int(y.sum()) if y.sum() else None}


def nni(ppv: float | None, uptake: float, rate_ratio: float) -> float | None:
    """Invited per prevented admission; None when nothing is prevented (rate ratio >= 1)."""
    prevented = (ppv or 0.0) * uptake * (1 - rate_ratio)
    return 1 / prevented if prevented > 0 else None


def analyse(ts: TestSet, capacity: Mapping[str, int], uptake: float = 1.0) -> dict:
    """Net benefit at the capacity threshold, the decision curve and the number needed to invite."""
    if not 0 < uptake <= 1:
        raise DecisionError(f"the uptake must lie in (0, 1], got {uptake}")
    e = ts.eligible
    if not e.any():
        raise DecisionError(f"nobody is eligible on {ts.as_of}: there is no decision to evaluate")
    y, p, keys, regions = ts.y[e], ts.p[e], ts.person_key[e], ts.groups["region"][e]
    counts = ts.admissions[e]
    unknown = sorted(set(capacity) - set(regions.tolist()))
    if unknown:
        raise DecisionError(f"no eligible person of region(s) {', '.join(unknown)} on {ts.as_of}; the regions "
                            f"with eligible persons are {', '.join(sorted(set(regions.tolist())))}")
    by_model = _invite(p, keys, regions, capacity)
    by_count = _invite(counts, keys, regions, capacity)
    per_region = {}
    weighted, total = 0.0, 0
    for region, cap in sorted(capacity.items()):
        mask = by_model & (regions == region)
        if mask.any():
            cut = float(p[mask].min())
            per_region[region] = {"capacity": cap, "eligible": int((regions == region).sum()),
                                  "invited": int(mask.sum()), "threshold": cut}
            weighted += cut * int(mask.sum())
            total += int(mask.sum())
    pt = weighted / total if total else float("nan")
    prevalence = float(y.mean())
    strategies = {
        "model": {**_summary(y, by_model), "net_benefit": net_benefit(y, by_model, pt)},
        "admissions_count": {**_summary(y, by_count), "net_benefit": net_benefit(y, by_count, pt)},
        "everybody": {**_summary(y, np.ones(len(y), dtype=bool)),
                      "net_benefit": prevalence - (1 - prevalence) * pt / (1 - pt)},
    }
    curve = []
    for t in THRESHOLD_GRID:
        invited = p >= t
        k = int(invited.sum())
        # the count ranking inviting as many as the model does at this threshold (pooled)
        order = np.lexsort((keys, -counts))
        by_count_k = np.zeros(len(y), dtype=bool)
        by_count_k[order[:k]] = True
        curve.append({"threshold": t, "invited": k, "model": net_benefit(y, invited, t),
                      "admissions_count": net_benefit(y, by_count_k, t),
                      "everybody": prevalence - (1 - prevalence) * t / (1 - t), "nobody": 0.0})
    refs = references()
    effects = {}
    for name in ("pilot", "national_trial"):
        ref = refs.get(name, {})
        rr = ref.get("admissions_rate_ratio", ref.get("admissions_6m_rate_ratio"))
        if rr is None:
            continue
        effects[name] = {"label_da": ref.get("label_da"), "label_en": ref.get("label_en"), "rate_ratio": rr,
                         "model": nni(strategies["model"]["ppv"], uptake, rr),
                         "admissions_count": nni(strategies["admissions_count"]["ppv"], uptake, rr),
                         "everybody": nni(prevalence, uptake, rr)}
    return {"model_id": ts.model_id, "as_of": ts.as_of.isoformat(), "snapshot_id": ts.snapshot_id,
            "persons": len(ts.y), "eligible": int(e.sum()), "admitted": int(y.sum()), "prevalence": prevalence,
            "capacity": dict(capacity), "threshold": pt, "by_region": per_region, "strategies": strategies,
            "curve": curve, "uptake": uptake, "number_needed_to_invite": effects,
            "invited_mask": by_model}

