"""Delivery (opspor.web.messaging.delivery) through the real adapters: the folder drop and HTTP
POST to a loopback receiver; acknowledgements, back-off, permanent failures, time-outs."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.web.factories import *  # the fixtures world and as_user
from tests.web.messaging.msg_kit import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(world):
    """p1 consented: two queued messages (GP 012345, municipality 461)."""
    from opspor.web.aps import actions as aps
    from opspor.web.messaging.models import OutboundMessage
    from tests.web.factories import make_case

    case = make_case(world.persons["p1"], world.users["nina"], world.users["pia"], "invited")
    aps.record_consent(world.users["nina"], case)
    return list(OutboundMessage.objects.order_by("recipient_kind"))


@pytest.fixture
def receiver():
    r = Receiver(slow_seconds=1.5)
    yield r
    r.stop()


def settings(**over):
    from opspor.web.messaging.delivery import Settings

    values = dict(adapter="http", folder=None, url="", ack_folder=None, timeout=5, max_attempts=5, backoff=10,
                  backoff_max=600, ack_timeout=600)
    values.update(over)
    return Settings(**values)


def states():
    from opspor.web.messaging.models import OutboundMessage

    return sorted(OutboundMessage.objects.values_list("state", flat=True))


def make_due():
    from django.utils import timezone

    from opspor.web.messaging.models import OutboundMessage

    OutboundMessage.objects.exclude(next_attempt_at=None).update(next_attempt_at=timezone.now())


def test_folder_drop_writes_whole_files_named_by_message_id(queued, tmp_path):
    from opspor.web.audit.models import AuditEntry
    from opspor.web.messaging import delivery

    out = tmp_path / "out"
    summary = delivery.send(settings(adapter="folder", folder=out))
    assert (summary.attempted, summary.sent) == (2, 2)
    files = sorted(p.name for p in out.iterdir())
    assert files == sorted(f"{m.message_id}.json" for m in queued)
    for m in queued:
        assert json.loads((out / f"{m.message_id}.json").read_text(encoding="utf-8")) == m.payload
    assert states() == ["sent", "sent"]
    from opspor.web.messaging.models import OutboundMessage

    assert not OutboundMessage.objects.exclude(next_attempt_at=None).exists()  # no ack folder: nothing to wait for
    assert delivery.send(settings(adapter="folder", folder=out)).attempted == 0
    sent = AuditEntry.objects.filter(what="message.sent")
    assert sent.count() == 2 and {e.why for e in sent} == {m.purpose for m in queued}


def test_folder_acknowledgements_are_read_from_the_ack_folder(queued, tmp_path):
    from opspor.fhir import medcom
    from opspor.web.messaging import delivery

    out, acks = tmp_path / "out", tmp_path / "ack"
    acks.mkdir()
    s = settings(adapter="folder", folder=out, ack_folder=acks)
    delivery.send(s)
    assert states() == ["sent", "sent"]
    first = queued[0]
    ack = medcom.acknowledgement(of=first.payload, ack_id="7d0e7d4e-4a6b-4f55-9c57-1b8f5c7d1e01",
                                 at=dt.datetime.now(dt.UTC), fhir_base="https://r.invalid")
    (acks / "ack-1.json").write_text(json.dumps(ack))
    (acks / "junk.json").write_text("{not json")
    summary = delivery.send(s)
    assert summary.acks_read == 1 and any("junk.json" in e for e in summary.errors)
    first.refresh_from_db()
    assert first.state == "acknowledged" and first.acknowledged_at
    assert (acks / "done" / "ack-1.json").exists() and (acks / "junk.json").exists()


def test_http_post_acknowledged_in_the_response(queued, receiver):
    from opspor.web.messaging import delivery

    summary = delivery.send(settings(url=receiver.url))
    assert (summary.attempted, summary.acknowledged) == (2, 2)
    assert states() == ["acknowledged", "acknowledged"]
    assert sorted(receiver.accepted) == sorted(str(m.message_id) for m in queued)
    assert all(ct.startswith("application/fhir+json") for ct in receiver.content_types)


def test_http_5xx_retries_with_backoff_then_delivers_once(queued, receiver):
    from django.utils import timezone

    from opspor.web.messaging import delivery
    from opspor.web.messaging.models import OutboundMessage

    receiver.script = [503, 503]
    before = timezone.now()
    summary = delivery.send(settings(url=receiver.url))
    assert summary.retrying == 2 and states() == ["queued", "queued"]
    for m in OutboundMessage.objects.all():
        assert m.attempts == 1 and "HTTP 503" in m.last_error
        assert before + dt.timedelta(seconds=5) <= m.next_attempt_at <= timezone.now() + dt.timedelta(seconds=10)
    assert delivery.send(settings(url=receiver.url)).attempted == 0  # not due yet
    make_due()
    delivery.send(settings(url=receiver.url))
    assert states() == ["acknowledged", "acknowledged"]
    assert len(receiver.posts) == 4 and len(receiver.accepted) == 2


def test_http_4xx_fails_for_good_with_the_body(queued, receiver):
    from opspor.web.audit.models import AuditEntry
    from opspor.web.messaging import delivery
    from opspor.web.messaging.models import OutboundMessage

    receiver.script = [400]
    delivery.send(settings(url=receiver.url), batch=1, drain=False)
    failed = OutboundMessage.objects.get(state="failed")
    assert failed.last_error.startswith("HTTP 400: error 400 for ") and failed.next_attempt_at is None
    assert AuditEntry.objects.filter(what="message.failed").count() == 1


def test_timeout_retries_and_max_attempts_fail(queued, receiver):
    from opspor.web.messaging import delivery
    from opspor.web.messaging.models import OutboundMessage

    receiver.script = ["slow", "slow"]
    s = settings(url=receiver.url, timeout=0.4, max_attempts=2, backoff=0)
    delivery.send(s)
    assert all("no answer" in m.last_error for m in OutboundMessage.objects.all())
    receiver.script = [503, 503]
    make_due()
    delivery.send(s)
    assert states() == ["failed", "failed"]
    assert all(m.last_error.startswith("gave up after 2 attempts") for m in OutboundMessage.objects.all())


def test_no_acknowledgement_resends_the_same_id_and_the_receiver_ignores_the_repeat(queued, receiver):
    from opspor.web.messaging import delivery

    receiver.script = ["noack", "noack"]
    s = settings(url=receiver.url, ack_timeout=0.1)
    delivery.send(s)
    assert states() == ["sent", "sent"]
    make_due()
    delivery.send(s)
    assert states() == ["acknowledged", "acknowledged"]
    assert len(receiver.posts) == 4 and receiver.duplicates == 2 and len(receiver.accepted) == 2


def test_transient_error_acknowledgement_is_retried(queued, receiver):
    from opspor.web.messaging import delivery

    receiver.script = ["transient", "transient"]
    delivery.send(settings(url=receiver.url))
    assert states() == ["queued", "queued"]


def test_objection_meanwhile_wins_over_a_late_result(queued, world, receiver):
    """The citizen objects while the GP message is on its way: the acknowledgement that comes
    back afterwards does not undo the block."""
    from django.db import connections

    from opspor.web.messaging import delivery
    from opspor.web.messaging.actions import record_objection
    from opspor.web.messaging.models import OutboundMessage

    gp = next(m for m in queued if m.recipient_kind == "gp_practice")
    test_connection = connections["default"]  # lent to the receiver's thread (as live_server does)

    def object_meanwhile(message_id: str) -> None:
        if message_id == str(gp.message_id):
            connections["default"] = test_connection  # in this thread: the test's transaction
            record_objection(world.users["nina"], world.persons["p1"], "gp_practice")

    receiver.on_post = object_meanwhile
    test_connection.inc_thread_sharing()
    try:
        summary = delivery.send(settings(url=receiver.url))
    finally:
        test_connection.dec_thread_sharing()
    assert str(gp.message_id) in receiver.accepted  # it was delivered and acknowledged ...
    assert OutboundMessage.objects.get(pk=gp.pk).state == "blocked"  # ... yet the block stands
    assert summary.acknowledged == 1  # the municipality's message only


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    from opspor.web.messaging import delivery

    s = settings(backoff=10, backoff_max=60)
    for attempts, step in ((1, 10), (2, 20), (3, 40), (4, 60), (9, 60)):
        waits = [delivery.backoff(s, attempts).total_seconds() for _ in range(50)]
        assert all(step / 2 <= w <= step for w in waits) and len(set(waits)) > 1


@pytest.mark.parametrize("env,problem", [
    ({"OPSPOR_MESSAGES_ADAPTER": "ftp"}, "use folder or http"),
    ({"OPSPOR_MESSAGES_ADAPTER": "http"}, "needs OPSPOR_MESSAGES_URL"),
    ({"OPSPOR_MESSAGES_MAX_ATTEMPTS": "many"}, "OPSPOR_MESSAGES_MAX_ATTEMPTS='many' is not a number"),
    ({"OPSPOR_MESSAGES_TIMEOUT": "0"}, "is below 0.1"),
])
def test_settings_errors_name_the_variable(env, problem):
    from opspor.web.messaging.delivery import DeliveryConfigError, settings_from_env

    with pytest.raises(DeliveryConfigError, match=problem.replace("(", r"\(")):
        settings_from_env(env)
