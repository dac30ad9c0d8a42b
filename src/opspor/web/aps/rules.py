"""The programme's time rules, read from ``config/programme.yaml`` (versioned configuration;
see ``actions`` for how they are enforced and ``queries.day_buckets`` for how the day view
shows them).

The file is read on first use, not at import: ``OPSPOR_APS_PROGRAMME`` names another programme
file (a region's own, or the demo's trial). ``rules.TRIAL``, ``rules.MAX_CAPACITY`` ... are read
through :func:`programme` (a test may replace ``rules.TRIAL``)."""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from opspor import config_reader
from opspor.dates import add_months, public_holiday

ENV = "OPSPOR_APS_PROGRAMME"
SHIPPED = Path(__file__).with_name("config") / "programme.yaml"


class ProgrammeConfigError(config_reader.ConfigError):
    """The programme file is wrong; the message names the file, the key and the fix."""


class _Ctx(config_reader.Ctx):
    error_class = ProgrammeConfigError


def config_path() -> Path:
    """The programme file in force: ``OPSPOR_APS_PROGRAMME`` or the shipped one."""
    return Path(os.environ.get(ENV) or SHIPPED)


_KEYS = ("version", "source", "invitation_reminder_days", "missed_call_retry_days", "support_months", "max_capacity",
         "trial", "questionnaires")
_EXAMPLES = {"version": 'e.g. `version: "1"`; bump it on every change',
             "invitation_reminder_days": "e.g. `invitation_reminder_days: 7`",
             "support_months": "e.g. `support_months: {min: 6, max: 9}`",
             "max_capacity": "e.g. `max_capacity: 500`",
             "missed_call_retry_days": "e.g. `missed_call_retry_days: 1`"}


def load(path: Path | None = None) -> dict:
    """Read and check the programme's time rules (default: :func:`config_path`)."""
    path = Path(path) if path is not None else config_path()
    data, _digest = config_reader.read_yaml(path, ProgrammeConfigError)
    ctx = _Ctx(str(path))
    top = config_reader.mapping(ctx, data, _KEYS,
                                tuple(k for k in _KEYS if k not in ("source", "trial", "questionnaires", "missed_call_retry_days")),
                                _EXAMPLES, "see the shipped programme.yaml")
    if not isinstance(top["version"], str):
        raise ctx.at("version").error(f"expected a string, got {config_reader.show(top['version'])}",
                                      'write version: "1" (quoted)')
    mctx = ctx.at("support_months")
    months = config_reader.mapping(mctx, top["support_months"], ("min", "max"), ("min", "max"))
    low = config_reader.integer(mctx.at("min"), months["min"], 0, "min: 6")
    high = config_reader.integer(mctx.at("max"), months["max"], 0, "max: 9")
    if low > high:
        raise mctx.error(f"min {low} is above max {high}", "swap them")
    return {"version": top["version"],
            "invitation_reminder_days": config_reader.integer(
                ctx.at("invitation_reminder_days"), top["invitation_reminder_days"], 0, "invitation_reminder_days: 7"),
            # absent: no new try is planned by itself (the nurse plans one)
            "missed_call_retry_days": config_reader.integer(
                ctx.at("missed_call_retry_days"), top["missed_call_retry_days"], 1, "missed_call_retry_days: 1")
            if "missed_call_retry_days" in top else None,
            "support_min_months": low, "support_max_months": high,
            "max_capacity": config_reader.integer(ctx.at("max_capacity"), top["max_capacity"], 0, "max_capacity: 500"),
            "trial": _trial(ctx.at("trial"), top.get("trial")),
            "questionnaires": _questionnaires(ctx.at("questionnaires"), top.get("questionnaires"))}


@cache
def programme() -> dict:
    """The programme file in force, read once."""
    return load()


_NAMES = {"VERSION": "version", "INVITATION_REMINDER_DAYS": "invitation_reminder_days",
          "SUPPORT_MIN_MONTHS": "support_min_months", "SUPPORT_MAX_MONTHS": "support_max_months",
          "MAX_CAPACITY": "max_capacity", "TRIAL": "trial", "QUESTIONNAIRES": "questionnaires",
          "MISSED_CALL_RETRY_DAYS": "missed_call_retry_days"}


def __getattr__(name: str) -> Any:
    """``rules.TRIAL``, ``rules.MAX_CAPACITY``, ``rules.CONFIG`` ...: read on first use."""
    if name in _NAMES:
        return programme()[_NAMES[name]]
    if name == "CONFIG":
        return config_path()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class Trial:
    """The programme run as a randomised trial (``trial:`` of the programme file).

    Randomised at invitation, 1:1 in permuted blocks stratified by region
    (``opspor.monitor.randomisation``); the arm is concealed until consent is recorded. The
    control arm gets usual care: no support sessions, goals or plan, but the questionnaire
    ``control_instrument`` at ``control_timepoints`` (months after consent)."""

    enabled: bool
    id: str
    arms: tuple[str, ...]
    block_sizes: tuple[int, ...]
    strata: tuple[str, ...]
    control_instrument: str
    control_timepoints: tuple[tuple[str, int], ...]

    @property
    def on(self) -> bool:
        return self.enabled


OFF = Trial(False, "", (), (), (), "", ())  # no `trial:` section: not a trial
_TRIAL_ID = re.compile(r"^[a-z0-9][a-z0-9.-]{1,38}$")
TIMEPOINTS = ("baseline", "3m", "6m", "12m")


def _trial(ctx: _Ctx, section: Any) -> Trial:
    """Check the ``trial:`` section; without it the programme is not a trial."""
    if section is None:
        return OFF
    keys = ("enabled", "id", "arms", "block_sizes", "stratify_by", "strata", "control")
    section = config_reader.mapping(ctx, section, keys, keys)
    enabled = config_reader.boolean(ctx.at("enabled"), section["enabled"])
    trial_id = section["id"]
    if not isinstance(trial_id, str) or not _TRIAL_ID.match(trial_id):
        raise ctx.at("id").error(f"{trial_id!r} is not a trial id (2-39 characters a-z, 0-9, '.', '-')",
                                 "write e.g. `id: aps-2026`")
    arms = section["arms"]
    if arms != ["intervention", "control"]:
        raise ctx.at("arms").error(f"{arms!r} are not the web flow's arms",
                                   "write `arms: [intervention, control]` (the web flow knows these two "
                                   "arms, allocated 1:1)")
    blocks = section["block_sizes"]
    if (not isinstance(blocks, list) or not blocks
            or any(not isinstance(b, int) or isinstance(b, bool) or b <= 0 or b % 2 for b in blocks)):
        raise ctx.at("block_sizes").error(f"{blocks!r} are not positive even numbers",
                                          "positive even numbers (1:1 in every block), e.g. `block_sizes: [2, 4, 6]`")
    config_reader.choice(ctx.at("stratify_by"), section["stratify_by"], ("region",), "stratification")
    strata = section["strata"]
    if not isinstance(strata, list) or not strata or any(not re.fullmatch(r"\d{4}", str(s)) for s in strata):
        raise ctx.at("strata").error(f"{strata!r} are not region codes",
                                     'list the region codes, e.g. `strata: ["1081", "1082", "1083", "1084", "1085"]`')
    cctx = ctx.at("control")
    control = config_reader.mapping(cctx, section["control"], ("instrument", "timepoints"), ("instrument", "timepoints"))
    instrument = control["instrument"]
    if not isinstance(instrument, str) or not instrument:
        raise cctx.at("instrument").error(f"{instrument!r} is not a questionnaire",
                                          "name the questionnaire of the control arm, e.g. `instrument: who5`")
    points = control["timepoints"]
    if (not isinstance(points, dict) or not points or any(k not in TIMEPOINTS for k in points)
            or any(not isinstance(v, int) or isinstance(v, bool) or v < 0 for v in points.values())):
        raise cctx.at("timepoints").error(
            f"{points!r} are not time points with months after consent",
            f"time point: months after consent, time points among {list(TIMEPOINTS)}, "
            "e.g. `{baseline: 0, 6m: 6, 12m: 12}`")
    return Trial(enabled, trial_id, tuple(arms), tuple(blocks), tuple(str(s) for s in strata), instrument,
                 tuple(sorted(points.items(), key=lambda kv: kv[1])))


@dataclass(frozen=True)
class Questionnaires:
    """Questionnaires answered at home (``questionnaires:`` of the programme file): the default
    schedule (``instrument`` at ``timepoints``, months after the first day), how long an
    invitation is open (``answer_days``) and when reminders go out (``reminder_days`` after the
    invitation, one per entry). Without the section the programme sends none."""

    instrument: str
    timepoints: tuple[tuple[str, int], ...]
    answer_days: int
    reminder_days: tuple[int, ...]



def _questionnaires(ctx: _Ctx, section: Any) -> Questionnaires | None:
    if section is None:
        return None
    keys = ("instrument", "timepoints", "answer_days", "reminder_days")
    section = config_reader.mapping(ctx, section, keys, keys, {
        "instrument": "e.g. `instrument: who5`", "timepoints": "e.g. `timepoints: {baseline: 0, 3m: 3, 6m: 6}`",
        "answer_days": "e.g. `answer_days: 14`", "reminder_days": "e.g. `reminder_days: [4, 10]`"})
    instrument = config_reader.text(ctx.at("instrument"), section["instrument"], "questionnaire id")
    points = section["timepoints"]
    tctx = ctx.at("timepoints")
    if not isinstance(points, dict) or not points:
        raise tctx.error(f"expected time points with months after the first day, got {config_reader.show(points)}",
                         "write e.g. `timepoints: {baseline: 0, 3m: 3, 6m: 6}`")
    for key, months in points.items():
        config_reader.choice(tctx.at(str(key)), key, TIMEPOINTS, "time point")
        config_reader.integer(tctx.at(str(key)), months, 0, f"{key}: 3")
    answer_days = config_reader.integer(ctx.at("answer_days"), section["answer_days"], 1, "answer_days: 14")
    reminders = section["reminder_days"]
    rctx = ctx.at("reminder_days")
    if not isinstance(reminders, list):
        raise rctx.error(f"expected a list of days, got {config_reader.show(reminders)}",
                         "write e.g. `reminder_days: [4, 10]` (or `[]` for no reminders)")
    days = [config_reader.integer(rctx.at(i), d, 1, "reminder_days: [4, 10]") for i, d in enumerate(reminders)]
    if days != sorted(set(days)):
        raise rctx.error(f"{days} are not increasing", "list each day once, the earliest first, e.g. `[4, 10]`")
    if days and days[-1] >= answer_days:
        raise rctx.error(f"a reminder on day {days[-1]} comes at or after the deadline (answer_days {answer_days})",
                         "remind before the deadline, or give more answer_days")
    return Questionnaires(instrument, tuple(sorted(points.items(), key=lambda kv: kv[1])), answer_days, tuple(days))


def end_due_on(start: dt.date) -> dt.date:
    return add_months(start, programme()["support_min_months"])


def end_overdue_on(start: dt.date) -> dt.date:
    return add_months(start, programme()["support_max_months"])


def retry_on(missed: dt.datetime) -> dt.datetime | None:
    """When to call again after ``missed`` (an aware local date-time): ``missed_call_retry_days``
    working days later (Monday-Friday, not a Danish public holiday: :func:`opspor.dates.public_holiday`),
    at the same local time; None when the programme file sets no retry."""
    left = programme()["missed_call_retry_days"]
    if left is None:
        return None
    day = missed
    while left:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and public_holiday(day.date()) is None:
            left -= 1
    return day
