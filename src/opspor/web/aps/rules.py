"""The programme's time rules, read from ``config/programme.yaml`` (versioned configuration;
see ``actions`` for how they are enforced and ``queries.day_buckets`` for how the day view
shows them)."""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from opspor.dates import add_months

# ``OPSPOR_APS_PROGRAMME`` names another programme file (a region's own, or the demo's trial).
CONFIG = Path(os.environ.get("OPSPOR_APS_PROGRAMME") or Path(__file__).with_name("config") / "programme.yaml")


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
    known = {"version", "source", "invitation_reminder_days", "support_months", "max_capacity", "trial"}
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
            "max_capacity": _positive_int(data, "max_capacity", "max_capacity"),
            "trial": _trial(data.get("trial"), path)}


@dataclass(frozen=True)
class Trial:
    """The programme run as a randomised trial (``trial:`` of the programme file).

    Randomised at invitation, 1:1 in permuted blocks stratified by region
    (``opspor.monitor.randomisation``); the arm is concealed until consent is recorded. The
    control arm gets usual care: no support sessions, goals or plan, but the questionnaire
    ``control_instrument`` at ``control_timepoints`` (months after consent)."""

    enabled: bool
    id: str = ""
    arms: tuple[str, ...] = ("intervention", "control")
    block_sizes: tuple[int, ...] = (2, 4, 6)
    strata: tuple[str, ...] = ()
    control_instrument: str = "who5"
    control_timepoints: tuple[tuple[str, int], ...] = (("baseline", 0), ("6m", 6), ("12m", 12))

    @property
    def on(self) -> bool:
        return self.enabled


OFF = Trial(enabled=False)
_TRIAL_ID = re.compile(r"^[a-z0-9][a-z0-9.-]{1,38}$")
TIMEPOINTS = ("baseline", "3m", "6m", "12m")


def _trial(section, path: Path) -> Trial:
    """Check the ``trial:`` section; without it the programme is not a trial."""
    if section is None:
        return OFF
    where = f"{path.name}: trial"
    if not isinstance(section, dict):
        raise ProgrammeConfigError(f"{where}: not a mapping; fix: write `trial:` with `enabled: false` or the trial's keys")
    known = {"enabled", "id", "arms", "block_sizes", "stratify_by", "strata", "control"}
    for key in section:
        if key not in known:
            raise ProgrammeConfigError(f"{where}.{key}: unknown key; fix: use one of {sorted(known)}")
    enabled = section.get("enabled")
    if not isinstance(enabled, bool):
        raise ProgrammeConfigError(f"{where}.enabled: {enabled!r} is not true or false; fix: write `enabled: false`")
    trial_id = section.get("id")
    if not isinstance(trial_id, str) or not _TRIAL_ID.match(trial_id):
        raise ProgrammeConfigError(f"{where}.id: {trial_id!r} is not a trial id (2-39 characters a-z, 0-9, '.', '-'); "
                                   "fix: write e.g. `id: aps-2026`")
    arms = section.get("arms")
    if arms != ["intervention", "control"]:
        raise ProgrammeConfigError(f"{where}.arms: {arms!r}; fix: write `arms: [intervention, control]` "
                                   "(the web flow knows these two arms, allocated 1:1)")
    blocks = section.get("block_sizes")
    if (not isinstance(blocks, list) or not blocks
            or any(not isinstance(b, int) or isinstance(b, bool) or b <= 0 or b % 2 for b in blocks)):
        raise ProgrammeConfigError(f"{where}.block_sizes: {blocks!r}; fix: positive even numbers (1:1 in every "
                                   "block), e.g. `block_sizes: [2, 4, 6]`")
    if section.get("stratify_by") != "region":
        raise ProgrammeConfigError(f"{where}.stratify_by: {section.get('stratify_by')!r}; fix: write "
                                   "`stratify_by: region` (the only stratification of the web flow)")
    strata = section.get("strata")
    if not isinstance(strata, list) or not strata or any(not re.fullmatch(r"\d{4}", str(s)) for s in strata):
        raise ProgrammeConfigError(f"{where}.strata: {strata!r}; fix: list the region codes, e.g. "
                                   '`strata: ["1081", "1082", "1083", "1084", "1085"]`')
    control = section.get("control") or {}
    instrument = control.get("instrument")
    if not isinstance(instrument, str) or not instrument:
        raise ProgrammeConfigError(f"{where}.control.instrument: {instrument!r}; fix: name the questionnaire "
                                   "of the control arm, e.g. `instrument: who5`")
    points = control.get("timepoints")
    if (not isinstance(points, dict) or not points or any(k not in TIMEPOINTS for k in points)
            or any(not isinstance(v, int) or isinstance(v, bool) or v < 0 for v in points.values())):
        raise ProgrammeConfigError(f"{where}.control.timepoints: {points!r}; fix: time point: months after consent, "
                                   f"time points among {list(TIMEPOINTS)}, e.g. `{{baseline: 0, 6m: 6, 12m: 12}}`")
    return Trial(enabled, trial_id, tuple(arms), tuple(blocks), tuple(str(s) for s in strata), instrument,
                 tuple(sorted(points.items(), key=lambda kv: kv[1])))


_RULES = load()
VERSION = _RULES["version"]
INVITATION_REMINDER_DAYS = _RULES["invitation_reminder_days"]
SUPPORT_MIN_MONTHS = _RULES["support_min_months"]
SUPPORT_MAX_MONTHS = _RULES["support_max_months"]
MAX_CAPACITY = _RULES["max_capacity"]
# Read at call time (``rules.TRIAL``), never copied: a test or a reload may replace it.
TRIAL: Trial = _RULES["trial"]


def end_due_on(start: dt.date) -> dt.date:
    return add_months(start, SUPPORT_MIN_MONTHS)


def end_overdue_on(start: dt.date) -> dt.date:
    return add_months(start, SUPPORT_MAX_MONTHS)
