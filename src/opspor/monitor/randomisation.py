"""Randomisation at invitation: stratified permuted blocks, concealed until consent, audited.

    store = MemoryAllocationStore()                      # the web app: a Django-backed store
    r = Randomiser("aps-2026", secret=randomisation_secret(), strata=("1081", ..., "1085"),
                   store=store)
    a = r.allocate("1083", participant="P-000123", consent_recorded_at=now, actor="nurse:aj")
    a.arm                                                # "intervention" or "control"

* **Stratified** by region (any stratum names given), **permuted blocks** of random size
  (2, 4 or 6 by default) with equal numbers of each arm in every block.
* **Unpredictable**: the sequence is derived from a secret key with HMAC-SHA256 (a keyed,
  deterministic random stream per stratum and block), so knowing every earlier allocation does
  not tell the next one without the key — the block sizes vary for the same reason. The key comes
  from ``OPSPOR_RANDOMISATION_KEY`` or ``$OPSPOR_HOME/randomisation.key`` (created once, 0600).
* **Concealed until consent**: nothing is computed or stored ahead; :meth:`Randomiser.allocate`
  refuses without a recorded consent time, and an allocation is final (asking again returns it).
* **Audited**: every allocation, re-read and refusal writes an :class:`AuditEntry` through the
  store, in the same transaction as the allocation; :meth:`Randomiser.verify` recomputes every
  stored allocation from the key (for the trial statistician).

Participant references must be pseudonymous (never a CPR number: refused).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from opspor import paths
from opspor.monitor.errors import MonitorError
from opspor.secret_files import read_or_create

ARMS = ("intervention", "control")
BLOCK_SIZES = (2, 4, 6)
SCHEME = "permuted-blocks-hmac-sha256-v1"
KEY_ENV = "OPSPOR_RANDOMISATION_KEY"
KEY_FILE = "randomisation.key"
_CPR_LIKE = re.compile(r"(?<!\d)\d{6}-?\d{4}(?!\d)")


class RandomisationError(MonitorError):
    pass


class SequenceTaken(RandomisationError):
    """Another allocation took this sequence number first (concurrent requests): try again."""


@dataclass(frozen=True)
class Allocation:
    trial: str
    stratum: str
    sequence_number: int  # 1, 2, ... within the stratum
    arm: str
    block_number: int  # 1, 2, ... within the stratum
    block_size: int
    participant: str  # pseudonymous reference
    consent_recorded_at: dt.datetime
    allocated_at: dt.datetime
    allocated_by: str
    scheme: str  # scheme, block sizes, arms and the key's fingerprint


@dataclass(frozen=True)
class AuditEntry:
    at: dt.datetime
    actor: str
    action: str  # allocate | reread | refuse
    trial: str
    stratum: str
    participant: str
    sequence_number: int | None = None
    arm: str | None = None
    detail: str = ""


class AllocationStore(Protocol):
    """Where allocations and the audit live. ``add`` must store the allocation and its audit
    entry atomically and raise :class:`SequenceTaken` when (trial, stratum, sequence_number) or
    (trial, participant) is already taken — a unique constraint in a database does both."""

    def allocation_for(self, trial: str, participant: str) -> Allocation | None: ...

    def count(self, trial: str, stratum: str) -> int: ...

    def add(self, allocation: Allocation, audit: AuditEntry) -> None: ...

    def audit(self, entry: AuditEntry) -> None: ...

    def allocations(self, trial: str) -> list[Allocation]: ...


class MemoryAllocationStore:
    """In-memory store, for tests and the reference of the interface."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._allocs: list[Allocation] = []
        self.audit_log: list[AuditEntry] = []

    def allocation_for(self, trial: str, participant: str) -> Allocation | None:
        with self._lock:
            return next((a for a in self._allocs if a.trial == trial and a.participant == participant), None)

    def count(self, trial: str, stratum: str) -> int:
        with self._lock:
            return sum(a.trial == trial and a.stratum == stratum for a in self._allocs)

    def add(self, allocation: Allocation, audit: AuditEntry) -> None:
        with self._lock:
            for a in self._allocs:
                if a.trial == allocation.trial and (
                        (a.stratum == allocation.stratum and a.sequence_number == allocation.sequence_number)
                        or a.participant == allocation.participant):
                    raise SequenceTaken(f"sequence {allocation.sequence_number} of {allocation.stratum} "
                                        "or the participant is taken")
            self._allocs.append(allocation)
            self.audit_log.append(audit)

    def audit(self, entry: AuditEntry) -> None:
        with self._lock:
            self.audit_log.append(entry)

    def allocations(self, trial: str) -> list[Allocation]:
        with self._lock:
            return [a for a in self._allocs if a.trial == trial]


def randomisation_secret() -> bytes:
    """The key in force: ``OPSPOR_RANDOMISATION_KEY``, else ``$OPSPOR_HOME/randomisation.key``
    (64 random hex characters, created once with mode 0600). Losing it makes the sequence
    unverifiable: back it up with the database."""
    value = os.environ.get(KEY_ENV, "").strip()
    if value:
        return value.encode()
    path: Path = paths.home() / KEY_FILE
    value = read_or_create(path)
    if not value:
        raise RandomisationError(f"{path} is empty: restore it from backup or set {KEY_ENV}")
    return value.encode()


class _Stream:
    """A keyed deterministic stream of uniform integers (HMAC-SHA256 in counter mode)."""

    def __init__(self, key: bytes, label: str) -> None:
        self.key, self.label, self.counter, self.buf = key, label.encode(), 0, b""

    def _bytes(self, n: int) -> bytes:
        while len(self.buf) < n:
            self.buf += hmac.new(self.key, self.label + b"|" + str(self.counter).encode(), hashlib.sha256).digest()
            self.counter += 1
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def below(self, n: int) -> int:
        """Uniform in 0 .. n-1 (rejection sampling, no modulo bias)."""
        limit = (1 << 64) - (1 << 64) % n
        while True:
            x = int.from_bytes(self._bytes(8), "big")
            if x < limit:
                return x % n


class Randomiser:
    def __init__(self, trial: str, secret: bytes, store: AllocationStore, strata: tuple[str, ...] | None = None,
                 arms: tuple[str, ...] = ARMS, block_sizes: tuple[int, ...] = BLOCK_SIZES) -> None:
        if len(arms) < 2 or len(set(arms)) != len(arms):
            raise RandomisationError("give at least two different arms")
        if not block_sizes or any(b <= 0 or b % len(arms) for b in block_sizes):
            raise RandomisationError(f"every block size must be a positive multiple of {len(arms)} "
                                     f"(the number of arms), got {block_sizes}")
        if len(secret) < 16:
            raise RandomisationError("the randomisation key is too short (at least 16 bytes)")
        self.trial, self.secret, self.store = trial, secret, store
        self.strata, self.arms, self.block_sizes = strata, tuple(arms), tuple(block_sizes)
        fp = hmac.new(secret, b"opspor randomisation key fingerprint", hashlib.sha256).hexdigest()[:16]
        self.scheme = f"{SCHEME}; blocks {'/'.join(map(str, self.block_sizes))}; arms {'/'.join(self.arms)}; key {fp}"

    # -- the sequence (never shown to the people who recruit) --------------------------------

    def _block(self, stratum: str, number: int) -> list[str]:
        s = _Stream(self.secret, f"{self.trial}|{stratum}|block|{number}")
        size = self.block_sizes[s.below(len(self.block_sizes))]
        block = [arm for arm in self.arms for _ in range(size // len(self.arms))]
        for i in range(len(block) - 1, 0, -1):  # Fisher-Yates
            j = s.below(i + 1)
            block[i], block[j] = block[j], block[i]
        return block

    def position(self, stratum: str, sequence_number: int) -> tuple[str, int, int]:
        """(arm, block number, block size) of a sequence number (1-based) in a stratum."""
        if sequence_number < 1:
            raise RandomisationError("sequence numbers start at 1")
        seen, number = 0, 1
        while True:
            block = self._block(stratum, number)
            if sequence_number <= seen + len(block):
                return block[sequence_number - seen - 1], number, len(block)
            seen += len(block)
            number += 1

    def sequence(self, stratum: str, n: int) -> list[str]:
        """The first ``n`` arms of a stratum: for the trial statistician's verification only —
        showing it to recruiters would break the concealment."""
        out: list[str] = []
        number = 1
        while len(out) < n:
            out += self._block(stratum, number)
            number += 1
        return out[:n]

    # -- allocation ---------------------------------------------------------------------------

    def allocate(self, stratum: str, participant: str, consent_recorded_at: dt.datetime | None,
                 actor: str, now: dt.datetime | None = None) -> Allocation:
        """The participant's arm, allocated now (or the allocation made earlier)."""
        now = now or dt.datetime.now(dt.UTC)

        def refuse(reason: str) -> RandomisationError:
            self.store.audit(AuditEntry(now, actor, "refuse", self.trial, stratum, _mask(participant),
                                        detail=reason))
            return RandomisationError(reason)

        if not participant or _CPR_LIKE.search(participant):
            raise refuse("the participant reference must be pseudonymous, never a CPR number")
        if self.strata is not None and stratum not in self.strata:
            raise refuse(f"unknown stratum {stratum!r}; strata: {', '.join(self.strata)}")
        if not actor:
            raise refuse("name who allocates (actor)")
        existing = self.store.allocation_for(self.trial, participant)
        if existing is not None:
            self.store.audit(AuditEntry(now, actor, "reread", self.trial, existing.stratum, participant,
                                        existing.sequence_number, existing.arm))
            return existing
        if consent_recorded_at is None:
            raise refuse("no consent recorded: the allocation stays concealed until consent")
        if _aware(consent_recorded_at) > _aware(now):
            raise refuse("the consent time lies in the future")
        for _attempt in range(10):
            seq = self.store.count(self.trial, stratum) + 1
            arm, block, size = self.position(stratum, seq)
            alloc = Allocation(self.trial, stratum, seq, arm, block, size, participant,
                               consent_recorded_at, now, actor, self.scheme)
            try:
                self.store.add(alloc, AuditEntry(now, actor, "allocate", self.trial, stratum, participant,
                                                 seq, arm, f"block {block} of size {size}"))
                return alloc
            except SequenceTaken:
                existing = self.store.allocation_for(self.trial, participant)
                if existing is not None:
                    return existing
        raise RandomisationError("could not allocate after 10 attempts (heavy concurrency): try again")

    def verify(self) -> list[str]:
        """Problems found when every stored allocation is recomputed from the key (empty: all well)."""
        problems = []
        by_stratum: dict[str, list[Allocation]] = {}
        for a in self.store.allocations(self.trial):
            by_stratum.setdefault(a.stratum, []).append(a)
        for stratum, allocs in sorted(by_stratum.items()):
            numbers = sorted(a.sequence_number for a in allocs)
            if numbers != list(range(1, len(numbers) + 1)):
                problems.append(f"{stratum}: sequence numbers are not 1..{len(numbers)} without gaps")
            for a in allocs:
                arm, block, size = self.position(stratum, a.sequence_number)
                if (a.arm, a.block_number, a.block_size) != (arm, block, size):
                    problems.append(f"{stratum} #{a.sequence_number}: stored {a.arm}, the sequence says {arm}")
                if a.consent_recorded_at is None or _aware(a.consent_recorded_at) > _aware(a.allocated_at):
                    problems.append(f"{stratum} #{a.sequence_number}: allocated before consent was recorded")
        return problems


def _aware(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=dt.UTC)


def _mask(text: str) -> str:
    return _CPR_LIKE.sub("XXXXXX-XXXX", text or "")
