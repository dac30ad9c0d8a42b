"""Publishing a monitoring run of the risk model: the only place that writes
:class:`MonitoringRun` and :class:`MonitoringAlert`.

``publish`` stores the run and one alert per limit passed, addressed to the programme lead of the
region concerned (the unit's region; a population-wide alert to every region in the run), with
one ``risk.monitoring.publish`` audit entry by the system actor ``opspor risk monitor``, all in
one transaction. The figures are aggregates per unit, so the entry names no person. Publishing
the same run again changes nothing.

``notify`` (called by ``publish``) e-mails each programme lead the limits of the month not
e-mailed to them yet, one e-mail per lead and run, exactly once per month, limit and lead
(:class:`AlertMail`, unique): the rows and a ``risk.monitoring.mail`` audit entry are written in
the transaction that sends, so a failed delivery leaves nothing and is tried again at the next
publish of the month.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from opspor.web.accounts.models import User
from opspor.web.accounts.roles import Role
from opspor.web.aps.channels import DeliveryError, send, smtp
from opspor.web.audit import actions as audit
from opspor.web.riskmonitor import mail
from opspor.web.riskmonitor.models import AlertMail, MonitoringAlert, MonitoringRun

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
            "recipients": recipients(addressed).count() if created else 0, **notify(run)}


def _leads(alerts: list[MonitoringAlert]):
    codes = {a.region_code for a in alerts}
    leads = User.objects.filter(role=Role.PROGRAMME_LEAD, is_active=True).select_related("organisation")
    return leads if "" in codes else leads.filter(organisation__region_code__in=sorted(codes))


def notify(run: MonitoringRun) -> dict:
    """E-mail the run's limits not yet e-mailed this month; returns counts and delivery errors."""
    alerts = list(run.alerts.all())
    out = {"mailed": 0, "without_address": 0, "mail_errors": []}
    connection = None
    for lead in _leads(alerts).order_by("id") if alerts else []:
        done = set(AlertMail.objects.filter(month=run.month, user=lead).values_list("limit", flat=True))
        pending = [a for a in alerts if a.region_code in (lead.region_code, "") and a.limit_key not in done]
        if not pending:
            continue
        if not lead.email:
            out["without_address"] += 1
            continue
        try:
            if connection is None:
                connection = smtp()
            backend, sender, where = connection
            with transaction.atomic():
                now = timezone.now()
                AlertMail.objects.bulk_create(AlertMail(month=run.month, limit=a.limit_key, user=lead, run=run,
                                                        sent_at=now) for a in pending)
                audit.record(PUBLISHER, audit.Event.RISK_MONITORING_MAIL, action=audit.CHANGE,
                             why="Risk model alert e-mailed to the programme lead",
                             detail={"run": run.run_id, "month": run.month, "to": lead.username,
                                     "limits": [a.limit_key for a in pending], "via": f"smtp {where}"})
                send(mail.message(run, lead, pending, sender, backend), where)
        except DeliveryError as error:
            out["mail_errors"].append(str(error))
            break  # the server is the same for every lead: tried again at the next publish
        except IntegrityError:  # another process mailed these limits meanwhile
            continue
        out["mailed"] += 1
    return out
