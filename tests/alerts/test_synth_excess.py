"""``opspor synth --excess``: the put-in excess of acute contacts by municipality (synth/excess.py),
through the real command (in-process through Typer's runner)."""

from __future__ import annotations

import csv
import hashlib
import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from opspor.cli import app

BASE = ["synth", "--persons", "3000", "--start", "2023-01-01", "--end", "2023-12-31", "--seed", "11",
        "--region", "1083", "--workers", "1"]


def synth(out: Path, *extra: str):
    return CliRunner().invoke(app, [*BASE, "--out", str(out), *extra], catch_exceptions=False)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def acute_per_person(drop: Path) -> dict[str, float]:
    """Acute contacts per resident, Odense (461) and the rest of the region."""
    with open(drop / "persons.csv", newline="", encoding="utf-8") as f:
        where = {r["cpr"]: ("461" if r["municipality_code"] == "461" else "other") for r in csv.DictReader(f)}
    residents = Counter(where.values())
    with open(drop / "contacts.csv", newline="", encoding="utf-8") as f:
        acute = Counter(where[r["cpr"]] for r in csv.DictReader(f) if r["priority"] == "acute")
    return {k: acute[k] / residents[k] for k in residents}


@pytest.fixture(scope="module")
def drops(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("excess")
    out = {}
    for name, extra in (("none", ()), ("one", ("--excess", "461=1.0")), ("three", ("--excess", "461=3.0")),
                        ("three-again", ("--excess", "461=3.0"))):
        result = synth(base / name, *extra)
        assert result.exit_code == 0, result.stdout
        out[name] = base / name
        out[f"{name}-stdout"] = result.stdout
    return out


@pytest.mark.slow  # four synth runs in the module fixture
def test_excess_is_recorded_in_truth_manifest_and_summary(drops):
    doc = json.loads((drops["three"] / "truth" / "excess.json").read_text(encoding="utf-8"))
    assert doc["municipalities"] == {"461": 3.0}
    manifest = json.loads((drops["three"] / "truth" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["excess"] == {"municipalities": {"461": 3.0}, "file": "excess.json"}
    assert "excess (municipality = factor)" in drops["three-stdout"] and "461=3" in drops["three-stdout"]
    # without the option: no file, no manifest entry, no summary line
    assert not (drops["none"] / "truth" / "excess.json").exists()
    assert "excess" not in json.loads((drops["none"] / "truth" / "manifest.json").read_text(encoding="utf-8"))
    assert "municipality = factor" not in drops["none-stdout"]


@pytest.mark.slow  # four synth runs in the module fixture
def test_deterministic_and_neutral_factor_changes_nothing(drops):
    for name in ("persons.csv", "contacts.csv"):
        assert digest(drops["three"] / name) == digest(drops["three-again"] / name)
        # a factor of 1.0 multiplies by one: the drop is byte-identical to a run without the option
        assert digest(drops["one"] / name) == digest(drops["none"] / name)
    assert digest(drops["three"] / "contacts.csv") != digest(drops["none"] / "contacts.csv")
    # the population itself (who, born when, living where, listed with whom) does not depend on
    # the excess; death dates may (deaths happen in the simulated histories)
    def who(drop):
        with open(drop / "persons.csv", newline="", encoding="utf-8") as f:
            return [(r["cpr"], r["birth_date"], r["municipality_code"], r["gp_provider_number"])
                    for r in csv.DictReader(f)]

    assert who(drops["three"]) == who(drops["none"])


@pytest.mark.slow  # four synth runs in the module fixture
def test_more_acute_contacts_in_the_chosen_municipality(drops):
    before, after = acute_per_person(drops["none"]), acute_per_person(drops["three"])
    assert after["461"] / before["461"] > 2.0  # hazards x3 (the admission cap and deaths damp it)
    assert after["other"] / before["other"] == pytest.approx(1.0, abs=0.15)


@pytest.mark.parametrize(("value", "words"), [
    ("999=2.0", "municipality 999 is not in the population's municipalities"),
    ("461=abc", "the factor 'abc' is not a number"),
    ("461=0", "must be above 0"),
    ("461", "is not CODE=FACTOR"),
    ("461=2,461=3", "given twice"),
])
def test_bad_excess_is_refused(tmp_path, value, words):
    result = synth(tmp_path / "out", "--excess", value)
    assert result.exit_code == 2
    text = " ".join(result.output.replace("│", " ").split())  # the error box wraps lines
    assert words in text and "--excess" in text
    assert not (tmp_path / "out").exists()
