"""The task register between YAML, the database and the domain's dataclasses.

* :func:`import_register` — a register file (checked by :func:`opspor.monitor.register.load_register`)
  into the database: groups and tasks that are missing are created; tasks already present are
  kept as the secretariat edited them unless ``update=True``. Importing twice changes nothing.
  An import that changes something writes its audit entry in its transaction (system actor
  ``opspor monitor import-register``).
* :func:`as_task` — a row as :class:`opspor.monitor.tasks.MonitoringTask`, so due dates, the
  årshjul and the group page come from the domain code (one place for each rule).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from opspor.monitor import tasks as T
from opspor.monitor.register import load_register
from opspor.web.audit import actions as audit
from opspor.web.monitoring.models import FollowUpGroup, MonitoringTask

IMPORTER = audit.system("opspor monitor import-register")

TASK_FIELDS = ("title", "frequency", "data_source", "monitoring", "status", "weight", "owner", "indicators",
               "anchor_month", "first_year", "due_date", "last_done", "start", "note", "source")


@dataclass(frozen=True)
class ImportResult:
    file: str
    version: str
    groups_created: int
    created: int
    updated: int
    kept: int


def _row_values(task: T.MonitoringTask) -> dict:
    return {
        "title": task.title, "frequency": task.frequency.value, "data_source": task.data_source.value,
        "monitoring": task.monitoring.value, "status": "/".join(s.value for s in task.status),
        "weight": task.weight.value if task.weight else "", "owner": task.owner, "indicators": task.indicators,
        "anchor_month": task.anchor_month, "first_year": task.first_year, "due_date": task.due_date,
        "last_done": task.last_done, "start": task.start, "note": task.note, "source": task.source,
    }


@transaction.atomic
def import_register(path: str | Path | None = None, update: bool = False, actor=IMPORTER) -> ImportResult:
    register = load_register(path)
    groups: dict[str, FollowUpGroup] = {}
    groups_created = 0
    names = {t.group for t in register.tasks} | set(register.owners) | set(register.meetings)
    for name in sorted(names):
        group, made = FollowUpGroup.objects.get_or_create(
            name=name, defaults={"owner": register.owners.get(name, ""),
                                 "meetings": [d.isoformat() for d in register.meetings.get(name, ())]})
        if not made and update:
            group.owner = register.owners.get(name, group.owner)
            group.meetings = [d.isoformat() for d in register.meetings.get(name, ())] or group.meetings
            group.save()
        groups_created += made
        groups[name] = group
    created = updated = kept = 0
    for task in register.tasks:
        values = {**_row_values(task), "group": groups[task.group], "register_file": Path(register.file).name,
                  "register_version": register.version}
        row = MonitoringTask.objects.filter(key=task.id).first()
        if row is None:
            MonitoringTask.objects.create(key=task.id, **values)
            created += 1
        elif update:
            for k, v in values.items():
                setattr(row, k, v)
            row.save()
            updated += 1
        else:
            kept += 1
    if groups_created or created or updated:
        audit.record(actor, audit.Event.MONITORING_REGISTER, action=audit.CHANGE, why=_("Task register imported"),
                     detail={"file": Path(register.file).name, "version": register.version, "update": update,
                             "groups_created": groups_created, "created": created, "updated": updated})
    return ImportResult(register.file, register.version, groups_created, created, updated, kept)


def as_mapping(row: MonitoringTask) -> dict:
    return {"id": row.key, "group": row.group.name, **{f: getattr(row, f) for f in TASK_FIELDS}}


def as_task(row: MonitoringTask) -> T.MonitoringTask:
    return T.MonitoringTask.from_mapping(as_mapping(row))


def all_tasks(queryset=None) -> list[T.MonitoringTask]:
    rows = (queryset if queryset is not None else MonitoringTask.objects.all()).select_related("group")
    return [as_task(r) for r in rows]


def meetings() -> dict[str, list[dt.date]]:
    return {g.name: [dt.date.fromisoformat(d) for d in g.meetings] for g in FollowUpGroup.objects.all()}
