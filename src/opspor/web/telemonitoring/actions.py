"""Every change of telemonitoring state: storing measurements, sender tokens.

:func:`store` writes readings in one transaction, fast (one query per chunk for the persons, one
for the identifiers already stored, a bulk insert), idempotent by identifier: a reading whose
content is already stored under its identifier (any version) is skipped; one with new content
is stored as the identifier's next version; nothing is overwritten. Late and out-of-order
readings are stored like any other (the time measured is ``effective``, the time received
``received_at``). One audit entry per person whose measurements were stored, in the same
transaction.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from opspor.fhir.contract.systems import CPR_SYSTEM, PERSON_PUBLIC_ID_SYSTEM
from opspor.telemonitoring.observations import Invalid, ObservationError, Reading
from opspor.web.audit import actions as audit
from opspor.web.audit.models import Event
from opspor.web.people.models import Person
from opspor.web.telemonitoring.models import Measurement, SenderToken

IMPORTER = audit.system("opspor telemonitoring import")
system_actor = audit.system


@dataclass
class Stored:
    received: int = 0
    stored: int = 0
    new_versions: int = 0
    duplicates: int = 0
    persons: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _persons(readings: list[Reading], found: dict) -> list[ObservationError]:
    """Adds {(subject system, value): (person pk, person key)} of the readings' patients to
    ``found``; returns a problem for each patient nobody has."""
    public, cprs = set(), set()
    errors = []
    for r in readings:
        subject = (r.subject_system, r.subject_value)
        if subject in found:
            continue
        if r.subject_system == PERSON_PUBLIC_ID_SYSTEM:
            public.add(r.subject_value)
        else:
            cprs.add(r.subject_value)
    ids = {}
    for value in public:
        try:
            ids[uuid.UUID(value)] = value
        except ValueError:
            pass
    for pk, key, pid in Person.objects.filter(public_id__in=list(ids)).values_list("pk", "person_key", "public_id"):
        found[(PERSON_PUBLIC_ID_SYSTEM, ids[pid])] = (pk, key)
    for pk, key, cpr in Person.objects.filter(cpr__in=list(cprs)).values_list("pk", "person_key", "cpr"):
        found[(CPR_SYSTEM, cpr)] = (pk, key)
    missing = {(r.subject_system, r.subject_value) for r in readings} - found.keys()
    for system, value in sorted(missing):
        shown = value if system == PERSON_PUBLIC_ID_SYSTEM else "(CPR number not shown)"
        errors.append(ObservationError(
            "subject", "Observation.subject.identifier.value", f"no patient known to opspor with {system} {shown}",
            "name a patient enrolled in telemonitoring (their public id, or CPR number)"))
    return errors


_COLUMNS = ("person_id", "kind", "value", "value2", "effective", "status", "identifier_system", "identifier_value",
            "version", "digest", "received_at", "source", "sender", "device", "catalogue_version")


def _index_order(row: tuple):
    return row[0], row[1], row[4]


def _insert(rows: list[tuple]) -> None:
    """One parameterised INSERT run for all rows (``executemany``): 3-4x the speed of
    ``bulk_create``, which builds a model instance per row and splits the rows into statements
    of at most 999 parameters on SQLite (docs/benchmarks.md, "Home measurements")."""
    if not rows:
        return
    table = connection.ops.quote_name(Measurement._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in _COLUMNS)
    if connection.vendor == "sqlite":
        # Django's own conversion for SQLite (a UTC time as text), without its per-value settings look-up
        received = connection.ops.adapt_datetimefield_value(rows[0][10])
        rows = [(*r[:4], str(r[4].replace(tzinfo=None)), *r[5:10], received, *r[11:]) for r in rows]
    rows.sort(key=_index_order)  # the (person, kind, effective) index is then written in order
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(_COLUMNS))})", rows)


def _existing(values: list[str]) -> list[tuple]:
    """(system, value, version, digest) of the stored measurements with these identifier values
    (raw SQL: the ORM's ``__in`` costs 0.1 s per 5,000 values in parameter handling alone)."""
    table = connection.ops.quote_name(Measurement._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT identifier_system, identifier_value, version, digest FROM {table} "
                       f"WHERE identifier_value IN ({', '.join(['%s'] * len(values))})", values)
        return cursor.fetchall()


def _store_chunk(readings: list[Reading], summary: Stored, seen: dict, persons: dict, persons_touched: set, *,
                 source: str, sender: str, catalogue_version: str, now) -> None:
    errors = _persons(readings, persons)
    if errors:
        raise Invalid(errors)
    values = {r.identifier_value for r in readings} - {v for (_, v) in seen}
    if values:
        for system, value, version, digest in _existing(list(values)):
            entry = seen.setdefault((system, value), [0, set()])
            entry[0] = max(entry[0], version)
            entry[1].add(digest)
    rows = []
    for r in readings:
        entry = seen.setdefault((r.identifier_system, r.identifier_value), [0, set()])
        if r.digest in entry[1]:
            summary.duplicates += 1
            continue
        if entry[0]:
            summary.new_versions += 1
        entry[0] += 1
        entry[1].add(r.digest)
        pk, key = persons[(r.subject_system, r.subject_value)]
        persons_touched.add(key)
        rows.append((pk, r.kind, r.value, r.value2, r.effective, r.status, r.identifier_system, r.identifier_value,
                     entry[0], r.digest, now, source, sender, r.device, catalogue_version))
    _insert(rows)
    summary.stored += len(rows)


@contextlib.contextmanager
def _page_cache():
    """On SQLite, a 64 MB page cache for the import (default 2 MB: the indexes of a large table
    no longer fit and every insert reads pages back), the connection's own value afterwards."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        before = cursor.execute("PRAGMA cache_size").fetchone()[0]
        cursor.execute("PRAGMA cache_size=-65536")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size={int(before)}")


def store(actor, chunks: Iterable[list[Reading]], *, source: str, sender: str, catalogue_version: str) -> Stored:
    """Store the readings of ``chunks`` (lists of readings, e.g. from
    :func:`opspor.telemonitoring.observations.read_lines`) all or nothing: an
    :class:`~opspor.telemonitoring.observations.Invalid` from the reader or for an unknown
    patient rolls everything back."""
    summary = Stored()
    seen: dict = {}  # {(identifier system, value): [highest version, {digests}]}
    persons: dict = {}  # {(subject system, value): (pk, person key)}
    touched: set[str] = set()
    now = timezone.now()
    with transaction.atomic(), _page_cache():
        for chunk in chunks:
            summary.received += len(chunk)
            _store_chunk(chunk, summary, seen, persons, touched, source=source, sender=sender,
                         catalogue_version=catalogue_version, now=now)
        summary.persons = len(touched)
        if touched:
            audit.record(actor, Event.TELEMONITORING_RECEIVE, action=audit.CHANGE,
                         why=f"Home measurements received ({source}: {sender})"[:200], persons=touched,
                         detail={"source": source, "sender": sender, **summary.as_dict()})
    return summary


# --------------------------------------------------------------------------- sender tokens

def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def make_token(actor, name: str, organisation) -> str:
    """A new sender token for ``name`` (a device hub or system) of ``organisation``; returns the
    token, which is not kept (only its SHA-256)."""
    token = "tm_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        SenderToken.objects.create(name=name, organisation=organisation, token_sha256=token_digest(token))
        audit.record(actor, Event.TELEMONITORING_TOKEN, action=audit.CHANGE, why=f"Sender token made: {name}"[:200],
                     detail={"name": name, "organisation": organisation.code})
    return token


def revoke_token(actor, name: str) -> None:
    with transaction.atomic():
        token = SenderToken.objects.select_for_update().get(name=name, revoked_at=None)
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(actor, Event.TELEMONITORING_TOKEN_REVOKE, action=audit.CHANGE,
                     why=f"Sender token revoked: {name}"[:200], detail={"name": name})


def sender_of(token: str) -> SenderToken | None:
    """The active token ``token`` is, or None."""
    return SenderToken.objects.select_related("organisation").filter(
        token_sha256=token_digest(token), revoked_at=None).first()
