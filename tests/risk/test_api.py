"""``opspor.risk.api.demo_step``: what ``opspor demo`` runs after loading the synthetic data."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from tests.risk.risk_kit import env_for


@pytest.mark.slow
def test_demo_step_trains_selects_scores_and_reports(home, trained, monkeypatch):
    from opspor.risk import api, registry

    for name, value in env_for(home).items():
        if name.startswith("OPSPOR_"):
            monkeypatch.setenv(name, value)
    shutil.copytree(trained.truth, home / "demo" / "truth")  # where the demo keeps it
    assert api.demo_truth_folder() == home / "demo" / "truth"
    summary = api.demo_step(dt.date(2025, 12, 31))
    assert summary["model_id"] == registry.selected() == summary["models"]["boosted"]
    assert summary["test_as_of"] == "2025-07-01" and summary["as_of"] == "2025-12-31"
    assert 0.5 < summary["auroc"] < 1 and 0.5 < summary["truth_auroc"] < 1
    assert summary["auroc_ratio"] == pytest.approx(summary["auroc"] / summary["truth_auroc"])
    assert summary["persons_scored"] > 5000
    scores = api.latest_scores()
    assert scores.score_id == summary["score_id"]
    assert (home / "risk" / "reports").is_dir() and summary["report"].endswith("report.html")
