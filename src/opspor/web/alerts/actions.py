"""Publishing data alerts into the web app: the only place that changes :class:`AlertResult`.

``publish`` writes a computed :class:`opspor.alerts.AlertTable` in one transaction: every unit's
result is created or replaced, and for every flagged unit whose message for the month has not
been queued yet a message is queued to the municipality or GP practice
(:func:`opspor.web.messaging.actions.queue_data_alert`, idempotent per alert key) inside the same
transaction, so a result is never published without its message or the other way round.
Publishing the same table again changes nothing and queues nothing.

The results are aggregates (counts of patients per unit and month), so the audit entry names no
person: one ``alerts.publish`` entry per publication that changes something, by the system actor
``opspor alerts run``, in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opspor.alerts.errors import PublishError
from opspor.web.alerts.models import AlertResult
from opspor.web.audit import actions as audit

__all__ = ["MESSAGE_REASON", "PublishError", "Published", "publish"]

PUBLISHER = audit.system("opspor alerts run")

MESSAGE_REASON = ("Data alert: more patients with repeated acute contacts from your area than expected "
                  "for its age and sex mix (aggregate figures, no person named)")
_FIELDS = ("unit_name", "population", "observed", "expected", "ratio", "ci_low", "ci_high", "p_value",
           "p_adjusted", "tested", "alert", "note", "lookback_complete", "config_version", "indicator_id",
           "indicator_version")


@dataclass(frozen=True)
class Published:
    results: int
    created: int
    changed: int
    alerts: int
    new_alerts: int
    messages: int


def _queue_function():
    try:
        from opspor.web.messaging.actions import queue_data_alert
    except ImportError as error:
        raise PublishError(f"messages cannot be queued: {error}. Install the messaging app "
                           "(opspor.web.messaging) or publish with --no-messages") from None
    return queue_data_alert


def _first_day(month: str) -> dt.date:
    return dt.datetime.strptime(month, "%Y-%m").date()


def publish(table, *, queue_messages: bool = True, actor=PUBLISHER) -> Published:
    """Publish ``table`` (an :class:`opspor.alerts.AlertTable`); all or nothing."""
    queue = _queue_function() if queue_messages and table.alerts() else None
    now = timezone.now()
    created = changed = alerts = new_alerts = messages = 0
    with transaction.atomic():
        for r in table.results:
            values = {f: getattr(r, f) for f in _FIELDS}
            values["snapshot_id"] = r.snapshot_id or ""
            row = (AlertResult.objects.select_for_update()
                   .filter(region_code=r.region_code, unit_kind=r.unit_kind, unit_code=r.unit_code,
                           month=r.month).first())
            dirty = True
            if row is None:
                row = AlertResult(region_code=r.region_code, unit_kind=r.unit_kind, unit_code=r.unit_code,
                                  month=r.month, published_at=now, **values)
                created += 1
            elif any(getattr(row, f) != v for f, v in values.items()):
                for f, v in values.items():
                    setattr(row, f, v)
                row.published_at = now
                changed += 1
            else:
                dirty = False
            alerts += r.alert
            first = r.alert and row.first_alert_at is None
            if first:
                row.first_alert_at = now
                new_alerts += 1
            send = r.alert and queue is not None and row.message_queued_at is None
            if send:
                row.message_queued_at = now
                messages += 1
            if dirty or first or send:
                row.save()
            if send:
                queue(recipient_kind=r.unit_kind, recipient_id=r.unit_code, month=_first_day(r.month),
                      indicator=r.indicator_id, observed=r.observed, expected=r.expected, ratio=r.ratio,
                      p_value=r.p_adjusted, alert_key=row.alert_key, reason=MESSAGE_REASON)
        if created or changed or new_alerts or messages:
            audit.record(actor, audit.Event.ALERTS_PUBLISH, action=audit.CHANGE, why=_("Data alerts published"),
                         detail={"results": len(table.results), "created": created, "changed": changed,
                                 "new_alerts": new_alerts, "messages": messages})
    return Published(len(table.results), created, changed, alerts, new_alerts, messages)
