"""`opspor monitor publish`, `opspor monitor import-register` and the monthly committee report in
the production scheduler (`opspor lists schedule` with OPSPOR_MONITOR_REPORT=1), through the real
command line against a real store and database."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support import assert_no_cpr
from tests.web import web_kit

ENV = {"OPSPOR_SECRET_KEY": "monitoring-cli-test-secret-key-0123456789-abcdefghijklmnop", "OPSPOR_HTTPS": "0"}


def _count(home, table: str) -> int:
    with sqlite3.connect(home / "opspor.sqlite3") as con:
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


@pytest.mark.slow
def test_publish_and_import_register_are_idempotent(run_opspor, opspor_home, tmp_path):
    drop = web_kit.lists_kit.write_drop(opspor_home.parent / "drop")
    assert run_opspor("ingest", drop, env=ENV).returncode == 0
    assert run_opspor("web", "migrate", env=ENV).returncode == 0
    first = run_opspor("monitor", "publish", env=ENV)
    assert first.returncode == 0, first.stderr
    assert "Published snapshot" in first.stdout
    values = _count(opspor_home, "monitoring_indicatorvalue")
    assert values > 0 and _count(opspor_home, "monitoring_targetvalue") > 0
    again = run_opspor("monitor", "publish", env=ENV)
    assert again.returncode == 0 and "already published with this configuration; nothing changed" in again.stdout
    assert _count(opspor_home, "monitoring_indicatorvalue") == values
    assert _count(opspor_home, "monitoring_publication") == 1

    imported = run_opspor("monitor", "import-register", env=ENV)
    assert imported.returncode == 0 and "4 follow-up groups and 28 tasks created" in imported.stdout.replace("\n", " ")
    twice = run_opspor("monitor", "import-register", env=ENV)
    assert "0 follow-up groups and 0 tasks created, 0 updated, 28 already present" in twice.stdout.replace("\n", " ")
    assert _count(opspor_home, "monitoring_monitoringtask") == 28

    bad = tmp_path / "register.yaml"
    bad.write_text("version: 1\nyear: 2025\ntasks:\n  - {id: a, group: G, title: T, frequency: weekly, "
                   "data_source: existing_database}\n", encoding="utf-8")
    refused = run_opspor("monitor", "import-register", bad, env=ENV)
    assert refused.returncode == 1 and str(bad) in refused.stderr and "tasks[0].frequency" in refused.stderr
    assert "unknown value 'weekly'" in refused.stderr and "Traceback" not in refused.stderr
    assert _count(opspor_home, "monitoring_monitoringtask") == 28  # nothing half-written
    missing = run_opspor("monitor", "import-register", tmp_path / "nope.yaml", env=ENV)
    assert missing.returncode == 2 and "is not a file" in missing.stderr


def test_publish_without_a_snapshot_is_a_clear_error(run_opspor):
    assert run_opspor("web", "migrate", env=ENV).returncode == 0
    r = run_opspor("monitor", "publish", env=ENV)
    assert r.returncode == 1 and "opspor ingest" in r.stderr and "Traceback" not in r.stderr


def test_bad_report_switch_is_refused(run_opspor):
    r = run_opspor("lists", "schedule", env={**ENV, "OPSPOR_MONITOR_REPORT": "yes"})
    assert r.returncode == 1 and "OPSPOR_MONITOR_REPORT: 'yes' is not 0 or 1" in r.stderr


@pytest.mark.slow
def test_lists_scheduler_registers_and_runs_the_monthly_report(run_opspor, opspor_home):
    from opspor.lists import schedule

    if (schedule.now() + dt.timedelta(minutes=2)).day > 28:
        pytest.skip("the monthly report runs on days 1-28 only (OPSPOR_MONITOR_REPORT_DAY)")
    drop = web_kit.lists_kit.write_drop(opspor_home.parent / "drop")
    assert run_opspor("ingest", drop, env=ENV).returncode == 0
    soon = schedule.now() + dt.timedelta(seconds=10)  # after the ingest: the scheduler starts in ~3 s
    env = {**os.environ, "COLUMNS": "200", **ENV, "OPSPOR_MONITOR_REPORT": "1",
           "OPSPOR_MONITOR_REPORT_DAY": str(soon.day), "OPSPOR_MONITOR_REPORT_AT": soon.strftime("%H:%M:%S")}
    report = opspor_home / "monitor" / "reports" / f"{soon.date().isoformat()}-1083"
    opspor = str(Path(sys.executable).with_name("opspor"))
    proc = subprocess.Popen([opspor, "lists", "schedule", "--no-catch-up"], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not (report / "report.pdf").is_file() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.5)
        time.sleep(1.0)  # the log line after the files
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert (report / "report.pdf").is_file(), err
    assert "the monthly committee report job is registered: day " in err
    assert (report / "report.html").is_file() and (report / "report.pdf").read_bytes().startswith(b"%PDF")
    assert "the monthly report for region 1083, year 2025, is in" in err
    assert_no_cpr(out, err)


def test_publish_effect_estimates(run_opspor, opspor_home, tmp_path):
    import json

    from opspor.monitor.effect import Estimate

    assert run_opspor("web", "migrate", env=ENV).returncode == 0
    good = tmp_path / "effect.json"
    good.write_text(json.dumps([Estimate("admissions", 6, "rate_ratio", 0.77, 0.71, 0.83, 0.001, 300, 300, 0.6,
                                         0.8, -0.23, "NB2").as_dict()]), encoding="utf-8")
    r = run_opspor("monitor", "publish", "--effect", good, env=ENV)
    assert r.returncode == 0 and "Published 1 effect estimates from effect.json" in r.stdout
    assert "already published" in run_opspor("monitor", "publish", "--effect", good, env=ENV).stdout
    assert _count(opspor_home, "monitoring_effectestimate") == 1
    bad = tmp_path / "bad.json"
    bad.write_text('[{"outcome": "admissions"}]', encoding="utf-8")
    r = run_opspor("monitor", "publish", "--effect", bad, env=ENV)
    assert r.returncode == 1 and "bad.json: estimate [0], field months: missing" in r.stderr.replace("\n", "")
    assert "Traceback" not in r.stderr and _count(opspor_home, "monitoring_effectestimate") == 1
