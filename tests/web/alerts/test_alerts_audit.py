"""Publishing data alerts is audited in its transaction by the system actor `opspor alerts run`
(issue 12, item 6): one entry per publication that changes something, none for a repeat, and no
publication without its entry."""

from __future__ import annotations

import pytest
from django.db import DatabaseError

pytestmark = pytest.mark.django_db


def test_publishing_alerts_is_audited_by_the_command(alert_table, alert_users):
    from opspor.web.alerts.actions import publish
    from opspor.web.audit.models import AuditEntry

    publish(alert_table)
    entry = AuditEntry.objects.get(what="alerts.publish")
    assert (entry.username, entry.role, entry.action, entry.person_key) == ("opspor alerts run", "system", "change", "")
    assert (entry.detail["created"], entry.detail["new_alerts"], entry.detail["messages"]) == (5, 2, 2)
    queued = AuditEntry.objects.filter(what__in=["message.queue", "message.blocked"])
    assert queued.count() == 2 and {e.username for e in queued} == {"opspor alerts run"}
    publish(alert_table)  # nothing changes: nothing audited
    assert AuditEntry.objects.filter(what="alerts.publish").count() == 1


def test_alerts_are_not_published_without_their_audit_entry(alert_table, alert_users, audit_refuses):
    from opspor.web.alerts.actions import publish
    from opspor.web.alerts.models import AlertResult
    from opspor.web.messaging.models import OutboundMessage

    audit_refuses()
    for queue_messages in (False, True):  # with no message queued, the publication's own entry decides
        with pytest.raises(DatabaseError, match="audit"):
            publish(alert_table, queue_messages=queue_messages)
        assert not AlertResult.objects.exists() and not OutboundMessage.objects.exists()
