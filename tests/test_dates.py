"""``opspor.dates``: calendar months and the command line's dates, one place for all areas."""

from __future__ import annotations

import datetime as dt

import pytest
from typer.testing import CliRunner

from opspor import dates
from opspor.cli import app

D = dt.date
SYNTH = ("--persons", "10", "--seed", "1", "--out", "drop")


@pytest.mark.parametrize(("day", "months", "expected"), [
    (D(2024, 1, 15), 1, D(2024, 2, 15)),
    (D(2024, 1, 31), 1, D(2024, 2, 29)),  # leap year: the month's last day
    (D(2023, 1, 31), 1, D(2023, 2, 28)),
    (D(2024, 3, 31), -1, D(2024, 2, 29)),
    (D(2024, 8, 31), 1, D(2024, 9, 30)),
    (D(2024, 12, 15), 1, D(2025, 1, 15)),  # over the year's end
    (D(2025, 1, 10), -1, D(2024, 12, 10)),
    (D(2024, 2, 29), 12, D(2025, 2, 28)),
    (D(2024, 5, 31), -13, D(2023, 4, 30)),
    (D(2024, 5, 31), 0, D(2024, 5, 31)),
    (D(2016, 1, 1), 48, D(2020, 1, 1)),
])
def test_add_months_keeps_the_day_or_takes_the_months_last(day, months, expected):
    assert dates.add_months(day, months) == expected


def test_add_months_there_and_back_for_days_every_month_has():
    day = D(2022, 11, 1)
    while day < D(2026, 3, 1):
        for n in (-25, -12, -1, 1, 3, 6, 9, 14):
            moved = dates.add_months(day, n)
            assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == n
            assert dates.add_months(moved, -n) == day
        day += dt.timedelta(days=1 if day.day < 28 else 4)


def test_month_and_quarter_boundaries():
    assert dates.month_start(D(2024, 2, 17)) == D(2024, 2, 1)
    assert dates.next_month(D(2024, 2, 17)) == D(2024, 3, 1)
    assert dates.next_month(D(2024, 12, 31)) == D(2025, 1, 1)
    assert dates.month_end(D(2024, 2, 1)) == D(2024, 2, 29)
    assert dates.month_end(D(2023, 2, 28)) == D(2023, 2, 28)
    assert dates.month_end(D(2024, 12, 2)) == D(2024, 12, 31)
    assert [dates.quarter_start(D(2024, m, 20)) for m in (1, 3, 4, 6, 7, 9, 10, 12)] == [
        D(2024, 1, 1), D(2024, 1, 1), D(2024, 4, 1), D(2024, 4, 1),
        D(2024, 7, 1), D(2024, 7, 1), D(2024, 10, 1), D(2024, 10, 1)]


def test_the_areas_use_the_one_month_arithmetic():
    """The month series of monitoring, alerts, risk training and the synthetic drop agree with
    ``opspor.dates`` (they used to carry their own copies)."""
    from opspor.alerts.compute import parse_month
    from opspor.monitor.indicator_sql import months
    from opspor.risk.models.training import quarter_days
    from opspor.synth.pipeline import default_as_of

    periods = months(2023, 2024)
    assert len(periods) == 24
    for p in periods:
        assert p.end == dates.next_month(p.start) and p.start.day == 1
        assert parse_month(p.label) == p
    assert quarter_days(D(2023, 2, 1), D(2024, 1, 1)) == [
        D(2023, 4, 1), D(2023, 7, 1), D(2023, 10, 1), D(2024, 1, 1)]
    assert default_as_of(D(2022, 5, 31), D(2024, 1, 1)) == (D(2023, 7, 1), D(2023, 10, 1), D(2024, 1, 1))


def test_parse_date_says_how_to_write_it():
    assert dates.parse_date("2026-03-02") == D(2026, 3, 2)
    for bad in ("02-03-2026", "2026-02-30", "", "tomorrow"):
        with pytest.raises(dates.DateError, match=r"is not a date like 2026-03-02 \(write YYYY-MM-DD\)"):
            dates.parse_date(bad)


@pytest.mark.parametrize(("args", "option"), [
    (["synth", *SYNTH, "--start", "2024-02-30", "--end", "2024-12-31"], "--start"),
    (["synth", *SYNTH, "--start", "2024-01-01", "--end", "31-12-2024"], "--end"),
    (["lists", "run", "--as-of", "01-06-2025"], "--as-of"),
    (["lists", "status", "--day", "2025-13-01"], "--day"),
    (["risk", "score", "--as-of", "1/6/2025"], "--as-of"),
    (["monitor", "tasks", "--as-of", "2025-06-31"], "--as-of"),
])
def test_every_command_refuses_a_bad_date_the_same_way(args, option, tmp_path, monkeypatch):
    """A bad date is a usage error (exit code 2) naming the option and the form to write,
    before anything is read or written."""
    monkeypatch.setenv("OPSPOR_HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.replace("│", " ").split())
    assert option in text
    assert "is not a date like 2026-03-02 (write YYYY-MM-DD)" in text
    assert list(tmp_path.iterdir()) == []
