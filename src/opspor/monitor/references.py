"""Published reference figures (``data/references.yaml``): the pilot, the national trial and the
planned intake of Aktiv Patientstøtte. Shown beside a programme's own results as reference
lines, never as its results."""

from __future__ import annotations

import datetime as dt
from functools import cache
from importlib import resources

from opspor import config_reader, dates
from opspor.monitor.rollout import IntakePlan


@cache
def references() -> dict:
    text = resources.files("opspor.monitor").joinpath("data", "references.yaml").read_text(encoding="utf-8")
    return config_reader.parse_yaml(text, "opspor/monitor/data/references.yaml")


def planned_intake() -> IntakePlan:
    p = references()["planned_intake"]
    return IntakePlan(int(p["total"]), _date(p["start"]), _date(p["end"]), (), p["source"].strip())


def _date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dates.parse_date(str(value))
