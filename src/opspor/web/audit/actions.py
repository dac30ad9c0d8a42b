"""Writing the audit log. Every view that reads person data, and every action that changes
state, calls :func:`record` with an :class:`Event` and the persons concerned (their pseudonymous
keys, never CPR numbers). A change is recorded inside the transaction of the change, so the log
has the entry if and only if the change happened."""

from __future__ import annotations

import getpass
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.http import Http404

from opspor.web.audit.models import SYSTEM_ROLE, AuditEntry, Event
from opspor.web.core.tables import CONTENT_TYPES

__all__ = ["CHANGE", "EXPORT", "LOGIN", "READ", "Event", "SystemActor", "export_event", "record", "system"]

READ, CHANGE, EXPORT, LOGIN = (AuditEntry.Action.READ, AuditEntry.Action.CHANGE,
                               AuditEntry.Action.EXPORT, AuditEntry.Action.LOGIN)


@dataclass(frozen=True)
class SystemActor:
    """The actor of what opspor does by itself: ``name`` is the command (``opspor web publish``),
    stored as the entry's user name with the role ``system``, no user row, and the operating-system
    account that ran the command as the name."""

    name: str
    pk: None = None
    role: str = SYSTEM_ROLE
    organisation: None = None

    def get_username(self) -> str:
        return self.name

    def get_full_name(self) -> str:
        try:
            return getpass.getuser()
        except (OSError, KeyError):  # no such account in a bare container
            return ""


def system(command: str) -> SystemActor:
    return SystemActor(command)


def export_event(screen: str, fmt: str) -> Event:
    """The export event of ``screen`` (``worklist``, ``aps.programme``, ``aps.caseload``) in
    ``fmt``; a format that is not offered (not in :data:`CONTENT_TYPES`) is a 404."""
    if fmt not in CONTENT_TYPES:
        raise Http404
    return Event(f"{screen}.{fmt}")


def _user_of(actor):
    return getattr(actor, "user", actor)


def record(actor, event: Event, *, action: str, why: str, persons: Iterable[str] = (),
           detail: dict | None = None) -> int:
    """Write one entry per person (one without a person when ``persons`` is empty).

    ``actor`` is a request, a user or a :class:`SystemActor`; ``event`` a member of
    :class:`Event` (anything else is refused), ``why`` the purpose in the user's words of the
    screen or action. A change or log-in must be recorded inside its transaction. Returns the
    number of entries written. Reads are skipped only in the load benchmark's explicit
    unaudited mode (settings.AUDIT_READS).
    """
    if not isinstance(event, Event):
        raise TypeError(f"audit event {event!r} is not an Event member: add it to opspor.web.audit.models.Event")
    if action not in AuditEntry.Action.values:
        raise ValueError(f"audit action {action!r} is not one of {AuditEntry.Action.values}")
    if action == CHANGE and not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{event.value}: a change is recorded inside the transaction.atomic() of the change")
    if action == READ and not settings.AUDIT_READS:
        return 0
    user = _user_of(actor)
    organisation = getattr(user, "organisation", None)
    base = {
        "user": user if user.pk else None,
        "username": user.get_username(),
        "user_full_name": user.get_full_name(),
        "role": getattr(user, "role", ""),
        "organisation": str(organisation) if organisation else "",
        "action": action,
        "what": event.value,
        "why": str(why)[:200],
        "detail": detail or {},
    }
    keys = sorted(set(persons)) or [""]
    AuditEntry.objects.bulk_create([AuditEntry(person_key=key, **base) for key in keys])
    return len(keys)
