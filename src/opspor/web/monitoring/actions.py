"""Changes to the task register. Each validates the new task with the domain's own rules
(:class:`opspor.monitor.tasks.MonitoringTask`) and writes an audit entry in the same transaction.
The register holds no person data, so the entry records the change itself (field: old → new)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opspor.monitor import tasks as T
from opspor.web.audit import actions as audit
from opspor.web.monitoring.models import IntakePlan, IntakePlanYear, MonitoringTask
from opspor.web.monitoring.register import as_mapping

EDITABLE = ("status", "monitoring", "weight", "owner", "frequency", "data_source", "indicators", "anchor_month",
            "first_year", "due_date", "last_done", "start", "note")


class TaskError(ValueError):
    """A change that would make the task invalid; ``field`` names the form field to fix."""

    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field = field


# the domain's messages name the field that is missing; map them to the form field
_FIELD_OF = (("anchor_month", "anchor_month"), ("first_year", "first_year"), ("due_date", "due_date"))


def _show(value) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else str(value)


@transaction.atomic
def update_task(actor, row: MonitoringTask, changes: dict) -> list[str]:
    """Apply ``changes`` (only :data:`EDITABLE` fields) to ``row``; returns the changed fields.

    Raises :class:`TaskError` when the result breaks a rule of the register (a yearly task
    without its month, a once-task without a due date, a measurement in the future ...)."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise TaskError(None, f"not editable: {', '.join(sorted(unknown))}")
    row = MonitoringTask.objects.select_for_update().get(pk=row.pk)
    proposed = {**as_mapping(row), **changes}
    last_done = proposed.get("last_done")
    if last_done and last_done > timezone.localdate():
        raise TaskError("last_done", _("The last measurement cannot lie in the future."))
    try:
        T.MonitoringTask.from_mapping(proposed)
    except ValueError as error:
        text = str(error)
        field = next((f for key, f in _FIELD_OF if key in text), None)
        raise TaskError(field, _("The task is not valid: %(error)s") % {"error": text}) from None
    changed = [f for f in EDITABLE if f in changes and _show(getattr(row, f)) != _show(changes[f])]
    if not changed:
        return []
    detail = {f: {"old": _show(getattr(row, f)), "new": _show(changes[f])} for f in changed}
    for f in changed:
        setattr(row, f, changes[f])
    row.save()
    audit.record(actor, audit.Event.MONITORING_TASK, action=audit.CHANGE, why=_("Monitoring task updated"),
                 detail={"task": row.key, "changes": detail})
    return changed


class PlanError(ValueError):
    """A plan that cannot be in force; ``field`` names the form field to fix."""

    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field = field


@transaction.atomic
def set_intake_plan(actor, region: str, by_year: dict[int, int], start: dt.date, end: dt.date,
                    source: str) -> IntakePlan:
    """Put ``region``'s own intake plan in force: from ``start`` to ``end``, ``by_year`` the
    patients planned in each year of that period (a new row; the one before stays as history),
    audited with the plan before and after in the same transaction. Raises :class:`PlanError`."""
    source = (source or "").strip()
    if end < start:
        raise PlanError("end", _("The plan's end must be on or after its start."))
    years = range(start.year, end.year + 1)
    missing = [y for y in years if by_year.get(y) is None]
    if missing:
        raise PlanError(f"year_{missing[0]}", _("Write the number of patients planned in %(year)s.")
                        % {"year": missing[0]})
    outside = sorted(set(by_year) - set(years))
    if outside:
        raise PlanError(f"year_{outside[0]}", _("%(year)s lies outside the plan's period: empty the field or "
                                                "change the period.") % {"year": outside[0]})
    negative = [y for y in years if by_year[y] < 0]
    if negative:
        raise PlanError(f"year_{negative[0]}", _("The number of patients cannot be negative."))
    if sum(by_year.values()) < 1:
        raise PlanError(f"year_{start.year}", _("Write the number of patients planned, at least 1 in all."))
    if not source:
        raise PlanError("source", _("Write who decided the plan and when, e.g. 'Regionsrådet 20-11-2025'."))
    before = IntakePlan.objects.select_for_update().filter(region_code=region).first()
    plan = IntakePlan.objects.create(region_code=region, total=sum(by_year.values()), start=start, end=end,
                                     source=source, set_by=actor)
    IntakePlanYear.objects.bulk_create(IntakePlanYear(plan=plan, year=y, patients=by_year[y]) for y in years)
    audit.record(actor, audit.Event.MONITORING_PLAN, action=audit.CHANGE, why=_("Region's intake plan set"),
                 detail={"region": region, "old": _plan_detail(before), "new": _plan_detail(plan)})
    return plan


def _plan_detail(plan: IntakePlan | None) -> dict | None:
    if plan is None:
        return None
    return {"total": plan.total, "by_year": {str(y.year): y.patients for y in plan.years.all()},
            "start": _show(plan.start), "end": _show(plan.end), "source": plan.source}
