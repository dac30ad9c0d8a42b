"""The scheduler (run once with a near trigger), its settings, and file naming."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from opspor.lists import schedule
from opspor.lists.export_csv import list_file_name, safe_name
from opspor.lists.schedule import ScheduleError, Settings


def _soon(seconds: int = 2) -> str:
    return (schedule.now() + dt.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S")


def test_scheduler_runs_the_lists_once(loaded, home):
    r = loaded.subprocess("lists", "schedule", "--once-at", _soon(), timeout=90)
    assert "are stored: run" in r.stderr
    (folder,) = (home / "lists" / "runs").iterdir()
    record = json.loads((folder / "run.json").read_text())
    assert record["as_of"] == schedule.today().isoformat()
    assert record["run_id"] in r.stderr
    # Cli checked the log (stderr) for CPR numbers and names


def test_scheduler_logs_a_failed_run_and_exits_1(cli, home):
    r = cli.subprocess("lists", "schedule", "--once-at", _soon(1), expect=1, timeout=90)
    assert "failed" in r.stderr and "opspor ingest" in r.stderr
    assert not (home / "lists" / "runs").exists() or not any((home / "lists" / "runs").iterdir())


@pytest.mark.parametrize("command", ["lists", "monitor", "alerts"])
@pytest.mark.parametrize("value", ["25:00", "2026-13-01T07:00", "tomorrow"])
def test_every_schedule_refuses_a_bad_once_at_with_the_fix(cli, command, value):
    """One parser for the three schedules' --once-at (cli/once_at.py): the same refusal and fix."""
    r = cli(command, "schedule", "--once-at", value, expect=2)
    text = " ".join(r.stderr.split())
    assert f"'{value}' is not HH:MM[:SS] (today) or YYYY-MM-DDTHH:MM[:SS]" in text and "e.g. 06:30" in text


def test_schedule_bad_run_at_is_refused(cli):
    r = cli("lists", "schedule", env={"OPSPOR_LISTS_RUN_AT": "6:3"}, expect=1)
    assert "OPSPOR_LISTS_RUN_AT" in r.stderr


def test_settings_defaults_and_environment():
    assert schedule.settings({}) == Settings(dt.time(6, 30), dt.time(11, 0))
    s = schedule.settings({"OPSPOR_LISTS_RUN_AT": "05:45", "OPSPOR_LISTS_DEADLINE": "10:00:30"})
    assert s.run_at == dt.time(5, 45) and s.deadline == dt.time(10, 0, 30)
    assert s.deadline_on(dt.date(2026, 3, 4)).utcoffset() == dt.timedelta(hours=1)
    assert s.deadline_on(dt.date(2026, 7, 1)).utcoffset() == dt.timedelta(hours=2)
    with pytest.raises(ScheduleError, match="not before"):
        schedule.settings({"OPSPOR_LISTS_RUN_AT": "11:30"})
    with pytest.raises(ScheduleError, match="24-hour"):
        schedule.settings({"OPSPOR_LISTS_DEADLINE": "25:00"})


def test_due_days_are_weekdays():
    s = Settings()
    days = [dt.date(2026, 3, 2) + dt.timedelta(days=i) for i in range(7)]  # Monday..Sunday
    assert [s.is_due_day(d) for d in days] == [True] * 5 + [False] * 2


def test_danish_public_holidays_on_weekdays_are_not_due_by_default():
    holidays_2026 = ["2026-01-01", "2026-04-02", "2026-04-03", "2026-04-06", "2026-05-14",
                     "2026-05-25", "2026-12-25"]
    for day in map(dt.date.fromisoformat, holidays_2026):
        assert not Settings().is_due_day(day), day
        assert Settings(due_on_public_holidays=True).is_due_day(day), day
    # Store bededag was abolished from 2024: the fourth Friday after Easter is a weekday again.
    assert Settings().is_due_day(dt.date(2026, 5, 1))
    assert not Settings().is_due_day(dt.date(2023, 5, 5))
    assert schedule.settings({"OPSPOR_LISTS_HOLIDAYS": "1"}).due_on_public_holidays


def test_catch_up_only_on_weekdays_past_run_time_without_run(home, monkeypatch):
    from opspor.lists.scheduler import needs_catch_up

    monkeypatch.setenv("OPSPOR_HOME", str(home))
    s = Settings()
    wednesday = dt.date(2026, 3, 4)
    assert needs_catch_up(s, schedule.local(wednesday, dt.time(8, 0)))
    assert not needs_catch_up(s, schedule.local(wednesday, dt.time(6, 0)))
    assert not needs_catch_up(s, schedule.local(dt.date(2026, 3, 7), dt.time(8, 0)))


@pytest.mark.parametrize(
    "name, safe",
    [
        ("MED1", "MED1"),
        ("OUH-AKU-ODE", "OUH-AKU-ODE"),
        ("Geriatri Æ", "Geriatri_20_C3_86"),
        ("a_b", "a_5Fb"),
        ("a/b", "a_2Fb"),
        ("..", "_2E_2E"),
        ("", "_"),
        (None, "_"),
    ],
)
def test_safe_name(name, safe):
    assert safe_name(name) == safe


def test_safe_names_are_distinct_and_bounded():
    names = ["a b", "a_b", "a_20b", "a-b", "A B", "ab"]
    assert len({safe_name(n) for n in names}) == len(names)
    assert list_file_name("OUH", "a_b") == "OUH__a_5Fb.csv"
    long = safe_name("Æ" * 200)
    assert len(long) == 100 and long != safe_name("Æ" * 201)


def test_scheduled_job_skips_public_holidays():
    from opspor.lists.scheduler import run_if_due

    calls = []
    job = lambda: calls.append(1) or {"ok": True}
    assert run_if_due(Settings(), job, dt.date(2026, 4, 3)) is None  # Langfredag
    assert run_if_due(Settings(), job, dt.date(2026, 4, 7)) == {"ok": True}
    assert run_if_due(Settings(due_on_public_holidays=True), job, dt.date(2026, 4, 3))
    assert calls == [1, 1]
