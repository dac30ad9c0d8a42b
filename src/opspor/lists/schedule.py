"""When the daily lists are made and when they are due: the one place for these settings.

Programme 2's lists go out before 11:00 on weekdays (``shared/docs/domain.md``). The scheduler
(:mod:`opspor.lists.scheduler`) runs them at :attr:`Settings.run_at`; ``opspor lists status``
and the web app raise the alarm when a weekday's lists do not exist at
:attr:`Settings.deadline` (:func:`opspor.lists.status.lists_status`).

=========================  ===========================================  =======
environment variable       meaning                                      default
=========================  ===========================================  =======
``OPSPOR_LISTS_RUN_AT``    local time the scheduler runs the lists      06:30
``OPSPOR_LISTS_DEADLINE``  local time a weekday's lists must exist by   11:00
``OPSPOR_LISTS_HOLIDAYS``  ``1``: lists are due on Danish public        0
                           holidays that fall on weekdays too
=========================  ===========================================  =======

Danish public holidays come from the ``holidays`` package (maintained calendars; Store bededag
is gone from 2024 on). Grundlovsdag, 24 and 31 December are not public holidays and stay due.

All times are wall-clock time in Europe/Copenhagen, whatever the server's own time zone.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from opspor.dates import public_holiday

TIMEZONE_NAME = "Europe/Copenhagen"
TIMEZONE = ZoneInfo(TIMEZONE_NAME)

RUN_AT_ENV = "OPSPOR_LISTS_RUN_AT"
DEADLINE_ENV = "OPSPOR_LISTS_DEADLINE"
HOLIDAYS_ENV = "OPSPOR_LISTS_HOLIDAYS"
DEFAULT_RUN_AT = dt.time(6, 30)
DEFAULT_DEADLINE = dt.time(11, 0)

WEEKDAYS = (0, 1, 2, 3, 4)  # Monday-Friday: the days the lists are due
CRON_DAYS = "mon-fri"  # the same, for APScheduler's CronTrigger

_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")


class ScheduleError(ValueError):
    """A setting that cannot be read; the message names the setting and the fix."""


def parse_time(value: str, what: str) -> dt.time:
    """``HH:MM`` or ``HH:MM:SS`` (24-hour clock) -> time; ``what`` names the setting in errors."""
    match = _TIME.match(value.strip())
    if not match:
        raise ScheduleError(
            f"{what}: {value!r} is not a time of day. Fix: write it as HH:MM on the 24-hour clock, "
            "e.g. 06:30"
        )
    hour, minute, second = match.groups()
    return dt.time(int(hour), int(minute), int(second or 0))


@dataclass(frozen=True)
class Settings:
    run_at: dt.time = DEFAULT_RUN_AT
    deadline: dt.time = DEFAULT_DEADLINE
    due_on_public_holidays: bool = False

    def __post_init__(self) -> None:
        if self.run_at >= self.deadline:
            raise ScheduleError(
                f"{RUN_AT_ENV} ({self.run_at:%H:%M}) is not before {DEADLINE_ENV} "
                f"({self.deadline:%H:%M}). Fix: run the lists before they are due"
            )

    def is_due_day(self, day: dt.date) -> bool:
        """Are lists due on ``day``? Monday to Friday, except Danish public holidays unless
        ``due_on_public_holidays``."""
        if day.weekday() not in WEEKDAYS:
            return False
        return self.due_on_public_holidays or public_holiday(day) is None

    def deadline_on(self, day: dt.date) -> dt.datetime:
        """The moment ``day``'s lists are due, as an aware datetime in Copenhagen."""
        return dt.datetime.combine(day, self.deadline, tzinfo=TIMEZONE)

    def run_time_on(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, self.run_at, tzinfo=TIMEZONE)


def settings(environ: dict[str, str] | None = None) -> Settings:
    """The settings in force, from the environment (defaults where unset or empty)."""
    env = os.environ if environ is None else environ
    run_at = env.get(RUN_AT_ENV, "").strip()
    deadline = env.get(DEADLINE_ENV, "").strip()
    on_holidays = env.get(HOLIDAYS_ENV, "").strip() or "0"
    if on_holidays not in ("0", "1"):
        raise ScheduleError(f"{HOLIDAYS_ENV}: {on_holidays!r} is not 0 or 1. Fix: write 1 to make "
                            "lists due on public holidays, 0 (the default) not to")
    return Settings(
        run_at=parse_time(run_at, RUN_AT_ENV) if run_at else DEFAULT_RUN_AT,
        deadline=parse_time(deadline, DEADLINE_ENV) if deadline else DEFAULT_DEADLINE,
        due_on_public_holidays=on_holidays == "1",
    )


def now() -> dt.datetime:
    """Now, in Copenhagen (aware)."""
    return dt.datetime.now(TIMEZONE)


def today() -> dt.date:
    """Today's date in Copenhagen, the default run day."""
    return now().date()


def local(day: dt.date, time_of_day: dt.time) -> dt.datetime:
    """An aware Copenhagen datetime for a wall-clock time on a day."""
    return dt.datetime.combine(day, time_of_day, tzinfo=TIMEZONE)
