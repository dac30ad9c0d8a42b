"""Feature drift: the population stability index (PSI) of each feature, a scored population
against the model's training data.

``PSI = sum over bins of (a - e) * ln(a / e)``, with ``e`` the training share and ``a`` the
scored population's share of a bin (both floored at :data:`FLOOR` so an empty bin is finite).
Numbers are cut at the training data's quantiles into at most ``bins`` groups (fewer when values
repeat: a count that is mostly 0 has few distinct cut points) plus one group for "missing";
categories and flags are counted by value, "missing" again a value of its own. The profile of the
training data (cut points and shares) is computed once per model and kept beside the monitoring
runs, so every month is compared with the same reference.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FLOOR = 1e-4
PROFILE_FORMAT = "opspor.risk.drift-profile/1"


@dataclass(frozen=True)
class FeatureProfile:
    name: str
    kind: str  # numeric, binary or categorical (the feature's kind)
    edges: tuple[float, ...]  # numeric: inner cut points (bin i is edges[i-1] <= x < edges[i])
    values: tuple[float, ...]  # binary/categorical: the values seen in training
    shares: tuple[float, ...]  # training share per bin, "missing" (and for values: "other") last

    def as_dict(self) -> dict:
        return {"name": self.name, "kind": self.kind, "edges": list(self.edges), "values": list(self.values),
                "shares": list(self.shares)}

    @classmethod
    def from_dict(cls, d: dict) -> FeatureProfile:
        return cls(d["name"], d["kind"], tuple(d["edges"]), tuple(d["values"]), tuple(d["shares"]))


def _counts(profile_kind: str, edges: tuple[float, ...], values: tuple[float, ...], x: np.ndarray) -> np.ndarray:
    missing = np.isnan(x)
    present = x[~missing]
    if profile_kind == "numeric":
        counts = np.bincount(np.searchsorted(np.asarray(edges), present, side="right"),
                             minlength=len(edges) + 1).astype(float)
    else:
        known = np.asarray(values)
        idx = np.searchsorted(known, present)
        idx = np.clip(idx, 0, max(len(known) - 1, 0))
        hit = known[idx] == present if len(known) else np.zeros(len(present), bool)
        counts = np.append(np.bincount(idx[hit], minlength=len(known)).astype(float), float((~hit).sum()))
    return np.append(counts, float(missing.sum()))


def profile(name: str, kind: str, x: np.ndarray, bins: int) -> FeatureProfile:
    """The training data's profile of one feature."""
    present = x[~np.isnan(x)]
    edges: tuple[float, ...] = ()
    values: tuple[float, ...] = ()
    if kind == "numeric":
        if len(present):
            qs = np.quantile(present, np.linspace(0, 1, bins + 1)[1:-1])
            edges = tuple(float(v) for v in np.unique(qs))
            # a cut at the minimum would leave its bin empty: values below it never occur
            edges = tuple(e for e in edges if e > present.min())
    else:
        values = tuple(float(v) for v in np.unique(present))
    counts = _counts(kind, edges, values, x)
    return FeatureProfile(name, kind, edges, values, tuple((counts / max(len(x), 1)).tolist()))


def shares(p: FeatureProfile, x: np.ndarray) -> np.ndarray:
    return _counts(p.kind, p.edges, p.values, x) / max(len(x), 1)


def psi(expected: np.ndarray, actual: np.ndarray) -> float:
    e = np.maximum(np.asarray(expected, float), FLOOR)
    a = np.maximum(np.asarray(actual, float), FLOOR)
    return float(((a - e) * np.log(a / e)).sum())


def feature_psi(p: FeatureProfile, x: np.ndarray) -> float:
    return psi(np.asarray(p.shares), shares(p, x))
