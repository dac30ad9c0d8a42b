"""The Django ``AllocationStore`` of ``opspor.monitor.randomisation``: allocations in the
``trial_allocation`` table, their audit entries in the web app's audit log.

``add`` inserts under a savepoint: the unique constraints (trial, stratum, sequence number) and
(trial, participant) turn a concurrent taker of the same place into ``IntegrityError``, raised
as ``SequenceTaken`` so that ``Randomiser.allocate`` counts again and retries. On PostgreSQL the
second inserter waits for the first transaction and then fails on the index; on SQLite writers
are serialised by the database lock. Either way the outer transaction (the invitation) goes on.

Audit entries never carry the arm or the block: the arm is concealed until consent (the audit
log is readable by auditors and exported), and the block size with earlier arms would let a
reader predict the next ones. The trial statistician re-derives arms from (trial, stratum,
sequence number) with the key (``opspor web trial-verify``). The reveal at consent is audited
with the arm by ``trial.actions``.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction

from opspor.monitor.randomisation import Allocation as RAllocation
from opspor.monitor.randomisation import AuditEntry, SequenceTaken
from opspor.web.audit import actions as audit
from opspor.web.people.models import Person
from opspor.web.trial.models import Allocation

_LETTERS = str.maketrans("0123456789", "ghijklmnop")


def participant_ref(person: Person) -> str:
    """The randomiser's participant reference: the person's pseudonym with its digits spelt as
    letters. A hex pseudonym often holds ten digits in a row, which the randomiser (rightly)
    refuses as CPR-like; letters never look like a CPR number and stay one-to-one."""
    return "pk-" + person.person_key.translate(_LETTERS)


def _to_record(a: Allocation) -> RAllocation:
    return RAllocation(a.trial, a.stratum, a.sequence_number, a.arm, a.block_number, a.block_size, a.participant,
                       a.entered_at, a.allocated_at, a.allocated_by, a.scheme)


class DjangoAllocationStore:
    """Allocations of ``persons`` (participant reference → Person) made by ``user``."""

    def __init__(self, user, persons: dict[str, Person] | None = None) -> None:
        self.user, self.persons = user, dict(persons or {})

    def allocation_for(self, trial: str, participant: str) -> RAllocation | None:
        found = Allocation.objects.filter(trial=trial, participant=participant).first()
        return _to_record(found) if found else None

    def count(self, trial: str, stratum: str) -> int:
        return Allocation.objects.filter(trial=trial, stratum=stratum).count()

    def add(self, allocation: RAllocation, entry: AuditEntry) -> None:
        person = self.persons.get(allocation.participant)
        if person is None:
            raise KeyError(f"no person for participant {allocation.participant!r}")
        try:
            with transaction.atomic():
                Allocation.objects.create(
                    trial=allocation.trial, stratum=allocation.stratum, sequence_number=allocation.sequence_number,
                    arm=allocation.arm, block_number=allocation.block_number, block_size=allocation.block_size,
                    participant=allocation.participant, person=person, entered_at=allocation.consent_recorded_at,
                    allocated_at=allocation.allocated_at, allocated_by=allocation.allocated_by,
                    scheme=allocation.scheme)
                self._record(entry)
        except IntegrityError:
            raise SequenceTaken(f"place {allocation.sequence_number} of {allocation.stratum} or the participant "
                                "was taken by a concurrent invitation") from None

    def audit(self, entry: AuditEntry) -> None:
        self._record(entry)

    def allocations(self, trial: str) -> list[RAllocation]:
        return [_to_record(a) for a in Allocation.objects.filter(trial=trial).order_by("stratum", "sequence_number")]

    def _record(self, entry: AuditEntry) -> None:
        person = self.persons.get(entry.participant)
        detail = {"trial": entry.trial, "stratum": entry.stratum, "sequence_number": entry.sequence_number,
                  "at": entry.at.astimezone(dt.UTC).isoformat()}
        if entry.detail and entry.action == "refuse":
            detail["reason"] = entry.detail
        audit.record(self.user, _EVENTS[entry.action], action=audit.CHANGE, why=_EVENTS[entry.action].label,
                     persons=[person.person_key] if person else [], detail=detail)


_EVENTS = {"allocate": audit.Event.TRIAL_ALLOCATE, "reread": audit.Event.TRIAL_REREAD,
           "refuse": audit.Event.TRIAL_REFUSE}
