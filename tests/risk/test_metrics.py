"""The evaluation metrics agree with scikit-learn and with what calibration means."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from opspor.risk import config, settings
from opspor.risk.evaluation import metrics
from opspor.risk.evaluation.evaluate import age_band_labels, evaluate


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_auroc_and_average_precision_match_scikit_learn_with_ties(seed):
    rng = np.random.default_rng(seed)
    n = 5000
    p = np.round(rng.beta(1, 8, n), 2)  # many ties
    y = (rng.random(n) < p).astype(np.int8)
    assert metrics.auroc(y, p) == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    assert metrics.average_precision(y, p) == pytest.approx(average_precision_score(y, p), abs=1e-12)
    assert metrics.brier(y, p) == pytest.approx(brier_score_loss(y, p))


def test_bootstrap_intervals_cover_the_estimate_and_narrow_with_more_persons():
    rng = np.random.default_rng(5)
    widths = []
    for n in (2000, 20000):
        p = rng.beta(1, 10, n)
        y = (rng.random(n) < p).astype(np.int8)
        ranked = metrics.Ranked(y, p)
        ci = metrics.bootstrap({"all": (ranked, None)}, n, 200, 0, 0.95)["all"]
        assert ci["auroc"][0] < ranked.auroc() < ci["auroc"][1]
        assert ci["auprc"][0] < ranked.average_precision() < ci["auprc"][1]
        widths.append(ci["auroc"][1] - ci["auroc"][0])
    assert widths[1] < widths[0] / 2


def test_calibration_slope_and_intercept():
    rng = np.random.default_rng(7)
    n = 200_000
    logit = rng.normal(-3, 1.2, n)
    p = 1 / (1 + np.exp(-logit))
    y = (rng.random(n) < p).astype(np.int8)
    fit = metrics.calibration_fit(y, p)
    assert fit.slope == pytest.approx(1, abs=0.04) and fit.intercept == pytest.approx(0, abs=0.03)
    over = 1 / (1 + np.exp(-(2 * logit + 3)))  # too extreme: slope about 0.5
    assert metrics.calibration_fit(y, over).slope == pytest.approx(0.5, abs=0.03)
    high = 1 / (1 + np.exp(-(logit + 0.5)))  # too high throughout: intercept about -0.5
    assert metrics.calibration_fit(y, high).intercept == pytest.approx(-0.5, abs=0.04)
    curve = metrics.calibration_curve(y, p, 10)
    assert len(curve) == 10 and sum(b["n"] for b in curve) == n
    assert all(abs(b["predicted"] - b["observed"]) < 0.01 for b in curve)


def test_top_shares_flag_the_highest_scores():
    p = np.array([0.9, 0.1, 0.8, 0.2, 0.7, 0.3, 0.6, 0.4, 0.5, 0.05])
    y = np.array([1, 0, 0, 0, 1, 0, 0, 1, 0, 0])
    flags = metrics.top_flags(p, 0.2)
    assert flags.tolist() == [True, False, True] + [False] * 7
    s = metrics.flagged_summary(y, flags)
    assert s == {"flagged": 2, "true_positives": 1, "sensitivity": 1 / 3, "ppv": 0.5}
    assert metrics.top_flags(p, 0.01).sum() == 1  # at least one person once the share is above 0


def test_evaluate_overall_and_by_group():
    rng = np.random.default_rng(3)
    n = 3000
    truth = rng.beta(1, 12, n)
    y = (rng.random(n) < truth).astype(np.int8)
    model = np.clip(truth + rng.normal(0, 0.02, n), 0.001, 0.999)
    sex = np.where(rng.random(n) < 0.5, "M", "F").astype(object)
    age = rng.integers(0, 100, n).astype(float)
    cfg = settings.load(config.CONFIG_DIR).model
    ev = evaluate(y, {"boosted": model, "truth": truth}, {"sex": sex, "age_band": age_band_labels(age, cfg.age_bands)},
                  cfg)
    assert ev["persons"] == n and ev["positives"] == int(y.sum())
    assert ev["overall"]["truth"]["auroc"] == pytest.approx(roc_auc_score(y, truth))
    assert set(ev["groups"]["sex"]) == {"F", "M"}
    assert set(ev["groups"]["age_band"]) == {"0-17", "18-39", "40-54", "55-64", "65-74", "75-84", "85+"}
    flagged = sum(g["scores"]["boosted"]["top"][0]["flagged"] for g in ev["groups"]["sex"].values())
    assert flagged == ev["overall"]["boosted"]["top"][0]["flagged"] == 30


def test_age_bands():
    labels = age_band_labels(np.array([0, 17, 18, 64, 65, 84, 85, 110, np.nan]), (0, 18, 65, 85))
    assert labels.tolist() == ["0-17", "0-17", "18-64", "18-64", "65-84", "65-84", "85+", "85+", "unknown"]
