"""Publishing a monitoring run of the risk model: the only place that writes
:class:`MonitoringRun` and :class:`MonitoringAlert`.

``publish`` stores the run and one alert per limit passed, addressed to the programme lead of the
region concerned (the unit's region; a population-wide alert to every region in the run), with
one ``risk.monitoring.publish`` audit entry by the system actor ``opspor risk monitor``, all in
one transaction. The figures are aggregates per unit, so the entry names no person. Publishing
the same run again changes nothing.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from opspor.web.accounts.models import User
from opspor.web.accounts.roles import Role
from opspor.web.audit import actions as audit
from opspor.web.riskmonitor.models import MonitoringAlert, MonitoringRun

PUBLISHER = audit.system("opspor risk monitor")


def _regions(record: dict) -> list[str]:
    return sorted(r["unit"] for r in record["groups"].get("region", []) if r["unit"] != "unknown")


def recipients(region_codes: set[str]):
    """The active programme leads of the regions (whom the alerts are for)."""
    return User.objects.filter(role=Role.PROGRAMME_LEAD, is_active=True,
                               organisation__region_code__in=sorted(region_codes))


def publish(record: dict) -> dict:
    """Store ``record`` (of :func:`opspor.risk.monitoring.monitor`) and its alerts; returns counts."""
    regions = _regions(record)
    with transaction.atomic():
        run, created = MonitoringRun.objects.get_or_create(run_id=record["run_id"], defaults={
            "month": record["month"], "as_of": record["as_of"], "model_id": record["model_id"],
            "snapshot_id": record["snapshot_id"], "published_at": timezone.now(),
            "record": {k: v for k, v in record.items() if k not in ("path", "seconds")}})
        addressed: set[str] = set()
        if created:
            for alert in record["alerts"]:
                targets = [alert["region"]] if alert.get("region") else regions or [""]
                addressed.update(t for t in targets if t)
                MonitoringAlert.objects.bulk_create(
                    MonitoringAlert(run=run, region_code=code, kind=alert["kind"], group=alert.get("group", ""),
                                    unit=alert.get("unit", ""), detail=alert) for code in targets)
            audit.record(PUBLISHER, audit.Event.RISK_MONITORING_PUBLISH, action=audit.CHANGE,
                         why="Risk model monitoring published",
                         detail={"run": record["run_id"], "month": record["month"], "model": record["model_id"],
                                 "alerts": len(record["alerts"]), "regions": sorted(addressed)})
    return {"run_id": run.run_id, "created": created, "alerts": run.alerts.count(),
            "recipients": recipients(addressed).count() if created else 0}
