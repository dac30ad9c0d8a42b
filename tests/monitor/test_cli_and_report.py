"""The committee report, the scheduler job, and clear errors for bad configuration and input."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from opspor.engines import connect
from opspor.monitor.definitions import ConfigError, load_indicators
from tests.monitor.monitor_kit import assert_no_person
from tests.support import pdf_pages, pdf_text


def test_report_html_and_pdf(loaded):
    out = loaded.base / "report"
    r = loaded("monitor", "report", "--region", "1083", "--year", "2024", "--out", out,
               "--register", "src/opspor/monitor/config/monitoring_register.yaml", "--as-of", "2024-12-31")
    assert "written" in r.stdout
    html = (out / "report.html").read_text(encoding="utf-8")
    for heading in ("Status på målsætningerne", "Indikatorer", "Målsætningernes stier", "Udrulning af programmerne",
                    "Effekt", "Monitoreringsopgaver", "Metode"):
        assert f"<h2>{heading}</h2>" in html
    assert "data:image/png;base64," in html
    assert "Ingen forløbsdata givet" in html and "Ingen forsøgsdata givet" in html  # placeholders
    assert "tal under 5 er skjult" in html  # suppressed: the report goes outside the region
    pdf = (out / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and pdf_pages(pdf) >= 5
    statuses = {c.removesuffix(" *") for c in re.findall(r'<td class="(?:good|bad|muted)">([^<]*)</td>', html)}
    assert statuses and statuses <= {"på sporet", "ikke på sporet", "ingen data", "intet mål"}
    shown = pdf_text(pdf).splitlines()
    assert "Side 1" in shown and "Side 5" in shown and "Status på målsætningerne" in shown
    assert_no_person(re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html))  # base64 has digit runs
    meta = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert meta["region"] == "1083" and meta["suppressed"] is True
    assert any(p.suffix == ".png" for p in (out / "charts").iterdir())


def test_report_in_english_without_suppression(loaded, monkeypatch):
    # the same report code with English texts; the charts (tested above) are stubbed for speed
    import opspor.monitor.report_build as rb
    from opspor.monitor.report_html import write_html
    from opspor.monitor.report_pdf import write_pdf
    from opspor.store import SnapshotStore

    png = (loaded.base / "report" / "charts").glob("*.png")
    sample = next(png, None)
    stub = (lambda path, *a, **k: sample) if sample else None
    for name in ("rates_over_time", "municipality_bars", "target_path", "funnel", "intake", "effects"):
        if stub:
            monkeypatch.setattr(rb.charts, name, stub)
    out = loaded.base / "report-en"
    with connect(store=SnapshotStore(loaded.home / "store")) as con:
        report = rb.build(con, "1083", 2024, out, lang="en", suppress=False)
    html = write_html(report, out / "report.html").read_text(encoding="utf-8")
    assert "<h2>Status of the targets</h2>" in html and "NOT suppressed" in html
    assert "No rollout data given" in html and "Region of Southern Denmark" in report.subtitle
    statuses = {c.removesuffix(" *") for c in re.findall(r'<td class="(?:good|bad|muted)">([^<]*)</td>', html)}
    assert statuses and statuses <= {"on track", "off track", "no data", "no target"}
    assert "Regression to the mean" not in html and "No trial data given" in html
    shown = pdf_text(write_pdf(report, out / "report.pdf").read_bytes()).splitlines()
    assert "Page 1" in shown and "Status of the targets" in shown and not any(s.startswith("Side ") for s in shown)


def test_report_bad_input(loaded):
    r = loaded("monitor", "report", "--region", "1083", "--year", "2031", "--out", loaded.base / "x", expect=1)
    assert "no data for 2031" in r.stderr and "Traceback" not in r.stdout + r.stderr
    r = loaded("monitor", "report", "--region", "9999", "--year", "2024", "--out", loaded.base / "x", expect=1)
    assert "unknown region" in r.stderr
    r = loaded("monitor", "report", "--region", "1083", "--year", "2024", "--out", loaded.base / "x",
               "--lang", "fr", expect=2)


def test_scheduled_monthly_job(loaded):
    from opspor.monitor import schedule as sch

    s = sch.settings({"OPSPOR_MONITOR_REPORT_AT": "06:45", "OPSPOR_MONITOR_REPORT_DAY": "2"})
    assert (s.at, s.day, s.region, s.lang) == (dt.time(6, 45), 2, "1083", "da")
    with pytest.raises(Exception, match="1-28"):
        sch.settings({"OPSPOR_MONITOR_REPORT_DAY": "31"})
    assert sch.report_year(dt.date(2025, 1, 1), dt.datetime(2024, 12, 31, 13)) == 2024
    assert sch.report_year(dt.date(2025, 3, 1), dt.datetime(2025, 2, 10)) == 2024

    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler()
    sch.add_report_job(scheduler, s, job=lambda: None)
    (job,) = scheduler.get_jobs()
    assert job.id == sch.JOB_ID and "day='2'" in str(job.trigger) and "hour='6'" in str(job.trigger)
    # the job itself, on the loaded store (the report is stubbed: it is tested above)
    import os

    import opspor.monitor.report as report_mod

    made = {}

    def fake(region, year, out_dir, lang="da", inputs=None, *args, **kwargs):
        made.update(region=region, year=year, out_dir=out_dir, lang=lang)
        return report_mod.ReportResult(out_dir, out_dir / "report.html", out_dir / "report.pdf", "s", 0.1, ())

    old = dict(os.environ)
    os.environ.update({"OPSPOR_HOME": str(loaded.home), "OPSPOR_PSEUDONYM_KEY": "x"})
    real = report_mod.make_report
    report_mod.make_report = fake
    try:
        result = sch.run_report(s, today=dt.date(2025, 2, 2))
        report_mod.make_report = lambda *a, **k: (_ for _ in ()).throw(RuntimeError("disk full"))
        assert sch.run_report(s, today=dt.date(2025, 2, 2)) is None  # logged, not raised
    finally:
        report_mod.make_report = real
        os.environ.clear()
        os.environ.update(old)
    assert result is not None
    # the data end 2024-12-31: the report of a run on 2025-02-02 is for 2024
    assert made == {"region": "1083", "year": 2024, "lang": "da",
                    "out_dir": loaded.home / "monitor" / "reports" / "2025-02-02-1083"}


def test_bad_indicator_config_names_file_key_and_fix(tmp_path):
    from pathlib import Path

    shipped = Path("src/opspor/monitor/config/indicators.yaml").read_text(encoding="utf-8")
    cases = [
        ("min_hours: 4", "min_hours: four", "indicators[0].versions[0].events.min_hours", "whole number"),
        ("kind: proportion", "kind: proportions", "indicators[4].versions[0].kind", "did you mean `proportion`"),
        ("action_diagnosis_in: preventable_admissions_elderly}", "action_diagnosis_in: preventable_admisions}",
         "events.contact.action_diagnosis_in", "did you mean `preventable_admissions_elderly`"),
        ("condition_any: [copd]}", "condition_any: [kol]}", "population.condition_any[0]", "allowed values"),
        ("standard_population: esp2013", "standard_population: esp2011", "standard_population", "esp2013"),
    ]
    for old, new, key, fix in cases:
        bad = tmp_path / "indicators.yaml"
        bad.write_text(shipped.replace(old, new, 1), encoding="utf-8")
        for cl in ("code_lists.yaml",):
            (tmp_path / cl).write_text(Path(f"src/opspor/monitor/config/{cl}").read_text(encoding="utf-8"))
        bad.write_text(bad.read_text(encoding="utf-8").replace(
            "../../rules/config/code_lists.yaml", str(Path("src/opspor/rules/config/code_lists.yaml").resolve())),
            encoding="utf-8")
        with pytest.raises(ConfigError) as e:
            load_indicators(bad)
        msg = str(e.value)
        assert msg.startswith(str(bad)) and key in msg and fix in msg and "Fix:" in msg, msg


def test_cli_errors_are_clear(loaded, tmp_path):
    bad = tmp_path / "indicators.yaml"
    bad.write_text("version: 1\nindicators: [\n", encoding="utf-8")
    r = loaded("monitor", "indicators", "--out", tmp_path / "x.csv", "--config", bad, expect=1)
    assert "not valid YAML" in r.stderr and str(bad) in r.stderr and "Traceback" not in r.stderr
    r = loaded("monitor", "indicators", "--out", tmp_path / "x.txt", expect=2)
    assert ".csv or .xlsx" in r.stdout + r.stderr
    r = loaded("monitor", "indicators", "--out", tmp_path / "x.csv", "--period", "week", expect=2)
    r = loaded("monitor", "indicators", "--out", tmp_path / "x.csv", "--from", "2025", "--to", "2024", expect=2)
    assert "after the last year" in r.stdout + r.stderr
    empty = type(loaded)(tmp_path / "empty-home")
    r = empty("monitor", "indicators", "--out", tmp_path / "x.csv", expect=1)
    assert "no snapshot yet" in r.stderr and "opspor ingest" in r.stderr
    r = empty.subprocess("monitor", "targets", expect=1)  # the installed command, no traceback
    assert "Traceback" not in r.stderr and "no snapshot" in r.stderr


def test_synth_trial_options_are_checked(tmp_path):
    from tests.monitor.monitor_kit import Opspor

    run = Opspor(tmp_path / "home")
    base = ("synth", "--persons", "100", "--start", "2024-01-01", "--end", "2024-03-31", "--seed", "1",
            "--out", tmp_path / "d")
    r = run(*base, "--trial", "10", expect=2)
    assert "--trial-start" in r.stdout + r.stderr
    r = run(*base, "--trial-effect", "0.5", expect=2)
    assert "need --trial" in r.stdout + r.stderr
    r = run(*base, "--trial", "10", "--trial-start", "2025-01-01", expect=2)
    assert "outside" in r.stdout + r.stderr
