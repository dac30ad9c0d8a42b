"""Issue 7's "done when" for the data alerts: on synthetic data the alert flags the municipalities
where the generator put an excess, and not the others; with no excess it flags nothing.

Region Syddanmark, 150,000 persons, the year 2024, seed 7, through the installed commands:
``opspor synth [--excess 461=2.0,630=2.0]`` -> ``opspor ingest`` -> ``opspor alerts run`` for the
last six months of the data (2024-07 .. 2024-12; from July the data cover the repeated-contact
rule's 182 days before the month). The excess: every resident of Odense (461) and
Vejle (630) has their acute admission and acute outpatient hazards doubled.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from tests.alerts.alerts_kit import Opspor
from tests.support import read_csv

pytestmark = pytest.mark.slow

MONTHS = [f"2024-{m:02d}" for m in range(7, 13)]
EXCESS = {"461", "630"}


def scenario(base: Path, excess: str | None) -> tuple[list[dict], Path]:
    run = Opspor(base / "home")
    drop = base / "drop"
    extra = ["--excess", excess] if excess else []
    run.subprocess("synth", "--persons", "150000", "--start", "2024-01-01", "--end", "2024-12-31", "--seed", "7",
                   "--region", "1083", "--workers", "1", "--out", drop, *extra)
    run.subprocess("ingest", drop)
    months = [a for m in MONTHS for a in ("--month", m)]
    run.subprocess("alerts", "run", *months, "--out", base / "out")
    return read_csv(base / "out" / f"alerts-{MONTHS[0]}_{MONTHS[-1]}.csv"), drop


@pytest.fixture(scope="module")
def with_excess(tmp_path_factory):
    return scenario(tmp_path_factory.mktemp("excess"), "461=2.0,630=2.0")


@pytest.fixture(scope="module")
def without_excess(tmp_path_factory):
    return scenario(tmp_path_factory.mktemp("none"), None)


def test_flags_exactly_the_municipalities_with_an_excess(with_excess):
    rows, _ = with_excess
    for month in MONTHS:
        munis = [r for r in rows if r["month"] == month and r["unit_kind"] == "municipality"]
        assert len(munis) == 22  # every municipality of the region has a result
        flagged = {r["unit_code"] for r in munis if r["alert"] == "True"}
        assert flagged == EXCESS, month
        for r in munis:
            if r["unit_code"] in EXCESS:
                assert float(r["ratio"]) > 1.5 and float(r["p_adjusted"]) < 1e-3, r
        closest = min((r for r in munis if r["unit_code"] not in EXCESS and r["tested"] == "True"),
                      key=lambda r: float(r["p_value"]))
        assert float(closest["p_adjusted"]) > 0.05
        print(month, *(f"{r['unit_code']}: O {r['observed']} E {float(r['expected']):.1f} "
                       f"ratio {float(r['ratio']):.2f} p {float(r['p_value']):.2g} adj {float(r['p_adjusted']):.2g}"
                       for r in [*(r for r in munis if r["unit_code"] in EXCESS), closest]), sep=" | ")


def test_flagged_practices_are_those_of_the_excess_municipalities(with_excess):
    rows, drop = with_excess
    with open(drop / "persons.csv", newline="", encoding="utf-8") as f:
        listed: dict[str, Counter] = {}
        for p in csv.DictReader(f):
            listed.setdefault(p["gp_provider_number"], Counter())[p["municipality_code"]] += 1
    flagged = {r["unit_code"] for r in rows if r["unit_kind"] == "gp_practice" and r["alert"] == "True"}
    assert flagged  # the excess shows in practices too
    for practice in flagged:
        (home, n), = listed[practice].most_common(1)
        assert home in EXCESS and n / sum(listed[practice].values()) > 0.9, (practice, listed[practice])


def test_no_excess_no_alert(without_excess):
    rows, _ = without_excess
    assert len({r["month"] for r in rows}) == 6
    assert not [(r["month"], r["unit_kind"], r["unit_code"]) for r in rows if r["alert"] == "True"]
    for month in MONTHS:
        closest = min((r for r in rows if r["month"] == month and r["tested"] == "True"),
                      key=lambda r: float(r["p_value"]))
        print(month, closest["unit_kind"], closest["unit_code"], f"O {closest['observed']}",
              f"E {float(closest['expected']):.1f}", f"p {float(closest['p_value']):.2g}",
              f"adj {float(closest['p_adjusted']):.2g}")
