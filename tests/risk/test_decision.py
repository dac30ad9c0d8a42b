"""Decisions and fairness at the capacity threshold through the real command line
(``opspor risk decision``, ``opspor risk fairness``) on the shared trained population."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from opspor.monitor.references import references
from opspor.risk.config import CONFIG_DIR
from tests.risk import risk_kit
from tests.risk.risk_kit import Cli

CAPS = ("--capacity", "1083=60", "--capacity", "1084=60", "--capacity", "1085=60")


def _config(folder: Path, *changes: tuple[str, str]) -> Path:
    """The tests' risk configuration with governance.yaml's text changed (old, new)."""
    shutil.copytree(Path(risk_kit.CONFIG["OPSPOR_RISK_CONFIG"]), folder)
    text = (CONFIG_DIR / "governance.yaml").read_text()
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new)
    (folder / "governance.yaml").write_text(text)
    return folder


@pytest.fixture(scope="module")
def decided(trained, tmp_path_factory):
    folder = tmp_path_factory.mktemp("decision")
    cli = Cli(trained.home, trained.cprs)
    result = cli("risk", "decision", *CAPS, "--out", folder / "d.json", "--plot", folder / "d.png")
    return result, json.loads((folder / "d.json").read_text()), folder


def test_net_benefit_at_the_capacity_threshold(decided, trained):
    result, d, folder = decided
    assert f"Decision on the test set of model {trained.models['boosted']} (2025-07-01)" in result.stdout
    assert (folder / "d.png").read_bytes()[:4] == b"\x89PNG"
    s = d["strategies"]
    eligible, prevalence, pt = d["eligible"], d["prevalence"], d["threshold"]
    assert s["everybody"]["invited"] == eligible
    # the model and the count ranking invite the same number: each region's capacity
    assert s["model"]["invited"] == s["admissions_count"]["invited"] == sum(
        min(v["capacity"], v["eligible"]) for v in d["by_region"].values())
    # net benefit recomputed from the counts (Vickers & Elkin)
    for name in ("model", "admissions_count"):
        tp, k = s[name]["admitted"], s[name]["invited"]
        assert s[name]["net_benefit"] == pytest.approx(tp / eligible - (k - tp) / eligible * pt / (1 - pt))
    assert s["everybody"]["net_benefit"] == pytest.approx(prevalence - (1 - prevalence) * pt / (1 - pt))
    # the capacity threshold is the invited-weighted mean of the regions' last invited scores
    w = sum(v["threshold"] * v["invited"] for v in d["by_region"].values()) / sum(
        v["invited"] for v in d["by_region"].values())
    assert pt == pytest.approx(w)
    # the trained model ranks better than the count of acute admissions on this population
    assert s["model"]["net_benefit"] > s["admissions_count"]["net_benefit"]
    assert len(d["curve"]) >= 10 and all(c["nobody"] == 0 for c in d["curve"])
    assert (trained.home / "risk" / "analyses" / trained.models["boosted"] / "decision.json").exists()


def test_number_needed_to_invite_uses_the_published_effects(decided):
    result, d, _ = decided
    refs = references()
    nni = d["number_needed_to_invite"]
    pilot = refs["pilot"]["admissions_rate_ratio"]
    assert nni["pilot"]["rate_ratio"] == pilot
    ppv = d["strategies"]["model"]["ppv"]
    assert nni["pilot"]["model"] == pytest.approx(1 / (ppv * (1 - pilot)))
    # the national trial found no overall effect on admissions: nothing is prevented
    assert nni["national_trial"]["rate_ratio"] == refs["national_trial"]["admissions_6m_rate_ratio"]
    assert nni["national_trial"]["model"] is None
    assert "national_trial (rate ratio 1.0, uptake 1): model ∞ (no effect)" in result.stdout


def test_fairness_by_group_with_intervals_and_judgement(trained, tmp_path):
    cli = Cli(trained.home, trained.cprs)
    result = cli("risk", "fairness", *CAPS, "--out", tmp_path / "f.json")
    f = json.loads((tmp_path / "f.json").read_text())
    assert set(f["groups"]) == {"sex", "age_band", "municipality", "residence"}
    assert f["limits"] == {"min_admissions": 20, "oe_low": 0.8, "oe_high": 1.25, "ppv_ratio_min": 0.8}
    o = f["overall"]
    for grouping, rows in f["groups"].items():
        # every eligible person in exactly one group of each grouping
        assert sum(r["eligible"] for r in rows.values()) == o["eligible"], grouping
        assert sum(r["invited"] for r in rows.values()) == o["invited"], grouping
        for label, r in rows.items():
            if r["invited"]:
                low, high = r["ppv_ci"]
                assert low <= r["ppv"] <= high
            c = r["calibration"]
            if c["ratio"] is not None:
                assert c["ratio_low"] <= c["ratio"] <= c["ratio_high"]
            assert r["judgement"] in ("acceptable", "flagged", "too_small")
            if r["admitted"] < 20:
                assert r["judgement"] == "too_small"
            line = next(x for x in result.stdout.splitlines() if x.startswith(f"│ {grouping} {label} "))
            assert r["judgement"] in line
    assert "flagged groups:" in result.stdout


def test_fairness_judgement_follows_the_configured_limits_and_reaches_the_card(trained, home, tmp_path):
    """A region's stricter governance.yaml flags groups the shipped one accepts; the card says so."""
    folder = _config(tmp_path / "cfg", ("oe_low: 0.8\n  oe_high: 1.25", "oe_low: 0.999\n  oe_high: 1.001"),
                     ("min_admissions: 20", "min_admissions: 1"))
    shutil.rmtree(home / "risk" / "analyses", ignore_errors=True)  # other tests may have assessed it
    cli = Cli(home, trained.cprs)
    card = cli("risk", "card", "--model", trained.models["boosted"], "--lang", "en").stdout
    assert "not assessed yet" in card
    result = cli("risk", "fairness", *CAPS, "--out", tmp_path / "f.json", env={"OPSPOR_RISK_CONFIG": str(folder)})
    f = json.loads((tmp_path / "f.json").read_text())
    assert f["limits"]["oe_low"] == 0.999
    assert f["flagged"] and "outside 0.999-1.001" in result.stdout
    card = cli("risk", "card", "--model", trained.models["boosted"], "--lang", "en").stdout
    assert "At the capacity threshold (test as-of date 2025-07-01" in card
    first = f["flagged_groups"][0]
    assert f["flagged"][0] == f"{first['grouping']} {first['label']}: " + f["flagged"][0].split(": ", 1)[1]
    assert f["flagged"][0].split(": ", 1)[1] in card  # the reasons in English, as the command line says them
    dansk = cli("risk", "card", "--model", trained.models["boosted"]).stdout
    assert "Ved kapacitetstærsklen (testdato 2025-07-01" in dansk and "uden for 0,999-1,001" in dansk
    assert "outside" not in dansk and "uden for 0.999" not in dansk


def test_bad_capacity_and_fairness_limits_are_refused(trained, home, tmp_path):
    cli = Cli(home, trained.cprs)
    result = cli("risk", "decision", "--capacity", "1083=x", expect=2)
    assert "'1083=x' is not REGION=N" in result.output
    result = cli("risk", "decision", "--capacity", "9999=10", expect=1)
    assert "no eligible person of region(s) 9999" in result.output
    result = cli("risk", "decision", *CAPS, "--uptake", "0", expect=1)
    assert "uptake must lie in (0, 1]" in result.output
    folder = _config(tmp_path / "cfg", ("oe_low: 0.8", "oe_low: 2"))
    result = cli("risk", "fairness", *CAPS, expect=1, env={"OPSPOR_RISK_CONFIG": str(folder)})
    assert "governance.yaml" in result.output and "oe_low" in result.output and "must be below oe_high" in result.output
