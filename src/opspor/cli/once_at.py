"""``--once-at`` of the ``schedule`` commands (lists, monitor, alerts): run the job once at a given
moment, then stop; parsed in one place."""

from __future__ import annotations

import datetime as dt

import typer


def _parse(value: str | None) -> dt.datetime | None:
    """``HH:MM[:SS]`` today or ``YYYY-MM-DDTHH:MM[:SS]``, Copenhagen wall-clock time."""
    if value is None:
        return None
    from opspor.lists import schedule

    try:
        if "T" in value:
            return dt.datetime.fromisoformat(value)
        return schedule.local(schedule.today(), schedule.parse_time(value, "--once-at"))
    except (ValueError, schedule.ScheduleError):
        raise typer.BadParameter(f"{value!r} is not HH:MM[:SS] (today) or YYYY-MM-DDTHH:MM[:SS]. "
                                 "Fix: e.g. 06:30 or 2026-12-01T07:00") from None


def once_at_option(done: str):
    """The option; ``done`` says what exit code 0 means (e.g. "the report was made")."""
    return typer.Option(None, "--once-at", callback=_parse,
                        help=f"Run once at HH:MM[:SS] today or at YYYY-MM-DDTHH:MM[:SS] (Copenhagen), then stop; "
                             f"exit code 0 if {done}.")
