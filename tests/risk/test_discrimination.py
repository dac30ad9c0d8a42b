"""Issue 5's done-when criterion at small scale: on a synthetic population the boosted model comes
within 0.95 of the generator's true probabilities (AUROC) with a calibration slope near 1.

The full-size measurement (300,000 persons, a seed never used while developing) is in
docs/risk.md. Here 60,000 persons (2022-2025, test as-of 2025-07-01, 6 training dates, the
shipped configuration) go through the real commands: ``synth``, ``ingest``, ``risk train
--truth``. At this size the test period has about 2,400 admitted persons, so the AUROCs carry a
standard error of about 0.006 and the ratio varies by about ±0.01 between seeds; the bounds
below leave that room, and the trees' loss of about 0.01 with fewer rows, below the full-size
figures (ratio 0.950-0.955, slope 1.00-1.01): ratio >= 0.93,
slope in [0.85, 1.15], truth AUROC in [0.75, 0.85]. Seeds 41-43 gave ratios 0.937-0.952 before
this test was fixed; this seed with the tests' key: truth 0.804, ratio 0.942, slope 1.006
(docs/risk.md).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pyarrow.parquet as pq
import pytest

from opspor.risk.config import CONFIG_DIR
from opspor.synth import Options, generate
from tests.risk.risk_kit import Cli

PERSONS = 60_000
SEED = 41


@pytest.mark.slow
def test_boosted_model_comes_close_to_the_true_probabilities(tmp_path):
    drop = tmp_path / "drop"
    generate(
        Options(
            persons=PERSONS,
            start=dt.date(2022, 1, 1),
            end=dt.date(2025, 12, 31),
            seed=SEED,
            out=drop,
            fmt="parquet",
            workers=1,
        )
    )
    truth = tmp_path / "truth"
    shutil.move(drop / "truth", truth)
    cprs = set(pq.read_table(drop / "persons.parquet", columns=["cpr"]).column("cpr").to_pylist())
    cli = Cli(tmp_path / "home", cprs)
    shipped = {"OPSPOR_RISK_CONFIG": str(CONFIG_DIR)}  # not the cheaper test model.yaml
    cli("ingest", drop)
    cli("risk", "train", "--truth", truth, env=shipped)

    (report,) = (tmp_path / "home" / "risk" / "reports").glob("*/evaluation.json")
    overall = json.loads(report.read_text(encoding="utf-8"))["evaluation"]["overall"]
    truth_auroc, boosted = overall["truth"]["auroc"], overall["boosted"]
    figures = {
        "truth": round(truth_auroc, 4),
        "boosted": round(boosted["auroc"], 4),
        "ratio": round(boosted["auroc"] / truth_auroc, 4),
        "slope": round(boosted["calibration_slope"], 3),
    }
    print(figures)  # shown with -s
    assert 0.75 <= truth_auroc <= 0.85, figures
    assert boosted["auroc"] / truth_auroc >= 0.93, figures
    assert 0.85 <= boosted["calibration_slope"] <= 1.15, figures
