"""A task on the shared board given to the municipality or the GP practice becomes a MedCom
CareCommunication to that organisation (issue 16 item 3), queued in the task's transaction
through the outbox and its consent and purpose policy: an objection of the patient blocks it, a
task of the hospital sends nothing, and the message is delivered once to a loopback receiver."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support.clock import local_today
from tests.web.careplan.test_careplan_http import world  # noqa: F401 (the fixture)
from tests.web.messaging.msg_kit import Receiver
from tests.web.messaging.test_messaging_delivery import settings

pytestmark = pytest.mark.django_db


def test_tasks_for_the_municipality_and_the_gp_are_sent_as_care_communications(world, login):  # noqa: F811
    from opspor.web.audit.models import AuditEntry
    from opspor.web.messaging import delivery
    from opspor.web.messaging.models import OutboundMessage

    users, persons, conferences = world
    c = login(users["specialist"])
    odense, vejle = conferences["odense"], conferences["vejle"]
    assert c.post(f"/samarbejde/mdt/{odense.pk}/tjekliste/",
                  {"items": ["follow_home_meeting", "new_agreements_with_gp", "call_home"]}).status_code == 302
    due = (local_today() + dt.timedelta(days=4)).strftime("%d-%m-%Y")
    assert c.post(f"/samarbejde/mdt/{odense.pk}/opgave/", {
        "title": "Faldscreening i hjemmet", "detail": "Borgeren er faldet to gange", "sector": "municipality",
        "profession": "municipal_therapist", "due_on": due}).status_code == 302
    sent = list(OutboundMessage.objects.filter(event="care_task").order_by("id"))
    assert sorted((m.recipient_kind, m.recipient_id) for m in sent) == [
        ("gp_practice", "012345"), ("municipality", "461"), ("municipality", "461")]
    texts = [m.payload["entry"][2]["resource"]["payload"][0]["contentString"] for m in sent]
    assert any("Faldscreening i hjemmet. Borgeren er faldet to gange" in t and due in t for t in texts)
    assert all(m.state == "queued" and m.person == persons["odense"] for m in sent)
    assert all("§ 41, stk. 2, nr. 1" in m.legal_basis for m in sent)
    queued = AuditEntry.objects.filter(what="message.queue", person_key=persons["odense"].person_key)
    assert queued.count() >= 3

    # the patient in Vejle objects to informing the municipality: the task is made, the message blocked
    nurse_like = login(users["specialist"])
    assert nurse_like.post(f"/meddelelser/indsigelse/{persons['vejle'].public_id}/",
                           {"recipient_kind": "municipality"}).status_code == 302
    assert c.post(f"/samarbejde/mdt/{vejle.pk}/tjekliste/", {"items": ["follow_home_meeting"]}).status_code == 302
    blocked = OutboundMessage.objects.get(event="care_task", person=persons["vejle"])
    assert blocked.state == "blocked" and blocked.block_code == "objection" and blocked.recipient_id == "630"

    receiver = Receiver()
    try:
        summary = delivery.send(settings(url=receiver.url))
        assert summary.attempted >= 3
        for m in sent:
            m.refresh_from_db()
            assert m.state == "acknowledged" and str(m.message_id) in receiver.accepted
        assert receiver.posts.count(str(sent[0].message_id)) == 1
    finally:
        receiver.stop()
