"""Data alerts on the hand-made drop (alerts_kit) through the real ``opspor alerts run``; every
expected figure is worked out by hand here.

Age bands [0, 65] (the test configuration); March 2024; reference = the region's persons at
2024-03-01 (the woman who died 2024-02-20 is not among them):

    women 65+:  20 + 20 + 2 = 42 persons, 16 + 2 + 1 = 19 repeated  -> rate 19/42
    men 0-64:   10 + 30     = 40 persons,  0 + 3     =  3 repeated  -> rate 3/40

    expected Odense    = 20 * 19/42 + 10 * 3/40 = 9.047619 + 0.75 = 9.797619, observed 16
    expected Svendborg = 20 * 19/42 + 30 * 3/40 = 9.047619 + 2.25 = 11.297619, observed 5
    expected Langeland =  2 * 19/42             = 0.904762, observed 1 (below 5: not tested)

The expected numbers add up to the observed ones (22): indirect standardisation against the
region itself. p = P(X >= O) for X ~ Poisson(E) = 1 - sum_{k<O} e^-E E^k / k!.
"""

from __future__ import annotations

import json
import math

import pytest

from tests.support import read_csv

E_ODENSE = 20 * 19 / 42 + 10 * 3 / 40
E_SVENDBORG = 20 * 19 / 42 + 30 * 3 / 40
E_LANGELAND = 2 * 19 / 42


def p_at_least(observed: int, expected: float) -> float:
    return 1 - sum(math.exp(-expected) * expected**k / math.factorial(k) for k in range(observed))


def run(loaded, config, *extra, name="out") -> list[dict]:
    out = loaded.base / name
    loaded("alerts", "run", "--config", config, "--out", out, *extra)
    (csv_path,) = out.glob("alerts-*.csv")
    return read_csv(csv_path)


def row(rows, kind, code) -> dict:
    found = [r for r in rows if r["unit_kind"] == kind and r["unit_code"] == code]
    assert len(found) == 1, (kind, code, found)
    return found[0]


@pytest.fixture
def bands(config_file):
    return config_file(age_bands="[0, 65]")


def test_observed_expected_and_p_by_hand(loaded, bands):
    rows = run(loaded, bands)
    # default month: the last complete one (the data end 2024-03-31)
    assert {r["month"] for r in rows} == {"2024-03"}
    o = row(rows, "municipality", "461")
    assert (int(o["population"]), int(o["observed"])) == (30, 16)
    assert float(o["expected"]) == pytest.approx(E_ODENSE)
    assert float(o["ratio"]) == pytest.approx(16 / E_ODENSE)
    assert float(o["p_value"]) == pytest.approx(p_at_least(16, E_ODENSE))  # 0.04206
    s = row(rows, "municipality", "479")
    assert (int(s["population"]), int(s["observed"])) == (50, 5)
    assert float(s["expected"]) == pytest.approx(E_SVENDBORG)
    assert float(s["p_value"]) == pytest.approx(p_at_least(5, E_SVENDBORG))  # 0.98766
    # Holm over the two tested units: 2 * 0.04206 = 0.0841 and max(0.0841, 0.98766)
    assert float(o["p_adjusted"]) == pytest.approx(2 * p_at_least(16, E_ODENSE))
    assert float(s["p_adjusted"]) == pytest.approx(p_at_least(5, E_SVENDBORG))
    # alpha 0.01 (the shipped configuration): no alert
    assert o["alert"] == s["alert"] == "False"
    assert o["note"] == "adjusted p 0.0841 is not below 0.01"
    la = row(rows, "municipality", "482")
    assert float(la["expected"]) == pytest.approx(E_LANGELAND)
    assert (la["tested"], la["p_adjusted"], la["alert"]) == ("False", "", "False")
    assert "not tested" in la["note"]
    assert sum(float(r["expected"]) for r in rows if r["unit_kind"] == "municipality") == pytest.approx(22)
    # exact interval of the ratio: chi2(0.025, 32)/2 / E .. chi2(0.975, 34)/2 / E
    from scipy.stats import chi2

    assert float(o["ci_low"]) == pytest.approx(chi2.ppf(0.025, 32) / 2 / E_ODENSE)
    assert float(o["ci_high"]) == pytest.approx(chi2.ppf(0.975, 34) / 2 / E_ODENSE)
    assert o["unit_name"] == "Odense" and o["config_version"] == "1"
    assert o["lookback_complete"] == "True"


def test_gp_practices_by_provider_number(loaded, bands):
    rows = run(loaded, bands)
    gp = [r for r in rows if r["unit_kind"] == "gp_practice"]
    # Langeland's persons have no known practice: in the reference, not a unit
    assert sorted(r["unit_code"] for r in gp) == ["100001", "100002"]
    g = row(rows, "gp_practice", "100001")
    assert int(g["observed"]) == 16 and float(g["expected"]) == pytest.approx(E_ODENSE)


def test_alert_when_adjusted_p_below_alpha(loaded, config_file):
    rows = run(loaded, config_file(age_bands="[0, 65]", alpha="0.1"))
    assert [(r["unit_kind"], r["unit_code"]) for r in rows if r["alert"] == "True"] == [
        ("municipality", "461"), ("gp_practice", "100001")]
    assert row(rows, "municipality", "461")["note"] == ""


def test_no_alert_below_the_minimum_ratio(loaded, config_file):
    # 16 / 9.797619 = 1.633 < 1.7
    rows = run(loaded, config_file(age_bands="[0, 65]", alpha="0.1", min_ratio="1.7"))
    assert not [r for r in rows if r["alert"] == "True"]
    assert row(rows, "municipality", "461")["note"] == "ratio 1.63 is below 1.7"


def test_benjamini_hochberg(loaded, config_file):
    # two tests: BH gives 2 * p(1) / 1 = 0.0841 and p(2) * 2 / 2 = 0.98766, like Holm here
    rows = run(loaded, config_file(age_bands="[0, 65]", multiple_testing="fdr_bh"))
    assert float(row(rows, "municipality", "461")["p_adjusted"]) == pytest.approx(2 * p_at_least(16, E_ODENSE))


def test_outside_region_suppresses_small_numbers(loaded, bands):
    rows = run(loaded, bands, "--outside-region")
    la = row(rows, "municipality", "482")  # observed 1, population 2
    assert (la["observed"], la["population"], la["ratio"], la["p_value"]) == ("<5", "<5", "", "")
    assert la["note"].startswith("suppressed: count below 5")
    assert row(rows, "municipality", "479")["observed"] == "5"  # 5 is shown


@pytest.mark.slow  # installed command(s) in child processes
def test_json_and_the_installed_command(loaded, bands):
    out = loaded.base / "sub"
    r = loaded.subprocess("alerts", "run", "--config", bands, "--out", out, "--month", "2024-03",
                          "--show", "all")
    assert "461 Odense" in r.stdout and "alerts: 0" in r.stdout
    doc = json.loads((out / "alerts-2024-03.json").read_text(encoding="utf-8"))
    assert doc["config"]["version"] == "1" and doc["config"]["age_bands"] == [0, 65]
    assert doc["months"] == ["2024-03"] and doc["snapshot_id"]
    assert {r["unit_code"] for r in doc["results"]} == {"461", "479", "482", "100001", "100002"}
    assert "person_key" not in json.dumps(doc)


def test_month_outside_the_data(loaded, bands):
    r = loaded("alerts", "run", "--config", bands, "--month", "2025-01", expect=1)
    assert "month 2025-01 is outside the data" in r.stderr
    r = loaded("alerts", "run", "--config", bands, "--month", "2025-13", expect=1)
    assert "write it as YYYY-MM" in r.stderr


# --------------------------------------------------------------------------- publish and schedule

WEB_ENV = {"OPSPOR_SECRET_KEY": "alerts-cli-test-secret-key-0123456789-abcdefghijklmnop", "OPSPOR_HTTPS": "0"}


@pytest.mark.slow  # installed command(s) in child processes
def test_run_publish_queues_messages_once(loaded, config_file):
    import sqlite3

    loaded.subprocess("web", "migrate", env=WEB_ENV)
    cfg = config_file(alpha="0.1")  # Odense and its practice 100001 are flagged
    first = loaded.subprocess("alerts", "run", "--config", cfg, "--publish", "--out", loaded.base / "pub", env=WEB_ENV)
    assert "published: 5 results (5 new, 0 changed), 2 new alerts, 2 messages queued" in first.stdout
    again = loaded.subprocess("alerts", "run", "--config", cfg, "--publish", "--out", loaded.base / "pub", env=WEB_ENV)
    assert "published: 5 results (0 new, 0 changed), 0 new alerts, 0 messages queued" in again.stdout
    with sqlite3.connect(loaded.home / "opspor.sqlite3") as db:
        rows = db.execute("SELECT unit_kind, unit_code, month, observed, alert, config_version "
                          "FROM alerts_alertresult ORDER BY unit_kind, unit_code").fetchall()
        messages = db.execute("SELECT recipient_kind, recipient_id FROM messaging_outboundmessage "
                              "WHERE kind = 'data_alert' ORDER BY recipient_id").fetchall()
    assert rows[0] == ("gp_practice", "100001", "2024-03", 16, 1, "1")
    assert [r[1] for r in rows if r[4]] == ["100001", "461"]
    assert messages == [("gp_practice", "100001"), ("municipality", "461")]


@pytest.mark.slow  # installed command(s) in child processes
def test_schedule_runs_once_and_writes_the_files(loaded):
    import datetime as dt

    from opspor.lists.schedule import TIMEZONE

    at = (dt.datetime.now(TIMEZONE) + dt.timedelta(seconds=3)).replace(tzinfo=None, microsecond=0)
    r = loaded.subprocess("alerts", "schedule", "--once-at", at.isoformat(),
                          env={"OPSPOR_ALERTS_PUBLISH": "0"}, timeout=120)
    assert "data alerts for 2024-03: 5 units, 0 alerts" in r.stdout + r.stderr
    assert (loaded.home / "alerts" / "2024-03" / "alerts-2024-03.csv").is_file()
    bad = loaded.subprocess("alerts", "schedule", "--once-at", at.isoformat(), env={"OPSPOR_ALERTS_DAY": "31"},
                            expect=1)
    assert "OPSPOR_ALERTS_DAY: '31' is not a day 1-28" in bad.stderr
