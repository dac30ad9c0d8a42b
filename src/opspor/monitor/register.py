"""A monitoring-task register from YAML (the example for the synthetic region, or a region's own
file), checked on the way in: errors name the file, the key path and the fix.

The web app keeps its register in the database and builds :class:`~opspor.monitor.tasks.MonitoringTask`
objects with ``MonitoringTask.from_mapping(row)``; this module is for files.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opspor.config_reader import Ctx as _Ctx
from opspor.config_reader import integer as _int
from opspor.config_reader import mapping as _mapping
from opspor.config_reader import read_yaml as _read_yaml
from opspor.config_reader import show as _show
from opspor.config_reader import text as _text
from opspor.config_reader import version as _version
from opspor.monitor.tasks import (
    DataSource,
    Frequency,
    Monitoring,
    MonitoringTask,
    StatusCode,
    Weight,
)

EXAMPLE_FILE = Path(__file__).with_name("config") / "monitoring_register.yaml"

_TASK_KEYS = ("id", "group", "title", "frequency", "data_source", "monitoring", "status", "weight",
              "owner", "indicators", "anchor_month", "first_year", "due_date", "last_done", "start",
              "note", "source")


_ENUMS = {"frequency": Frequency, "data_source": DataSource, "monitoring": Monitoring,
          "status": StatusCode, "weight": Weight}


@dataclass(frozen=True)
class Register:
    file: str
    version: str
    year: int
    tasks: tuple[MonitoringTask, ...]
    owners: dict[str, str] = field(default_factory=dict)  # group -> owner
    meetings: dict[str, tuple[dt.date, ...]] = field(default_factory=dict)  # group -> dates


def _date(ctx: _Ctx, value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ctx.error(f"expected a date, got {_show(value)}", "write it as 2025-03-31") from None


def load_register(path: str | Path | None = None) -> Register:
    path = Path(path) if path is not None else EXAMPLE_FILE
    data, _digest = _read_yaml(path)
    ctx = _Ctx(str(path))
    top = _mapping(ctx, data, ("version", "year", "groups", "tasks"), ("version", "year", "tasks"))
    version = _version(ctx.at("version"), top["version"])
    year = _int(ctx.at("year"), top["year"], 2000, "year: 2025")
    owners: dict[str, str] = {}
    meetings: dict[str, tuple[dt.date, ...]] = {}
    gctx = ctx.at("groups")
    raw_groups = top.get("groups") or {}
    if not isinstance(raw_groups, dict):
        raise gctx.error("expected a mapping of follow-up groups", "write `groups: {Name: {owner: ..., meetings: [...]}}`")
    for name, body in raw_groups.items():
        nctx = gctx.at(str(name))
        body = _mapping(nctx, body or {}, ("owner", "meetings"))
        if "owner" in body:
            owners[str(name)] = _text(nctx.at("owner"), body["owner"], "owner")
        dates = body.get("meetings") or []
        if not isinstance(dates, list):
            raise nctx.at("meetings").error(f"expected a list of dates, got {_show(dates)}",
                                            "write e.g. `meetings: [2025-10-06, 2025-12-08]`")
        meetings[str(name)] = tuple(_date(nctx.at("meetings").at(i), d) for i, d in enumerate(dates))
    tctx = ctx.at("tasks")
    if not isinstance(top["tasks"], list) or not top["tasks"]:
        raise tctx.error("expected a non-empty list of tasks", "write `tasks:` followed by `- {id: ..., ...}`")
    tasks: list[MonitoringTask] = []
    for i, raw in enumerate(top["tasks"]):
        ictx = tctx.at(i)
        body = _mapping(ictx, raw, _TASK_KEYS, ("id", "group", "title", "frequency", "data_source"))
        for key in ("due_date", "last_done", "start"):
            if key in body:
                body[key] = _date(ictx.at(key), body[key])
        if "owner" not in body and body["group"] in owners:
            body["owner"] = owners[body["group"]]
        for key, enum in _ENUMS.items():
            if key not in body:
                continue
            values = str(body[key]).replace(",", "/").split("/") if key == "status" else [body[key]]
            for value in values:
                try:
                    enum.parse(value)
                except ValueError:
                    raise ictx.at(key).error(
                        f"unknown value {_show(value)}",
                        f"write one of: {', '.join(m.value for m in enum)}") from None
        for key in ("indicators", "anchor_month", "first_year"):
            if key in body:
                _int(ictx.at(key), body[key], 0 if key == "indicators" else 1, f"{key}: 1")
        try:
            task = MonitoringTask.from_mapping(body)
        except ValueError as error:
            raise ictx.error(str(error), "add the missing field (docs/monitoring.md)") from None
        if any(t.id == task.id for t in tasks):
            raise ictx.at("id").error(f"task id {task.id!r} is used twice", "give each task its own id")
        tasks.append(task)
    return Register(str(path), version, year, tuple(tasks), owners, meetings)
