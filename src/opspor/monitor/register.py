"""A monitoring-task register from YAML (the example for the synthetic region, or a region's own
file), checked on the way in: errors name the file, the key path and the fix.

The web app keeps its register in the database and builds :class:`~opspor.monitor.tasks.MonitoringTask`
objects with ``MonitoringTask.from_mapping(row)``; this module is for files.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from opspor import config_reader
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


def load_register(path: str | Path | None = None) -> Register:
    path = Path(path) if path is not None else EXAMPLE_FILE
    data, _digest = config_reader.read_yaml(path)
    ctx = config_reader.Ctx(str(path))
    top = config_reader.mapping(ctx, data, ("version", "year", "groups", "tasks"), ("version", "year", "tasks"))
    version = config_reader.version(ctx.at("version"), top["version"])
    year = config_reader.integer(ctx.at("year"), top["year"], 2000, "year: 2025")
    owners: dict[str, str] = {}
    meetings: dict[str, tuple[dt.date, ...]] = {}
    gctx = ctx.at("groups")
    raw_groups = top.get("groups") or {}
    if not isinstance(raw_groups, dict):
        raise gctx.error("expected a mapping of follow-up groups", "write `groups: {Name: {owner: ..., meetings: [...]}}`")
    for name, body in raw_groups.items():
        nctx = gctx.at(str(name))
        body = config_reader.mapping(nctx, body or {}, ("owner", "meetings"))
        if "owner" in body:
            owners[str(name)] = config_reader.text(nctx.at("owner"), body["owner"], "owner")
        dates = body.get("meetings") or []
        if not isinstance(dates, list):
            raise nctx.at("meetings").error(f"expected a list of dates, got {config_reader.show(dates)}",
                                            "write e.g. `meetings: [2025-10-06, 2025-12-08]`")
        meetings[str(name)] = tuple(config_reader.date(nctx.at("meetings").at(i), d) for i, d in enumerate(dates))
    tctx = ctx.at("tasks")
    if not isinstance(top["tasks"], list) or not top["tasks"]:
        raise tctx.error("expected a non-empty list of tasks", "write `tasks:` followed by `- {id: ..., ...}`")
    tasks: list[MonitoringTask] = []
    for i, raw in enumerate(top["tasks"]):
        ictx = tctx.at(i)
        body = config_reader.mapping(ictx, raw, _TASK_KEYS, ("id", "group", "title", "frequency", "data_source"))
        for key in ("due_date", "last_done", "start"):
            if key in body:
                body[key] = config_reader.date(ictx.at(key), body[key])
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
                        f"unknown value {config_reader.show(value)}",
                        f"write one of: {', '.join(m.value for m in enum)}") from None
        for key in ("indicators", "anchor_month", "first_year"):
            if key in body:
                config_reader.integer(ictx.at(key), body[key], 0 if key == "indicators" else 1, f"{key}: 1")
        try:
            task = MonitoringTask.from_mapping(body)
        except ValueError as error:
            raise ictx.error(str(error), "add the missing field (docs/monitoring.md)") from None
        if any(t.id == task.id for t in tasks):
            raise ictx.at("id").error(f"task id {task.id!r} is used twice", "give each task its own id")
        tasks.append(task)
    return Register(str(path), version, year, tuple(tasks), owners, meetings)
