"""Rollout tables from hand-made rows."""

from __future__ import annotations

import datetime as dt

import pytest

from opspor.monitor import rollout as ro
from opspor.monitor.errors import MonitorError

D = dt.date


def test_screening_by_department_and_week():
    rows = [
        ro.Screening("MED1", D(2025, 3, 3), "include"),  # Monday, week 10
        ro.Screening("MED1", D(2025, 3, 5), "no_action"),
        ro.Screening("MED1", D(2025, 3, 9), None),  # Sunday, still week 10
        ro.Screening("MED1", D(2025, 3, 10), "mdt"),  # week 11
        ro.Screening("GER", D(2025, 3, 4), None),
    ]
    out = {(r.department, r.week): r for r in ro.screening_by_department_week(rows)}
    w10 = out[("MED1", "2025-W10")]
    assert (w10.listed, w10.screened, w10.included, w10.no_action, w10.week_start) == (3, 2, 1, 1, D(2025, 3, 3))
    assert (out[("MED1", "2025-W11")].included, out[("GER", "2025-W10")].screened) == (1, 0)
    assert ro.package_funnel(rows) == [("listed", 5), ("screened", 3), ("included", 2)]
    with pytest.raises(MonitorError, match="decision"):
        ro.screening_by_department_week([ro.Screening("X", D(2025, 1, 1), "maybe")])


def test_enrolment_caseload_and_intake():
    rows = [
        ro.Enrolment("1083", "AJ", D(2025, 1, 5), D(2025, 1, 10), D(2025, 1, 20), None),
        ro.Enrolment("1083", "AJ", D(2025, 1, 6), D(2025, 1, 12), D(2025, 2, 1), D(2025, 8, 1)),
        ro.Enrolment("1083", "AJ", D(2025, 1, 7), None, None, None, D(2025, 1, 9)),
        ro.Enrolment("1083", "BK", D(2025, 2, 1), D(2025, 2, 3), None, None),
    ]
    t = {r.nurse: r for r in ro.enrolment_by_region_nurse(rows, D(2025, 9, 1))}
    aj = t["AJ"]
    assert (aj.invited, aj.consented, aj.declined, aj.started, aj.active, aj.ended) == (3, 2, 1, 2, 1, 1)
    assert (t["BK"].consented, t["BK"].active) == (1, 0)
    assert ro.aps_funnel(rows, D(2025, 9, 1)) == [("invited", 4), ("consented", 3), ("started", 2), ("active", 1),
                                                  ("ended", 1)]
    plan = ro.IntakePlan(365, D(2025, 1, 1), D(2025, 12, 31))  # one a day
    rows_m = ro.intake_against_plan(rows, plan, D(2025, 2, 28))
    assert [(r.month, r.planned_cumulative, r.started_cumulative) for r in rows_m] == [
        ("2025-01", 31.0, 1), ("2025-02", 59.0, 2)]


def test_planned_intake_of_the_programme():
    plan = ro.IntakePlan()  # 14,194 in 2016-2019 (seed 000:56)
    assert plan.planned_by(D(2019, 12, 31)) == pytest.approx(14194)
    assert plan.planned_by(D(2015, 12, 31)) == 0
    assert plan.planned_by(D(2017, 12, 31)) == pytest.approx(14194 * 731 / 1461)
    by_year = ro.IntakePlan(100, D(2016, 1, 1), D(2017, 12, 31), ((2016, 20), (2017, 80)))
    assert by_year.planned_by(D(2016, 12, 31)) == pytest.approx(20)
    assert by_year.scaled(0.5).total == 50
    # intake from 1 March: the first year's number over its 306 days from then, each month its days' share
    late = ro.IntakePlan(1306, D(2026, 3, 1), D(2027, 12, 31), ((2026, 306), (2027, 1000)))
    assert late.planned_by(D(2026, 2, 28)) == 0
    assert late.planned_by(D(2026, 3, 31)) == pytest.approx(31)
    assert late.planned_by(D(2026, 12, 31)) == pytest.approx(306)
    assert late.planned_by(D(2027, 1, 31)) == pytest.approx(306 + 1000 * 31 / 365)
    assert late.planned_by(D(2028, 6, 30)) == pytest.approx(1306)


def test_sessions_against_plan():
    rows = [ro.Session("1083", "AJ", D(2025, 3, 1), D(2025, 3, 1), "startup"),
            ro.Session("1083", "AJ", D(2025, 3, 15), None), ro.Session("1083", "AJ", D(2025, 4, 15), None)]
    (r,) = ro.sessions_against_plan(rows, D(2025, 4, 1))
    assert (r.planned, r.held, r.missed, r.held_share) == (2, 1, 1, 0.5)


def test_read_rows(tmp_path):
    p = tmp_path / "enrolments.csv"
    p.write_text("region,nurse,invited_on,consented_on,started_on,ended_on,declined_on\n"
                 "1083,AJ,2025-01-05,2025-01-10,,,\n", encoding="utf-8")
    (e,) = ro.read_rows(p, ro.Enrolment)
    assert (e.invited_on, e.started_on) == (D(2025, 1, 5), None)
    p.write_text("region,nurse,invited_on\n1083,AJ,05-01-2025\n", encoding="utf-8")
    with pytest.raises(MonitorError, match=r"line 2, column invited_on.*Fix"):
        ro.read_rows(p, ro.Enrolment)


def test_demo_rollout_rows_hold_no_person(tmp_path):
    from opspor.monitor import demo_rollout

    trial = tmp_path / "trial.csv"
    trial.write_text("cpr,region_code,municipality_code,stratum,arm,randomised_on,p_admission_12m\n"
                     + "".join(f"01015{i:05d},1083,461,1083,{'intervention' if i % 2 else 'control'},2025-01-01,0.3\n"
                               for i in range(10)), encoding="utf-8")
    files = demo_rollout.write(trial, tmp_path / "rollout", D(2025, 6, 30))
    text = "".join(f.read_text(encoding="utf-8") for f in files)
    assert "0101500001" not in text and "cpr" not in text
    enrol = ro.read_rows(tmp_path / "rollout" / "enrolments.csv", ro.Enrolment)
    assert len(enrol) == 15  # 10 randomised + 5 who declined
    assert sum(e.started_on is not None for e in enrol) <= 5
