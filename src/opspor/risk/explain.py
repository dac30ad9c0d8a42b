"""Short explanations of scores: the feature groups that raised a person's score the most.

For each explanation group (``features.yaml``: e.g. all acute-admission counts and their
recency; each chronic condition on its own) the group's features are set to a typical person's
values (``RiskModel.reference``: medians, the most frequent category) and the model scores the
person again. The group's contribution is the drop in log-odds, ``logit(p) - logit(p without the
group)``; the ``top`` groups with the largest positive contributions are written out with the
person's own values, e.g. ``"3 akutte indlæggelser sidste 3 mdr.; KOL; 87 år"``.

This is an occlusion explanation: exact for the logistic model (additive on the log-odds),
an approximation for the boosted trees, where groups interact. Only rows whose group values
differ from the reference are scored again, and groups that are never named (``texts: []``)
not at all, which keeps it cheap.
"""

from __future__ import annotations

import numpy as np

from opspor.i18n import number
from opspor.risk.evaluation.metrics import logit
from opspor.risk.config import ExplainText
from opspor.risk.features import FeatureSet
from opspor.risk.models.estimators import RiskModel

MIN_CONTRIBUTION = 0.01  # log-odds; smaller rises are not worth naming
SEPARATOR = "; "


LOGIT_EPS = 1e-9  # explanations compare log-odds of near-certain scores too


def contributions(model: RiskModel, fs: FeatureSet, X: np.ndarray, p: np.ndarray | None = None,
                  batch_rows: int = 400_000) -> np.ndarray:
    """Log-odds contribution of every explanation group (columns, in ``fs.explain`` order).

    The changed copies of all groups are stacked and scored together in batches of about
    ``batch_rows`` rows: one prediction call per batch instead of one per group."""
    if p is None:
        p = model.predict(X)
    base = logit(p, LOGIT_EPS)
    out = np.zeros((X.shape[0], len(fs.explain)), dtype=np.float32)
    ref = model.reference
    pending: list[tuple[int, np.ndarray, np.ndarray]] = []  # (group, rows, changed copies)
    size = 0

    def flush() -> None:
        nonlocal pending, size
        if not pending:
            return
        scored = logit(model.predict(np.concatenate([c for _, _, c in pending])), LOGIT_EPS)
        at = 0
        for g, rows, changed in pending:
            out[rows, g] = base[rows] - scored[at:at + len(changed)]
            at += len(changed)
        pending, size = [], 0

    for g, spec in enumerate(fs.explain):
        if not spec.condition and not spec.texts:
            continue  # a silent group is never named: no need to measure it
        cols = list(spec.columns)
        values, target = X[:, cols], ref[cols]
        same = (values == target) | (np.isnan(values) & np.isnan(target))
        rows = np.flatnonzero(~same.all(axis=1))
        for start in range(0, rows.size, batch_rows):
            part = rows[start:start + batch_rows]
            changed = X[part].copy()
            changed[:, cols] = target
            pending.append((g, part, changed))
            size += len(part)
            if size >= batch_rows:
                flush()
    flush()
    return out


def _number(value: float, lang: str) -> str:
    if abs(value - round(value)) < 1e-6 or abs(value) >= 10:
        return str(round(value))
    return number(f"{value:.1f}", lang)


def _holds(when: str | None, fs: FeatureSet, row: np.ndarray) -> bool:
    if when is None:
        return True
    name, _, category = when.partition("=")
    value = row[fs.index[name]]
    if np.isnan(value):
        return False
    feature = fs.features[fs.index[name]]
    if category and feature.categories:
        return feature.categories[int(value)] == category
    if category:
        return bool(value == float(category))
    return value > 0


def _text(texts: tuple[ExplainText, ...], fs: FeatureSet, row: np.ndarray, lang: str) -> str | None:
    for t in texts:
        if _holds(t.when, fs, row):
            template = getattr(t, lang)
            values = {name: _number(float(row[i]), lang) for name, i in fs.index.items()
                      if "{" + name in template}
            if "{conditions}" in template:  # the person's conditions by name
                values["conditions"] = ", ".join(
                    getattr(c, lang) for c in fs.cfg.conditions if row[fs.index[f"cond_{c.name}"]] > 0)
            return template.format(**values)
    return None


def texts(fs: FeatureSet, X: np.ndarray, contrib: np.ndarray, lang: str = "da",
          top: int | None = None) -> list[str]:
    """The explanation of every row: its ``top`` groups with the largest positive contributions."""
    top = top or fs.cfg.explain_top
    labels = {c.name: getattr(c, lang) for c in fs.cfg.conditions}
    order = np.argsort(-contrib, axis=1)
    out = []
    for r in range(X.shape[0]):
        parts = []
        for g in order[r]:
            if contrib[r, g] < MIN_CONTRIBUTION or len(parts) == top:
                break
            spec = fs.explain[g]
            text = labels[spec.condition] if spec.condition else _text(spec.texts, fs, X[r], lang)
            if text and not any(text in p for p in parts):  # silent groups and repeats skipped
                parts.append(text)
        out.append(SEPARATOR.join(parts))
    return out


def explain(model: RiskModel, fs: FeatureSet, X: np.ndarray, p: np.ndarray | None = None,
            lang: str = "da") -> list[str]:
    return texts(fs, X, contributions(model, fs, X, p), lang)
