"""The programme's time rules, read from ``config/programme.yaml`` (versioned configuration;
see ``actions`` for how they are enforced and ``queries.day_buckets`` for how the day view
shows them)."""

from __future__ import annotations

import calendar
import datetime as dt
from pathlib import Path

import yaml

CONFIG = Path(__file__).with_name("config") / "programme.yaml"


class ProgrammeConfigError(Exception):
    """The programme file is wrong; the message names the file, the key and the fix."""


def _positive_int(data: dict, key: str, path: str) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ProgrammeConfigError(f"{CONFIG.name}: {path}: {value!r} is not a whole number >= 0; "
                                   f"fix: write e.g. `{key}: 7`")
    return value


def load(path: Path = CONFIG) -> dict:
    """Read and check the programme's time rules."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        raise ProgrammeConfigError(f"{path.name}: not valid YAML ({e}); fix the syntax") from None
    known = {"version", "source", "invitation_reminder_days", "support_months", "max_capacity"}
    for key in data:
        if key not in known:
            raise ProgrammeConfigError(f"{path.name}: {key}: unknown key; fix: use one of {sorted(known)}")
    if not isinstance(data.get("version"), str):
        raise ProgrammeConfigError(f'{path.name}: version: missing or not a string; fix: write version: "1"')
    months = data.get("support_months") or {}
    low = _positive_int(months, "min", "support_months.min")
    high = _positive_int(months, "max", "support_months.max")
    if low > high:
        raise ProgrammeConfigError(f"{path.name}: support_months: min {low} is above max {high}; fix: swap them")
    return {"version": data["version"], "invitation_reminder_days":
            _positive_int(data, "invitation_reminder_days", "invitation_reminder_days"),
            "support_min_months": low, "support_max_months": high,
            "max_capacity": _positive_int(data, "max_capacity", "max_capacity")}


_RULES = load()
VERSION = _RULES["version"]
INVITATION_REMINDER_DAYS = _RULES["invitation_reminder_days"]
SUPPORT_MIN_MONTHS = _RULES["support_min_months"]
SUPPORT_MAX_MONTHS = _RULES["support_max_months"]
MAX_CAPACITY = _RULES["max_capacity"]


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months; the 31st becomes the month's last day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def end_due_on(start: dt.date) -> dt.date:
    return add_months(start, SUPPORT_MIN_MONTHS)


def end_overdue_on(start: dt.date) -> dt.date:
    return add_months(start, SUPPORT_MAX_MONTHS)
