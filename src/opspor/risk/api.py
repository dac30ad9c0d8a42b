"""What the web app and the demo call. Everything else in ``opspor.risk`` may change; these stay.

* :func:`latest_scores` — the newest stored scores of the selected model (a :class:`ScoreSet`:
  ``model_id``, ``as_of``, ``snapshot_id``, and ``person_key -> ScoreRow(score, rank_in_region,
  explanation)``; ``region(code)`` reads one region fast);
* :func:`select` — Aktiv Patientstøtte selection: eligible, not excluded, not already in the
  programme, top-ranked per region up to capacity;
* :func:`demo_step` — what ``opspor demo`` runs after loading the synthetic data.

Files live under ``$OPSPOR_HOME/risk`` (docs/risk.md).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path

from opspor import paths
from opspor.risk import registry, scoring
from opspor.risk import selection as selection_mod
from opspor.risk.scoring import ScoreRow, ScoreSet
from opspor.risk.selection import Selected

__all__ = ["ScoreRow", "ScoreSet", "Selected", "demo_step", "latest_scores", "select"]


def latest_scores(as_of: date | None = None) -> ScoreSet | None:
    """The newest stored scores of the selected model (for ``as_of`` when given); None when no
    model is selected or it has no stored scores."""
    model_id = registry.selected()
    if model_id is None:
        return None
    found = scoring.stored(model_id, as_of)
    return found[0] if found else None


def select(
    as_of: date,
    capacities: Mapping[str, int],
    already_in_programme: Iterable[str] = (),
) -> list[Selected]:
    """The persons to invite on ``as_of``: per region (``capacities``: region code -> places),
    the highest-ranked eligible persons who are not excluded and not ``already_in_programme``
    (person keys), in rank order. Scores ``as_of`` first if the selected model has no stored
    scores for it on the current snapshot. Raises ``opspor.risk.registry.RegistryError`` (no
    selected model, damaged or mismatched model), ``opspor.store.StoreError`` (no snapshot),
    ``opspor.risk.scoring.ScoringError`` (date outside the data) and
    ``opspor.risk.selection.SelectionError`` (a bad capacity)."""
    return selection_mod.select(as_of, capacities, already_in_programme).selected


def demo_truth_folder() -> Path | None:
    """Where ``opspor demo`` keeps the synthetic truth: ``$OPSPOR_HOME/demo/truth`` or the
    ``truth/`` folder ``opspor synth`` writes inside the drop."""
    for folder in (paths.home() / "demo" / "truth", paths.home() / "demo" / "drop" / "truth"):
        if folder.is_dir():
            return folder
    return None


def demo_step(as_of: date, truth: Path | None = None, lang: str = "da") -> dict:
    """Train both models on the current snapshot with temporal validation, put the boosted one
    in use through the governance steps, score everybody as of ``as_of`` and write the report;
    returns a small summary.

    The steps are recorded as the demo's programme lead (proposes, selects) and on-call doctor
    (approves), with a note saying that ``opspor demo`` recorded them on synthetic data: the demo
    shows a model in use; a real installation's approval is a person's, on the web page."""
    from opspor.risk import governance, jobs

    started = time.perf_counter()
    truth = truth if truth is not None else demo_truth_folder()
    trained = jobs.train(truth_dir=truth, lang=lang)
    chosen = trained["chosen"]
    note = "opspor demo: recorded by the demo set-up on synthetic data, not by a person"
    lead = governance.Actor("programleder", "opspor demo", "programme_lead", "region", "demo")
    doctor = governance.Actor("vagtlaege", "opspor demo", "doctor", "region", "demo")
    governance.propose(chosen, lead, note)
    governance.approve(chosen, doctor, note)
    governance.select(chosen, lead, note)
    scored = scoring.score(as_of, chosen, lang=lang)
    head = trained["headline"]
    return {
        "training_id": trained["training_id"],
        "model_id": chosen,
        "models": trained["models"],
        "score_id": scored["score_id"],
        "as_of": as_of.isoformat(),
        "test_as_of": trained["schedule"]["test_as_of"],
        "train_as_of": trained["schedule"]["train_as_of"],
        "persons_scored": scored["persons"],
        "auroc": head.get("boosted_auroc"),
        "truth_auroc": head.get("truth_auroc"),
        "auroc_ratio": head.get("ratio"),
        "calibration_slope": head.get("boosted_calibration_slope"),
        "report": trained["report"],
        "seconds": round(time.perf_counter() - started, 1),
    }
