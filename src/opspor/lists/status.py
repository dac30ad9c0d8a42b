"""Are a day's lists published, and should anyone be alarmed? For ``opspor lists status`` and
the web app (call :func:`lists_status` and show ``message`` when ``alarm`` is true).

A day's lists are *published* when a stored run (``opspor lists run`` or the scheduler) has that
day as its as-of date. On a weekday (:meth:`Settings.is_due_day`) they are due by the deadline
(:mod:`opspor.lists.schedule`); past it without a run, the status is an alarm.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from opspor.lists import runs, schedule
from opspor.lists.schedule import Settings

PUBLISHED = "published"  # a stored run exists for the day
NOT_YET_DUE = "not_yet_due"  # a weekday, before the deadline, no run yet
MISSING = "missing"  # a weekday, at or past the deadline, no run: the alarm
NOT_DUE_DAY = "not_due_day"  # Saturday or Sunday, no run (nothing due)

EXIT_ALARM = 3


@dataclass(frozen=True)
class ListsStatus:
    day: dt.date
    now: dt.datetime  # aware, Copenhagen
    deadline: dt.datetime  # aware, Copenhagen
    due_day: bool
    state: str
    run: dict | None  # the latest stored run for the day (its run.json), if any
    runs_today: int

    @property
    def alarm(self) -> bool:
        return self.state == MISSING

    @property
    def exit_code(self) -> int:
        return EXIT_ALARM if self.alarm else 0

    @property
    def late(self) -> bool:
        """Published, but after the deadline of a due day."""
        if self.run is None or not self.due_day:
            return False
        finished = _parse_utc(self.run.get("finished_at"))
        return finished is not None and finished > self.deadline

    @property
    def message(self) -> str:
        day = f"{self.day:%A} {self.day.isoformat()}"
        due = f"{self.deadline:%H:%M}"
        if self.state == MISSING:
            return (
                f"ALARM: the lists for {day} were not published by {due} (now "
                f"{self.now:%Y-%m-%d %H:%M} Copenhagen time): there is no run for that day. Fix: "
                f"run `opspor lists run --as-of {self.day.isoformat()}` and check the scheduler's log"
            )
        if self.state == NOT_YET_DUE:
            return (
                f"The lists for {day} are not yet due (due by {due} on weekdays; now "
                f"{self.now:%H:%M}); no run yet."
            )
        if self.state == NOT_DUE_DAY:
            holiday = schedule.public_holiday(self.day)
            why = (f"{holiday} is a public holiday; {schedule.HOLIDAYS_ENV}=1 makes such days due"
                   if holiday and self.day.weekday() in schedule.WEEKDAYS
                   else "lists are due Monday to Friday")
            return f"No lists are due on {day} ({why}); no run for that day."
        run = self.run or {}
        lists = run.get("lists", {})
        elig = run.get("eligibility", {})
        finished = _parse_utc(run.get("finished_at"))
        at = f"{finished.astimezone(schedule.TIMEZONE):%Y-%m-%d %H:%M}" if finished else "?"
        text = (
            f"The lists for {day} are published: run {run.get('run_id')} on snapshot "
            f"{run.get('snapshot_id')}, finished {at} Copenhagen time"
            + (f" — after the deadline {due}" if self.late else "")
            + f". {lists.get('departments', 0)} department list(s), "
            f"{lists.get('patient_entries', 0)} patient(s) on them ({lists.get('new_today', 0)} new "
            f"today), {lists.get('lines', 0)} line(s); eligibility: {elig.get('listed', 0):,} listed, "
            f"{elig.get('eligible', 0):,} eligible, {elig.get('excluded', 0):,} excluded."
        )
        if self.runs_today > 1:
            text += f" ({self.runs_today} runs for the day; the latest is shown.)"
        return text


def _parse_utc(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)  # Python >= 3.11 reads the Z
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def lists_status(
    day: dt.date | None = None,
    now: dt.datetime | None = None,
    settings: Settings | None = None,
) -> ListsStatus:
    """The status of ``day``'s lists (default today) at ``now`` (default now; naive = Copenhagen)."""
    settings = settings or schedule.settings()
    now = now or schedule.now()
    if now.tzinfo is None:
        now = now.replace(tzinfo=schedule.TIMEZONE)
    now = now.astimezone(schedule.TIMEZONE)
    day = day or now.date()
    day_runs = runs.runs_for_day(day)
    run = day_runs[-1] if day_runs else None
    due_day = settings.is_due_day(day)
    deadline = settings.deadline_on(day)
    if run is not None:
        state = PUBLISHED
    elif not due_day:
        state = NOT_DUE_DAY
    elif now >= deadline:
        state = MISSING
    else:
        state = NOT_YET_DUE
    return ListsStatus(day, now, deadline, due_day, state, run, len(day_runs))
