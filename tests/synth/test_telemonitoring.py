"""``opspor synth --telemonitoring``: measurement streams of enrolled COPD / heart-failure patients,
as Observations the telemonitoring reader accepts, the same bytes whatever the workers, the
configuration's errors named with key and fix, and the default drop unchanged."""

from __future__ import annotations

import csv
import json

from opspor.synth import telemonitoring as synth_tm
from opspor.telemonitoring import kinds, observations

from .conftest import run_synth
from .test_cli import FILES, digest

SMALL = ("--persons", 3000, "--start", "2023-01-01", "--end", "2023-12-31", "--seed", 4, "--region", "1083")
TM = ("--telemonitoring", 40, "--telemonitoring-start", "2023-07-01")
TM_FILES = ("telemonitoring/observations.ndjson", "telemonitoring/enrolments.csv", "truth/telemonitoring_admissions.csv")


def test_streams_are_valid_observations_of_the_enrolled_and_the_same_whatever_the_workers(tmp_path):
    a, b, plain = tmp_path / "a", tmp_path / "b", tmp_path / "plain"
    for out, workers in ((a, 1), (b, 2)):
        result = run_synth(*SMALL, *TM, "--out", out, "--workers", workers, "--chunk-size", 1000)
        assert result.exit_code == 0, result.output
    assert digest(a, FILES + TM_FILES) == digest(b, FILES + TM_FILES)
    with open(a / "telemonitoring" / "enrolments.csv", newline="", encoding="utf-8") as f:
        enrolled = list(csv.DictReader(f))
    assert 35 <= len(enrolled) <= 40 and {e["condition"] for e in enrolled} <= {"copd", "heart_failure"}
    days = {e["enrolled_on"] for e in enrolled}  # spread over enrolment_days (60) from the start
    assert len(days) > 10 and min(days) >= "2023-07-01" and max(days) <= "2023-08-30"
    # every line passes the real reader (codes, UCUM units, plausible ranges, time zone)
    with open(a / "telemonitoring" / "observations.ndjson", "rb") as f:
        readings = [r for chunk in observations.read_lines(kinds.shipped(), f) for r in chunk]
    patients = {e["cpr"] for e in enrolled}
    assert len(readings) > 35 * 100 and {r.subject_value for r in readings} <= patients
    assert min(r.effective for r in readings).date().isoformat() >= "2023-07-01"
    manifest = json.loads((a / "truth" / "manifest.json").read_text())["telemonitoring"]
    assert manifest["observations"] == len(readings) and manifest["config_version"] == synth_tm.shipped().version
    assert manifest["patients"] == len(enrolled) and manifest["enrolment_days"] == 60
    first = {e["cpr"]: e["enrolled_on"] for e in enrolled}
    assert all(r.effective.date().isoformat() >= first[r.subject_value] for r in readings)
    # without the option the drop is byte-identical to a run that never heard of telemonitoring
    assert run_synth(*SMALL, "--out", plain, "--workers", 1, "--chunk-size", 1000).exit_code == 0
    assert not (plain / "telemonitoring").exists()
    assert "telemonitoring" not in json.loads((plain / "truth" / "manifest.json").read_text())


def test_a_bad_configuration_is_named_with_key_and_fix(tmp_path):
    from importlib import resources

    text = resources.files("opspor.synth").joinpath("data", synth_tm.CONFIG_FILE).read_text(encoding="utf-8")
    bad = tmp_path / "tm.yaml"
    bad.write_text(text.replace("share_of_admissions: 0.6", "share_of_admissions: 1.6", 1), encoding="utf-8")
    result = run_synth(*SMALL, *TM, "--telemonitoring-config", bad, "--out", tmp_path / "x")
    assert result.exit_code == 2
    assert "conditions.heart_failure.deterioration.share_of_admissions" in result.output
    assert "at most 1" in result.output and not (tmp_path / "x").exists()
    bad.write_text(text.replace("      spo2: {level: 84.5, sd: 1.5}", "      spo2: {level: 84.5}"), encoding="utf-8")
    result = run_synth(*SMALL, *TM, "--telemonitoring-config", bad, "--out", tmp_path / "y")
    assert result.exit_code == 2 and "conditions.copd.deterioration.change.spo2" in result.output
    assert run_synth(*SMALL, *TM, "--trial", 10, "--trial-start", "2023-07-01", "--out", tmp_path / "z").exit_code == 2
    assert run_synth(*SMALL, "--telemonitoring-start", "2023-07-01", "--out", tmp_path / "w").exit_code == 2


def test_the_effect_lowers_the_enrolled_patients_admissions(tmp_path):
    counts, enrolments = {}, {}
    for effect in ("1.0", "0.3"):
        out = tmp_path / effect
        args = ("--persons", 20000, "--start", "2023-01-01", "--end", "2023-12-31", "--seed", 9, "--region", "1083",
                "--telemonitoring", 300, "--telemonitoring-start", "2023-03-01")
        assert run_synth(*args, "--telemonitoring-effect", effect, "--out", out, "--workers", 1).exit_code == 0
        with open(out / "truth" / "telemonitoring_admissions.csv", newline="", encoding="utf-8") as f:
            counts[effect] = sum(1 for _ in csv.DictReader(f))
        with open(out / "telemonitoring" / "enrolments.csv", newline="", encoding="utf-8") as f:
            enrolments[effect] = {(r["cpr"], r["enrolled_on"]) for r in csv.DictReader(f)}
    # the same patients, chosen before the effect starts (a few die before their enrolment day in one
    # run and not in the other), with 0.3 times the hazard from enrolment
    assert len(enrolments["1.0"] & enrolments["0.3"]) >= 0.95 * len(enrolments["1.0"]) > 0.9 * 300
    assert counts["0.3"] < 0.5 * counts["1.0"] and counts["1.0"] > 150, counts
