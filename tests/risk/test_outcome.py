"""The outcome window, the admission definition, deaths (competing risk or excluded), and the
refusal of a window the data do not cover; and the temporal split's dates."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest

from opspor.engines import connect
from opspor.risk import config, outcome, settings
from opspor.risk.models.training import TrainingError, quarter_days, schedule
from opspor.risk.outcome import DataPeriod, OutcomeError

A = dt.date(2025, 1, 1)
T = dt.datetime(2025, 1, 1)
DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)
SECOND = dt.timedelta(seconds=1)
END = dt.datetime(2026, 1, 1)  # the data end (00:00 after the last day)
PERIOD = DataPeriod(dt.date(2023, 1, 1), END, END - HOUR)


@pytest.fixture(scope="module")
def cfg() -> config.OutcomeConfig:
    return settings.load(config.CONFIG_DIR).outcome  # 6m = 182 days, competing risk


def _c(cid, cpr, start, hours, priority="acute"):
    return {"contact_id": cid, "cpr": cpr, "start": start,
            "end": None if hours is None else start + dt.timedelta(hours=hours), "priority": priority}


CASES = {  # cpr: (death_date, contacts, y)
    "0101500001": (None, [_c("a", "0101500001", T + 10 * SECOND, 12)], 1),  # exactly 12 h, just after T
    "0101500002": (None, [_c("b", "0101500002", T - SECOND, 48)], 0),  # began before T, runs on
    "0101500003": (None, [_c("c", "0101500003", T + 182 * DAY - SECOND, 20)], 1),  # last second in
    "0101500004": (None, [_c("d", "0101500004", T + 182 * DAY, 20)], 0),  # first second out
    "0101500005": (None, [_c("e", "0101500005", T + 5 * DAY, 11.99)], 0),  # too short: outpatient
    "0101500006": (None, [_c("f", "0101500006", T + 5 * DAY, 30, "planned")], 0),  # planned
    "0101500007": (A + 40 * DAY, [], 0),  # dies in the window without an admission
    "0101500008": (A + 40 * DAY, [_c("g", "0101500008", T + 20 * DAY, 24)], 1),  # admitted, then dies
    "0101500009": (A - DAY, [_c("h", "0101500009", T + 20 * DAY, 24)], None),  # dead before A
    "0101500010": (A, [], 0),  # dies on the as-of date: in the population
    "0101500011": (None, [_c("i", "0101500011", END - 13 * HOUR, None)], None),  # see below
}


def _snapshot(cases=CASES):
    persons = [{"cpr": cpr, "death_date": death} for cpr, (death, _, _) in cases.items()]
    contacts = [c for _, cs, _ in cases.values() for c in cs]
    return populated(persons, contacts)


def test_outcome_window_admissions_and_deaths(cfg):
    con = _snapshot()
    out = outcome.compute(con, A, cfg, PERIOD)
    alive = out.person_key.to_pylist()
    assert alive == sorted(f"pk-{cpr}" for cpr, (death, _, _) in CASES.items() if death is None or death >= A)
    by_key = dict(zip(alive, out.y.tolist(), strict=True))
    for cpr, (_, _, y) in CASES.items():
        if y is not None:
            assert by_key[f"pk-{cpr}"] == y, cpr
    assert "pk-0101500009" not in by_key
    died = dict(zip(alive, out.died.tolist(), strict=True))
    assert died["pk-0101500007"] and died["pk-0101500008"] and died["pk-0101500010"]
    assert not died["pk-0101500001"]


def test_a_stay_still_open_at_the_end_of_the_data_counts_once_12_hours_have_passed(cfg):
    as_of = dt.date(2025, 7, 1)  # its window [2025-07-01, 2025-12-30) ends before the data do
    late = {"0101500011": (None, [_c("i", "0101500011", dt.datetime(2025, 12, 29, 11), None)], None)}
    con = _snapshot(late)
    assert outcome.compute(con, as_of, cfg, PERIOD).y.tolist() == [1]  # 37 h before the end
    late = {"0101500011": (None, [_c("i", "0101500011", dt.datetime(2025, 12, 29, 23), None)], None)}
    short = DataPeriod(PERIOD.first_day, dt.datetime(2025, 12, 30), PERIOD.latest_start)
    assert outcome.compute(_snapshot(late), as_of, cfg, short).y.tolist() == [0]  # 1 h before its end


def test_deaths_can_be_excluded_instead(cfg):
    excluded = dataclasses.replace(cfg, deaths="exclude")
    con = _snapshot()
    out = outcome.compute(con, A, excluded, PERIOD)
    keep = outcome.usable(out, excluded)
    assert int((~keep).sum()) == 2  # 0101500007 and 0101500010 died without an admission
    assert outcome.usable(out, cfg).all()


def test_12_month_horizon(cfg):
    twelve = cfg.with_horizon("12m")
    out = outcome.compute(_snapshot(), A, twelve, PERIOD)
    # now also 0101500004 (day 182) and 0101500011 (open 13 h at the end of the data)
    assert twelve.horizon_days == 365 and int(out.y.sum()) == 5


def test_a_window_beyond_the_data_is_refused(cfg):
    with pytest.raises(OutcomeError, match=r"needs data up to 2026-01-31.*Fix: choose an as-of date on or before 2025-07-03"):
        outcome.compute(_snapshot(), dt.date(2025, 8, 2), cfg, PERIOD)


def test_data_period_is_the_day_after_the_latest_contact_start():
    con = _snapshot()
    period = outcome.data_period(con)
    assert period.end == dt.datetime(2026, 1, 1) and period.first_day == dt.date(2024, 12, 31)
    assert outcome.data_period(populated([{"cpr": "0101500001"}], [])) is None


def test_quarter_days_and_the_temporal_split():
    assert quarter_days(dt.date(2023, 11, 21), dt.date(2024, 7, 1)) == [
        dt.date(2024, 1, 1), dt.date(2024, 4, 1), dt.date(2024, 7, 1)]
    cfg = settings.load(config.CONFIG_DIR)
    period = DataPeriod(dt.date(2023, 1, 1), dt.datetime(2026, 1, 1), dt.datetime(2025, 12, 31, 23))
    s = schedule(period, cfg)
    assert s.test == dt.date(2025, 7, 1)
    assert s.train == (dt.date(2024, 1, 1), dt.date(2024, 4, 1), dt.date(2024, 7, 1), dt.date(2024, 10, 1))
    for day in s.train:  # every training outcome window ends by the test as-of date
        assert day + dt.timedelta(days=182) <= s.test
        assert day - dt.timedelta(days=365) >= period.first_day  # with the full feature history
    s12 = schedule(period, dataclasses.replace(cfg, outcome=cfg.outcome.with_horizon("12m")))
    assert s12.test == dt.date(2025, 1, 1) and s12.train == (dt.date(2024, 1, 1),)
    short = DataPeriod(dt.date(2024, 6, 1), dt.datetime(2026, 1, 1), dt.datetime(2025, 12, 31))
    with pytest.raises(TrainingError, match="no training as-of date before the test date"):
        schedule(short, cfg)
    assert np.all(np.diff([d.toordinal() for d in s.train]) > 0)


def populated(persons, contacts, engine=None):
    """A DuckDB engine holding ``persons`` and ``contacts`` (``engine``: refill that one)."""
    engine = engine or connect("duckdb:///:memory:")
    engine.populate({"persons": persons, "contacts": contacts})
    return engine
