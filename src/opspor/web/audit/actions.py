"""Writing the audit log. Every view or action that reads or changes person data calls
:func:`record` with the persons concerned (their pseudonymous keys, never CPR numbers)."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings

from opspor.web.audit.models import AuditEntry

READ, CHANGE, EXPORT, LOGIN = (AuditEntry.Action.READ, AuditEntry.Action.CHANGE,
                               AuditEntry.Action.EXPORT, AuditEntry.Action.LOGIN)


def _user_of(actor):
    return getattr(actor, "user", actor)


def record(actor, *, action: str, what: str, why: str, persons: Iterable[str] = (),
           detail: dict | None = None) -> int:
    """Write one entry per person (one without a person when ``persons`` is empty).

    ``actor`` is a request or a user. ``what`` names the screen or object (``worklist``,
    ``person``, ``export.csv``), ``why`` the purpose in the user's words of the screen or action.
    Returns the number of entries written. Reads are skipped only in the load benchmark's
    explicit unaudited mode (settings.AUDIT_READS).
    """
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
        "what": what[:80],
        "why": str(why)[:200],
        "detail": detail or {},
    }
    keys = sorted(set(persons)) or [""]
    AuditEntry.objects.bulk_create([AuditEntry(person_key=key, **base) for key in keys])
    return len(keys)
