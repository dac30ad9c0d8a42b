"""The delivery worker behind ``opspor messages send``.

One message at a time:

1. **claim** (one short transaction): the oldest due message — queued, or sent and not
   acknowledged by its deadline — with ``next_attempt_at <= now``; its attempt count goes up
   and ``next_attempt_at`` moves one *lease* ahead (twice the HTTP time-out plus 1 s). If the
   worker dies from here on, the message is simply due again when the lease runs out.
2. **deliver** through the adapter, outside any transaction; the message keeps its id.
3. **record** (one transaction, right after the answer): sent / acknowledged / failed, or
   back to waiting with exponential back-off and jitter; an audit entry for each outcome (actor:
   the system, ``opspor messages send``), written in that transaction.

So a kill before 3 can repeat a delivery but never lose one; the receiver recognises the
repeat by the unchanged ``Bundle.id``/``MessageHeader.id`` (MedCom reliable messaging) and
answers with its acknowledgement again, so it processes every message exactly once.

Settings come from the environment (docs/messages.md): ``OPSPOR_MESSAGES_ADAPTER``
(``folder`` | ``http``), ``OPSPOR_MESSAGES_DIR``, ``OPSPOR_MESSAGES_URL``,
``OPSPOR_MESSAGES_ACK_DIR``, ``OPSPOR_MESSAGES_TIMEOUT``, ``OPSPOR_MESSAGES_MAX_ATTEMPTS``,
``OPSPOR_MESSAGES_BACKOFF_SECONDS``, ``OPSPOR_MESSAGES_BACKOFF_MAX_SECONDS``,
``OPSPOR_MESSAGES_ACK_TIMEOUT_SECONDS``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from opspor import paths
from opspor.web.audit import actions as audit
from opspor.web.messaging import adapters
from opspor.web.messaging.models import OutboundMessage

State = OutboundMessage.State
CRASH_POINTS = ("before_post", "after_post", "after_commit")
SENDER = audit.system("opspor messages send")


class DeliveryConfigError(ValueError):
    """A setting of the delivery is missing or wrong; the message names the variable and the fix."""


@dataclass(frozen=True)
class Settings:
    adapter: str
    folder: Path | None
    url: str
    ack_folder: Path | None
    timeout: float = 10.0
    max_attempts: int = 8
    backoff: float = 30.0
    backoff_max: float = 3600.0
    ack_timeout: float = 3600.0

    @property
    def lease(self) -> dt.timedelta:
        """How long a claimed message is left alone: longer than a POST can take."""
        return dt.timedelta(seconds=2 * self.timeout + 1)


def _number(env, name: str, default: float, minimum: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise DeliveryConfigError(f"{name}={raw!r} is not a number; set it to a number of at least {minimum:g}") from None
    if value < minimum:
        raise DeliveryConfigError(f"{name}={raw!r} is below {minimum:g}; set it to at least {minimum:g}")
    return value


def settings_from_env(env=None) -> Settings:
    env = os.environ if env is None else env
    adapter = env.get("OPSPOR_MESSAGES_ADAPTER", "folder").strip() or "folder"
    if adapter not in ("folder", "http"):
        raise DeliveryConfigError(f"OPSPOR_MESSAGES_ADAPTER={adapter!r}: use folder or http")
    folder = Path(env["OPSPOR_MESSAGES_DIR"]) if env.get("OPSPOR_MESSAGES_DIR") else paths.home() / "messages" / "out"
    url = env.get("OPSPOR_MESSAGES_URL", "").strip()
    if adapter == "http" and not url.startswith(("http://", "https://")):
        raise DeliveryConfigError("OPSPOR_MESSAGES_ADAPTER=http needs OPSPOR_MESSAGES_URL, the receiver's "
                                  "endpoint (https://...)")
    ack = env.get("OPSPOR_MESSAGES_ACK_DIR", "").strip()
    return Settings(
        adapter=adapter, folder=folder if adapter == "folder" else None, url=url,
        ack_folder=Path(ack) if ack else None,
        timeout=_number(env, "OPSPOR_MESSAGES_TIMEOUT", 10.0, 0.1),
        max_attempts=int(_number(env, "OPSPOR_MESSAGES_MAX_ATTEMPTS", 8, 1)),
        backoff=_number(env, "OPSPOR_MESSAGES_BACKOFF_SECONDS", 30.0, 0),
        backoff_max=_number(env, "OPSPOR_MESSAGES_BACKOFF_MAX_SECONDS", 3600.0, 0),
        ack_timeout=_number(env, "OPSPOR_MESSAGES_ACK_TIMEOUT_SECONDS", 3600.0, 0.1),
    )


def adapter_for(settings: Settings):
    if settings.adapter == "http":
        return adapters.HttpAdapter(settings.url, settings.timeout)
    return adapters.FolderAdapter(settings.folder)


def backoff(settings: Settings, attempts: int) -> dt.timedelta:
    """Exponential back-off with full jitter in [½, 1] of the step: base · 2^(attempts-1), capped."""
    step = min(settings.backoff * 2 ** max(attempts - 1, 0), settings.backoff_max)
    return dt.timedelta(seconds=step * random.uniform(0.5, 1.0))


_reached: dict[str, int] = {}


def _crash(point: str) -> None:
    """Test hook: die by SIGKILL the N-th time (OPSPOR_MESSAGES_CRASH_AFTER, default 1) the
    worker reaches ``point`` = OPSPOR_MESSAGES_CRASH_AT. Only with OPSPOR_MESSAGES_TEST_HOOKS=1,
    which production never sets."""
    if os.environ.get("OPSPOR_MESSAGES_TEST_HOOKS") != "1" or os.environ.get("OPSPOR_MESSAGES_CRASH_AT") != point:
        return
    _reached[point] = _reached.get(point, 0) + 1
    if _reached[point] >= int(os.environ.get("OPSPOR_MESSAGES_CRASH_AFTER", "1")):
        os.kill(os.getpid(), signal.SIGKILL)


@dataclass
class Summary:
    attempted: int = 0
    sent: int = 0
    acknowledged: int = 0
    retrying: int = 0
    failed: int = 0
    acks_read: int = 0
    errors: list[str] = field(default_factory=list)


def _claim(settings: Settings, due_by: dt.datetime) -> OutboundMessage | None:
    now = timezone.now()
    with transaction.atomic():
        due = OutboundMessage.objects.filter(state__in=(State.QUEUED, State.SENT), next_attempt_at__lte=due_by)
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)  # PostgreSQL: parallel workers take different rows
        # SQLite: the IMMEDIATE transaction already holds the database's write lock
        message = due.order_by("next_attempt_at", "id").first()
        if message is None:
            return None
        message.attempts += 1
        message.next_attempt_at = now + settings.lease
        message.save(update_fields=["attempts", "next_attempt_at", "updated_at"])
        return message


def _audit(message: OutboundMessage, event: audit.Event, why: str, **detail) -> None:
    audit.record(SENDER, event, action=audit.CHANGE, why=why,
                 persons=[message.person.person_key] if message.person_id else [],
                 detail={"message": str(message.message_id), "recipient": f"{message.recipient_kind}:{message.recipient_id}",
                         "attempt": message.attempts, **detail})


def _apply(message: OutboundMessage, outcome: adapters.Outcome, settings: Settings, summary: Summary) -> None:
    """Record ``outcome`` of delivering ``message`` (row locked by the caller)."""
    now = timezone.now()
    if outcome.result == adapters.ACKNOWLEDGED:
        message.state, message.acknowledged_at, message.next_attempt_at = State.ACKNOWLEDGED, now, None
        message.sent_at = message.sent_at or now
        message.last_error = ""
        summary.acknowledged += 1
        _audit(message, audit.Event.MESSAGE_ACKNOWLEDGED, message.purpose, outcome=outcome.detail)
    elif outcome.result == adapters.SENT:
        message.state, message.sent_at, message.last_error = State.SENT, now, ""
        # with acknowledgements expected, resend (same id) if none comes in time; a folder drop
        # without an ack folder has nothing to wait for
        expects_ack = settings.adapter == "http" or settings.ack_folder is not None
        message.next_attempt_at = now + dt.timedelta(seconds=settings.ack_timeout) if expects_ack else None
        summary.sent += 1
        _audit(message, audit.Event.MESSAGE_SENT, message.purpose, outcome=outcome.detail)
    elif outcome.result == adapters.FAILED or message.attempts >= settings.max_attempts:
        message.state, message.failed_at, message.next_attempt_at = State.FAILED, now, None
        message.last_error = (outcome.detail if outcome.result == adapters.FAILED
                              else f"gave up after {message.attempts} attempts: {outcome.detail}")[:4000]
        summary.failed += 1
        _audit(message, audit.Event.MESSAGE_FAILED, message.purpose, error=message.last_error[:200])
    else:
        message.last_error = outcome.detail[:4000]
        message.next_attempt_at = now + backoff(settings, message.attempts)
        summary.retrying += 1
        _audit(message, audit.Event.MESSAGE_DEFERRED, message.purpose, error=message.last_error[:200],
               next_attempt=message.next_attempt_at.isoformat())
    message.save()


def _record(message_pk: int, outcome: adapters.Outcome, settings: Settings, summary: Summary) -> None:
    with transaction.atomic():
        message = OutboundMessage.objects.select_for_update(of=("self",)).select_related("person").get(pk=message_pk)
        if message.state not in (State.QUEUED, State.SENT):
            return  # blocked by an objection meanwhile, or already acknowledged by a read ack
        _apply(message, outcome, settings, summary)


def record_acknowledgement(message: OutboundMessage, code: str) -> None:
    """A MedCom Acknowledgement with ``code`` of ``message`` was received (endpoint or folder,
    ``messaging.actions.receive``): recorded as the worker records one read from the ack folder."""
    try:
        settings = settings_from_env()
    except DeliveryConfigError:  # the web server need not carry the worker's settings
        settings = Settings(adapter="folder", folder=None, url="", ack_folder=None)
    _record(message.pk, adapters.outcome_of_ack(code), settings, Summary())


def collect_acknowledgements(settings: Settings, summary: Summary) -> None:
    """Read MedCom Acknowledgements from the ack folder; each one read is moved to ``done/``."""
    folder = settings.ack_folder
    if folder is None or not folder.is_dir():
        return
    done = folder / "done"
    done.mkdir(exist_ok=True)
    for path in sorted(folder.glob("*.json")):
        try:
            bundle = json.loads(path.read_bytes())
        except (OSError, ValueError) as e:
            summary.errors.append(f"{path.name}: not a JSON acknowledgement ({e}); left in place")
            continue
        from opspor.fhir import medcom

        found = medcom.acknowledged_id(bundle) if isinstance(bundle, dict) else None
        if found:
            message = OutboundMessage.objects.filter(message_id=found[0]).only("pk").first()
            if message is not None:
                outcome = adapters.ack_outcome(path.read_bytes(), found[0])
                _record(message.pk, outcome, settings, summary)
                summary.acks_read += 1
            else:
                summary.errors.append(f"{path.name}: acknowledges an unknown message {found[0]}")
        else:
            summary.errors.append(f"{path.name}: not a MedCom acknowledgement")
        os.replace(path, done / path.name)


def send(settings: Settings, *, batch: int = 100, drain: bool = True) -> Summary:
    """Deliver due messages: up to ``batch`` (``drain=False``), or until none is due now."""
    summary = Summary()
    collect_acknowledgements(settings, summary)
    adapter = adapter_for(settings)
    # only what is due when the run starts: a retry scheduled during the run waits for the next run
    started = timezone.now()
    while drain or summary.attempted < batch:
        message = _claim(settings, started)
        if message is None:
            break
        summary.attempted += 1
        _crash("before_post")
        outcome = adapter.deliver(str(message.message_id), message.payload)
        _crash("after_post")
        _record(message.pk, outcome, settings, summary)
        _crash("after_commit")
    return summary


def counts() -> dict[str, int]:
    from django.db.models import Count

    return {row["state"]: row["n"] for row in OutboundMessage.objects.values("state").annotate(n=Count("id"))}
