"""Stored risk scores as ``opspor risk train`` and ``opspor risk score`` leave them under
``$OPSPOR_HOME/risk`` (registry layout, docs/risk.md): a selected model's record (with the risk
configuration's description, ``RiskConfig.describe()``), its training run's report and a scores
file with explanations. The web app reads them with the real ``opspor.risk.api``; training a model
here would take minutes and is tested in tests/risk."""

from __future__ import annotations

import json
from pathlib import Path

MODEL_ID = "20261201T060000Z-0a1b2c3d"
TRAINING_ID = "20261201T055900Z-4e5f6a7b"
SCORE_ID = "20261201T061500Z-8c9d0e1f"
REPORT = "<!doctype html><html><body><h1>Evaluering af risikomodellen</h1><p>AUROC 0,79</p></body></html>"


def store(home: Path, rows: list[tuple[str, str, float, str | None]], *, report: bool = True) -> None:
    """Write the selected model, its report and ``rows`` (person_key, region, score 0-1,
    explanation) as its newest scores."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from opspor.risk import registry, scoring, settings

    risk = home / "risk"
    model = risk / "models" / MODEL_ID
    model.mkdir(parents=True)
    (model / registry.RECORD_FILE).write_text(json.dumps({
        "format": registry.MODEL_FORMAT, "model_id": MODEL_ID, "kind": "boosted", "training_id": TRAINING_ID,
        "config": settings.load().describe()}), encoding="utf-8")
    (risk / "SELECTED").write_text(MODEL_ID + "\n", encoding="utf-8")
    if report:
        (risk / "reports" / TRAINING_ID).mkdir(parents=True)
        (risk / "reports" / TRAINING_ID / "report.html").write_text(REPORT, encoding="utf-8")
    scores = risk / "scores" / SCORE_ID
    scores.mkdir(parents=True)
    ranked = sorted(rows, key=lambda r: -r[2])
    pq.write_table(pa.table({
        "person_key": [r[0] for r in ranked], "region_code": [r[1] for r in ranked],
        "score": [r[2] for r in ranked], "rank_in_region": list(range(1, len(ranked) + 1)),
        "explanation": pa.array([r[3] for r in ranked], pa.string())}), scores / scoring.SCORES_FILE)
    (scores / scoring.SCORE_RECORD).write_text(json.dumps({
        "format": scoring.SCORE_FORMAT, "score_id": SCORE_ID, "model_id": MODEL_ID, "snapshot_id": "snap",
        "as_of": "2026-03-04", "persons": len(rows), "language": "da"}), encoding="utf-8")
