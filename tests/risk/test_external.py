"""External validation across regions through the real command line (``opspor risk
validate-external``) on the shared trained population."""

from __future__ import annotations

import json

import numpy as np
import pytest

from opspor.risk.external import recalibrated, recalibrations
from tests.risk.risk_kit import Cli


def test_recalibration_recovers_a_known_miscalibration():
    rng = np.random.default_rng(1)
    true = rng.uniform(0.02, 0.5, 40_000)
    y = (rng.random(true.size) < true).astype(np.int8)
    odds = true / (1 - true)
    p = 1 / (1 + 1 / (odds ** 0.5 * 0.5))  # logit p = log 0.5 + 0.5 logit(true): too flat and too low
    fits = recalibrations(y, p)
    a, b = fits["logistic"]
    assert b == pytest.approx(2.0, abs=0.15) and a == pytest.approx(-2 * np.log(0.5), abs=0.2)
    q = recalibrated(p, a, b)
    assert q.sum() == pytest.approx(y.sum(), rel=0.03)
    a1, b1 = fits["in_the_large"]
    assert b1 == 1.0 and recalibrated(p, a1, b1).sum() == pytest.approx(y.sum(), rel=0.05)


def test_develop_on_one_region_validate_on_the_others(trained, home, tmp_path):
    cli = Cli(home, trained.cprs)
    result = cli("risk", "validate-external", "--train-region", "1083", "--out", tmp_path / "e.json")
    e = json.loads((tmp_path / "e.json").read_text())
    assert e["train_region"] == "1083" and e["kind"] == "boosted"
    assert e["schedule"]["test_as_of"] == "2025-07-01"
    regions = {r["region"]: r for r in e["regions"]}
    assert len(regions) >= 3 and regions["1083"]["role"] == "development"
    assert "in_the_large" not in regions["1083"]
    persons = sum(r["as_developed"]["persons"] for r in e["regions"])
    # the development rows are region 1083's only: fewer than the whole population's four dates
    assert e["development"]["rows"] < 4 * persons / 2
    for code, r in regions.items():
        f = r["as_developed"]
        assert 0.5 < f["auroc"] < 1 and f["auroc_low"] < f["auroc"] < f["auroc_high"]
        assert f["ratio_low"] <= f["ratio"] <= f["ratio_high"]
        if r["role"] == "external":
            assert r["recalibration"]["logistic"]["fitted_on"] == e["schedule"]["train_as_of"][-1]
            # a monotone recalibration keeps the ranking: AUROC unchanged
            assert r["logistic"]["auroc"] == pytest.approx(f["auroc"], abs=1e-6)
            assert r["in_the_large"]["auroc"] == pytest.approx(f["auroc"], abs=1e-6)
            assert r["logistic"]["persons"] == f["persons"]
    assert "External validation of a boosted model developed on region 1083" in result.stdout
    assert "recalibrated (logistic)" in result.stdout
    assert (home / "risk" / "external").is_dir() and len(list((home / "risk" / "external").iterdir())) == 1


def test_external_validation_refuses_bad_input(trained, home):
    cli = Cli(home, trained.cprs)
    assert "not a 4-digit region code" in cli("risk", "validate-external", "--train-region", "Syd", expect=2).output
    assert "use logistic or boosted" in cli("risk", "validate-external", "--train-region", "1083", "--kind", "x",
                                            expect=2).output
    out = cli("risk", "validate-external", "--train-region", "1099", expect=1).output
    assert "region 1099 has no persons on 2025-07-01" in out and "--train-region" in out
