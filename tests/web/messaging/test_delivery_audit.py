"""Every outcome of a delivery attempt changes the message and writes its audit entry in the same
transaction, by the system actor `opspor messages send` (issue 12, item 6)."""

from __future__ import annotations

import pytest

from tests.web.factories import *  # the fixtures world and as_user
from tests.web.messaging.msg_kit import Receiver
from tests.web.messaging.test_messaging_delivery import make_due, queued, settings  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver():
    r = Receiver(slow_seconds=1.5)
    yield r
    r.stop()


def _entries(event: str):
    from opspor.web.audit.models import AuditEntry

    return list(AuditEntry.objects.filter(what=event).order_by("id"))


def test_a_postponed_delivery_is_audited_by_the_sender(queued, receiver):  # noqa: F811
    from opspor.web.messaging import delivery

    receiver.script = [503, 503]
    assert delivery.send(settings(url=receiver.url)).retrying == 2
    deferred = _entries("message.deferred")
    assert len(deferred) == 2
    assert {e.detail["message"] for e in deferred} == {str(m.message_id) for m in queued}
    assert all(e.username == "opspor messages send" and e.role == "system" and e.user_id is None
               and e.action == "change" and "HTTP 503" in e.detail["error"] for e in deferred)
    make_due()
    delivery.send(settings(url=receiver.url))
    acknowledged = _entries("message.acknowledged")
    assert len(acknowledged) == 2 and all(e.username == "opspor messages send" for e in acknowledged)
