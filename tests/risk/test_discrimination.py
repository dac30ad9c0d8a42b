"""Issue 5's and issue 17 item 7's criteria at small scale: on a synthetic population the boosted
model comes close to the generator's true probabilities (AUROC) with a calibration slope near 1.

The full-size measurements (a seed never used while developing) are in docs/risk.md ("Measured"
and "Beyond the anchors"). Here 60,000 persons (2022-2025, test as-of 2025-07-01, the shipped
configuration and config/long_history) go through the real commands: ``synth``, ``ingest``,
``risk train --truth``. At this size the test period has about 2,400 admitted persons, so the
AUROCs carry a standard error of about 0.006, and the trees stop earlier than at full size
(full size, seed 71: ratio 0.958 shipped, 0.971 long history). Measured with the tests' key:
seed 41 (this test) 0.953 and 0.962, seeds 42 and 43 0.950-0.951 and 0.954-0.957, slopes
0.96-1.00, truth 0.802-0.804; version 1 of the configuration gave 0.942 on this seed. Bounds:
ratio >= 0.945 (shipped) and >= 0.95 (long history), slope in [0.85, 1.15], truth AUROC in
[0.75, 0.85].
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
@pytest.mark.parametrize(("folder", "ratio"), [(CONFIG_DIR, 0.945), (CONFIG_DIR / "long_history", 0.95)],
                         ids=["shipped", "long_history"])
def test_boosted_model_comes_close_to_the_true_probabilities(tmp_path, folder, ratio):
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
    shipped = {"OPSPOR_RISK_CONFIG": str(folder)}  # not the cheaper test model.yaml
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
    assert boosted["auroc"] / truth_auroc >= ratio, figures
    assert 0.85 <= boosted["calibration_slope"] <= 1.15, figures
