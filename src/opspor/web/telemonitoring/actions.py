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
import datetime as dt
import gc
import hashlib
import operator
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opspor.fhir.contract.systems import CPR_SYSTEM, PERSON_PUBLIC_ID_SYSTEM
from opspor.telemonitoring import kinds, protocols, triage
from opspor.telemonitoring.observations import Invalid, ObservationError, Reading
from opspor.web.accounts.models import Organisation
from opspor.web.accounts.roles import OrgKind
from opspor.web.audit import actions as audit
from opspor.web.audit.models import Event
from opspor.web.people.models import Person
from opspor.web.telemonitoring.models import (
    Alarm,
    AlarmEvent,
    Enrolment,
    Evaluation,
    Measurement,
    PlanItem,
    SenderToken,
    ThresholdAdjustment,
)

IMPORTER = audit.system("opspor telemonitoring import")
ENTERED_IN_ERROR = "entered-in-error"  # FHIR's status of a withdrawn observation
system_actor = audit.system


@dataclass
class Stored:
    received: int = 0
    stored: int = 0
    new_versions: int = 0
    duplicates: int = 0
    persons: int = 0
    alarms: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _persons(readings: list[Reading], found: dict, patients: dict) -> list[ObservationError]:
    """Adds {(subject system, value): (person pk, person key)} of the readings' patients to
    ``found`` and their enrolments to ``patients``; returns a problem for each patient nobody
    has or who is not enrolled (opspor takes responsibility for measurements it asked for: seed
    002, 7230-7238)."""
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
    _load_patients({pk for pk, _ in found.values()} - patients.keys(), patients)
    missing = {(r.subject_system, r.subject_value) for r in readings} - found.keys()
    not_enrolled = {s for s, (pk, _) in found.items() if pk not in patients}
    for system, value in sorted(missing | not_enrolled):
        shown = value if system == PERSON_PUBLIC_ID_SYSTEM else "(CPR number not shown)"
        problem = ("no patient enrolled in telemonitoring" if (system, value) in not_enrolled
                   else "no patient known to opspor")
        errors.append(ObservationError(
            "subject", "Observation.subject.identifier.value", f"{problem} with {system} {shown}",
            "name a patient enrolled in telemonitoring (their public id, or CPR number); a clinician enrols "
            "the patient first"))
    return errors


@dataclass(frozen=True)
class _Patient:
    """What the triage needs of an enrolled patient."""

    enrolment: int
    plan: frozenset[str]
    limits: dict  # {kind: [triage.Limit]}


def patient_limits(condition: str, adjusted: dict[str, float]) -> dict:
    return triage.limits(kinds.shipped(), protocols.shipped().conditions[condition], adjusted)


def _load_patients(pks: set[int], patients: dict[int, _Patient]) -> None:
    """Adds the active enrolments of ``pks`` to ``patients`` ({person pk: _Patient})."""
    if not pks:
        return
    enrolments = {e.pk: e for e in Enrolment.objects.filter(person_id__in=pks, state=Enrolment.State.ACTIVE)}
    plans: dict[int, set[str]] = {}
    for enrolment_id, kind in PlanItem.objects.filter(enrolment_id__in=enrolments).values_list("enrolment_id", "kind"):
        plans.setdefault(enrolment_id, set()).add(kind)
    adjusted: dict[int, dict[str, float]] = {}
    for enrolment_id, rule, threshold in (ThresholdAdjustment.objects.filter(enrolment_id__in=enrolments)
                                          .order_by("at", "id").values_list("enrolment_id", "rule", "threshold")):
        adjusted.setdefault(enrolment_id, {})[rule] = threshold  # the newest wins
    for e in enrolments.values():
        patients[e.person_id] = _Patient(e.pk, frozenset(plans.get(e.pk, ())),
                                         patient_limits(e.condition, adjusted.get(e.pk, {})))


_COLUMNS = ("person_id", "kind", "value", "value2", "effective", "status", "identifier_system", "identifier_value",
            "version", "digest", "received_at", "source", "sender", "device", "catalogue_version", "colour", "rule",
            "threshold", "protocol_version")


_index_order = operator.itemgetter(0, 1, 4)  # person, kind, effective


def _utc_text(value: dt.datetime) -> str:
    """A UTC time as Django stores it on SQLite (``str`` of the naive UTC time), without Django's
    per-value settings look-up: one C call."""
    return value.isoformat(" ")[:-6]  # the value is UTC: drop "+00:00"


def _time_for_db():
    return _utc_text if connection.vendor == "sqlite" else (lambda value: value)


def _insert(rows: list[tuple]) -> None:
    """One parameterised INSERT run for all rows (times already as the database takes them) (``executemany``): 3-4x the speed of
    ``bulk_create``, which builds a model instance per row and splits the rows into statements
    of at most 999 parameters on SQLite (docs/benchmarks.md, "Home measurements")."""
    if not rows:
        return
    table = connection.ops.quote_name(Measurement._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in _COLUMNS)
    rows.sort(key=_index_order)  # the (person, kind, effective) index is then written in order
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(_COLUMNS))})", rows)


def _existing(values: list[str], last: str = "digest") -> list[tuple]:
    """(``last`` or id, system, value, version) of the stored measurements with these identifier
    values (raw SQL: the ORM's ``__in`` costs 0.1 s per 5,000 values in parameter handling alone)."""
    table = connection.ops.quote_name(Measurement._meta.db_table)
    first = "" if last == "digest" else "id, "
    tail = ", digest" if last == "digest" else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {first}identifier_system, identifier_value, version{tail} FROM {table} "
                       f"WHERE identifier_value IN ({', '.join(['%s'] * len(values))})", values)
        return cursor.fetchall()


def _earlier(rows: list[Reading], persons: dict, patients: dict) -> dict:
    """{(person pk, kind): [(time, value)]} stored before, for the kinds with a rise rule in the
    readings' patients' protocols (one query per kind)."""
    wanted: dict[str, tuple[set[int], dt.datetime, dt.datetime, int]] = {}
    for r in rows:
        pk = persons[(r.subject_system, r.subject_value)][0]
        limits = patients[pk].limits.get(r.kind, ())
        days = max((lim.rule.within_days for lim in limits if lim.rule.test == "rise"), default=0)
        if days:
            pks, low, high, most = wanted.get(r.kind, (set(), r.effective, r.effective, 0))
            pks.add(pk)
            wanted[r.kind] = (pks, min(low, r.effective), max(high, r.effective), max(most, days))
    out: dict = {}
    for kind, (pks, low, high, days) in wanted.items():
        for pk, effective, value in (Measurement.objects.filter(
                person_id__in=pks, kind=kind, effective__gte=low - dt.timedelta(days=days), effective__lte=high)
                .exclude(status=ENTERED_IN_ERROR).values_list("person_id", "effective", "value")):
            out.setdefault((pk, kind), []).append((effective, value))
    return out


def _store_chunk(readings: list[Reading], summary: Stored, seen: dict, looked_up: set, persons: dict,
                 patients: dict, persons_touched: set, *, source: str, sender: str, catalogue_version: str, now) -> None:
    errors = _persons(readings, persons, patients)
    if errors:
        raise Invalid(errors)
    values = {r.identifier_value for r in readings} - looked_up
    looked_up |= values
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
        rows.append((r, entry[0]))
    earlier = _earlier([r for r, _ in rows], persons, patients)
    version = protocols.shipped().version
    to_db = _time_for_db()
    received = to_db(now)
    out, flagged = [], []
    for r, v in rows:
        pk, key = persons[(r.subject_system, r.subject_value)]
        persons_touched.add(key)
        patient = patients[pk]
        if r.status == ENTERED_IN_ERROR or r.kind not in patient.plan:
            verdict = None  # not triaged: withdrawn, or not asked for
        else:
            history = earlier.setdefault((pk, r.kind), [])
            verdict = triage.classify(patient.limits.get(r.kind, ()), r.value, r.value2, r.effective, history)
            history.append((r.effective, r.value))
            if verdict.colour != triage.GREEN:
                flagged.append((r, v, patient, verdict))
        out.append((pk, r.kind, r.value, r.value2, to_db(r.effective), r.status, r.identifier_system,
                    r.identifier_value, v, r.digest, received, source, sender, r.device, catalogue_version,
                    verdict.colour if verdict else "", verdict.rule if verdict else "",
                    verdict.threshold if verdict else None, version if verdict else ""))
    _insert(out)
    _raise_alarms(flagged, persons, now)
    summary.stored += len(out)
    summary.alarms += len(flagged)


def _raise_alarms(flagged: list, persons: dict, now) -> None:
    """An open alarm per red or yellow measurement (the measurement's row found by identifier
    and version). Raw SQL both ways, as :func:`_insert`: a model instance per alarm cost as
    much as the measurements' whole insert."""
    if not flagged:
        return
    ids = {(s, v, n): pk for pk, s, v, n in _existing([r.identifier_value for r, *_ in flagged], "id")}
    catalogue = kinds.shipped()
    table = connection.ops.quote_name(Alarm._meta.db_table)
    columns = ("enrolment_id", "person_id", "category", "colour", "kind", "rule", "measurement_id", "measured_at",
               "raised_at", "state")
    convert = connection.ops.adapt_datetimefield_value
    raised = convert(now)
    rows = [(patient.enrolment, persons[(r.subject_system, r.subject_value)][0],
             Alarm.Category.QUESTIONNAIRE.value if catalogue.kinds[r.kind].questionnaire else Alarm.Category.MEASUREMENT.value,
             verdict.colour, r.kind, verdict.rule, ids[(r.identifier_system, r.identifier_value, v)], convert(r.effective),
             raised, Alarm.State.OPEN.value) for r, v, patient, verdict in flagged]
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({', '.join(connection.ops.quote_name(c) for c in columns)}) "
                           f"VALUES ({', '.join(['%s'] * len(columns))})", rows)


@contextlib.contextmanager
def _no_cycle_collection():
    """Python's cycle collector off while a batch is stored, as it was before afterwards. The
    batch allocates millions of small objects (structs, tuples, strings) that hold no cycles; the
    collector, triggered by the allocations, walked them again and again: 35 % of the time
    (docs/benchmarks.md). Reference counting still frees everything; the process-wide switch
    lasts as long as the batch."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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
    looked_up: set[str] = set()  # identifier values whose stored versions are in ``seen``
    persons: dict = {}  # {(subject system, value): (pk, person key)}
    patients: dict = {}  # {person pk: _Patient}
    touched: set[str] = set()
    now = timezone.now()
    with transaction.atomic(), _page_cache(), _no_cycle_collection():
        for chunk in chunks:
            summary.received += len(chunk)
            _store_chunk(chunk, summary, seen, looked_up, persons, patients, touched, source=source, sender=sender,
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


def make_token(actor, name: str, organisation, channel: str = SenderToken.Channel.TELEMONITORING) -> str:
    """A new sender token for ``name`` (a device hub or system) of ``organisation`` for the
    endpoint of ``channel``; returns the token, which is not kept (only its SHA-256)."""
    prefix = "tm_" if channel == SenderToken.Channel.TELEMONITORING else "mc_"
    token = prefix + secrets.token_urlsafe(32)
    with transaction.atomic():
        SenderToken.objects.create(name=name, organisation=organisation, token_sha256=token_digest(token),
                                   channel=channel)
        audit.record(actor, Event.TELEMONITORING_TOKEN, action=audit.CHANGE, why=f"Sender token made: {name}"[:200],
                     detail={"name": name, "organisation": organisation.code, "channel": channel})
    return token


def revoke_token(actor, name: str) -> None:
    with transaction.atomic():
        token = SenderToken.objects.select_for_update().get(name=name, revoked_at=None)
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(actor, Event.TELEMONITORING_TOKEN_REVOKE, action=audit.CHANGE,
                     why=f"Sender token revoked: {name}"[:200], detail={"name": name})


def sender_of(token: str, channel: str = SenderToken.Channel.TELEMONITORING) -> SenderToken | None:
    """The active token ``token`` is for the endpoint of ``channel``, or None."""
    return SenderToken.objects.select_related("organisation").filter(
        token_sha256=token_digest(token), revoked_at=None, channel=channel).first()


# --------------------------------------------------------------------------- enrolment and thresholds

class EnrolmentError(ValueError):
    """An enrolment or adjustment that the rules refuse; the message says why and what to do."""


ENROLLING_ROLES = ("nurse", "specialist")


@dataclass(frozen=True)
class PlanChoice:
    kind: str
    every_days: int
    missing_after_days: int


def _check_enrolment(user, *, condition: str, equipment: str, usability_passed: bool, usability_note: str,
                     plan: list[PlanChoice]) -> None:
    """The rules of an enrolment (the form's and the file import's); EnrolmentError says why."""
    if user.role not in ENROLLING_ROLES:
        raise EnrolmentError(_("Only a support nurse or a department specialist enrols patients."))
    proto = protocols.shipped()
    if condition not in proto.conditions:
        raise EnrolmentError(_("Unknown condition %(condition)s: choose one of %(choices)s.")
                             % {"condition": condition, "choices": ", ".join(proto.conditions)})
    if not equipment.strip():
        raise EnrolmentError(_("Record the equipment handed out (e.g. pulse oximeter, scale, tablet)."))
    if not usability_passed:
        raise EnrolmentError(_("The patient must pass the check of using the equipment before measurements "
                               "start: practise with the patient and check again."))
    if not usability_note.strip():
        raise EnrolmentError(_("Describe the usability check (what the patient measured and sent by themselves)."))
    if not plan:
        raise EnrolmentError(_("Choose at least one measurement for the plan."))
    catalogue = kinds.shipped()
    for item in plan:
        if item.kind not in catalogue.kinds:
            raise EnrolmentError(_("Unknown measurement %(kind)s.") % {"kind": item.kind})
        if item.every_days < 1 or item.missing_after_days < item.every_days:
            raise EnrolmentError(_("%(kind)s: the interval is at least one day, and a measurement is missing no "
                                   "sooner than its interval.") % {"kind": item.kind})


def departments(user):
    """The hospital departments of the user's region that an enrolment may name as responsible."""
    region = user.organisation.region_code
    return Organisation.objects.filter(kind=OrgKind.DEPARTMENT, region_code=region).order_by("name") if region else \
        Organisation.objects.none()


def _create_enrolment(user, person, *, condition: str, source: str, equipment: str, usability_note: str,
                      plan: list[PlanChoice], at, department=None) -> Enrolment:
    org = user.organisation
    if department is not None and not departments(user).filter(pk=department.pk).exists():
        raise EnrolmentError(_("Choose a department of your own region as responsible."))
    enrolment = Enrolment.objects.create(
        person=person, condition=condition, source=source, organisation=org, department=department,
        region_code=org.region_code or person.region_code, enrolled_by=user, enrolled_at=at,
        equipment=equipment.strip()[:300], usability_checked_at=at, usability_note=usability_note.strip()[:500],
        protocol_version=protocols.shipped().version)
    PlanItem.objects.bulk_create([PlanItem(enrolment=enrolment, kind=i.kind, every_days=i.every_days,
                                           missing_after_days=i.missing_after_days) for i in plan])
    return enrolment


def enrol(user, person, *, condition: str, source: str, equipment: str, usability_passed: bool,
          usability_note: str, plan: list[PlanChoice], department=None) -> Enrolment:
    """Enrol ``person`` (whom the caller got through people.scope) in telemonitoring for
    ``condition`` with the equipment, the usability check (it must be passed: the seed asks for a
    uniform screening of the patient's ability to use the equipment, 002 7719-7763) and the plan.
    ``department`` (an Organisation of the user's region, optional) is responsible for the
    condition: alarms may be escalated to it. Audited with the plan."""
    _check_enrolment(user, condition=condition, equipment=equipment, usability_passed=usability_passed,
                     usability_note=usability_note, plan=plan)
    with transaction.atomic():
        if Enrolment.objects.select_for_update().filter(person=person, state=Enrolment.State.ACTIVE).exists():
            raise EnrolmentError(_("The patient is already enrolled in telemonitoring."))
        enrolment = _create_enrolment(user, person, condition=condition, source=source, equipment=equipment,
                                      usability_note=usability_note, plan=plan, at=timezone.now(),
                                      department=department)
        audit.record(user, Event.TELEMONITORING_ENROL, action=audit.CHANGE, why=_("Enrolled in telemonitoring"),
                     persons=[person.person_key],
                     detail={"condition": condition, "source": source, "protocol": enrolment.protocol_version,
                             "department": department.code if department else None,
                             "plan": {i.kind: [i.every_days, i.missing_after_days] for i in plan}})
    return enrolment


def end_enrolment(user, enrolment: Enrolment, reason: str) -> Enrolment:
    """End the telemonitoring of a patient (recovered, admitted for long, declined to go on, died,
    moved): measurements are no longer accepted, the open alarms close with the reason, and the
    evaluation counts the patient up to this day. Audited."""
    if user.role not in ENROLLING_ROLES:
        raise EnrolmentError(_("Only a support nurse or a department specialist ends a telemonitoring."))
    if not reason.strip():
        raise EnrolmentError(_("Write why the telemonitoring ends."))
    with transaction.atomic():
        enrolment = Enrolment.objects.select_for_update(of=("self",)).select_related("person").get(pk=enrolment.pk)
        if enrolment.state != Enrolment.State.ACTIVE:
            raise EnrolmentError(_("The telemonitoring has already ended."))
        now = timezone.now()
        enrolment.state, enrolment.ended_at, enrolment.ended_by = Enrolment.State.ENDED, now, user
        enrolment.end_reason = reason.strip()[:500]
        enrolment.save(update_fields=["state", "ended_at", "ended_by", "end_reason"])
        closed = 0
        for alarm in Alarm.objects.select_for_update().filter(enrolment=enrolment).exclude(state=Alarm.State.CLOSED):
            alarm.state, alarm.closed_at = Alarm.State.CLOSED, now
            alarm.save(update_fields=["state", "closed_at"])
            AlarmEvent.objects.create(alarm=alarm, kind=AlarmEvent.Kind.CLOSED, by=user, at=now,
                                      text=_("Telemonitoring ended: %(reason)s") % {"reason": enrolment.end_reason})
            closed += 1
        audit.record(user, Event.TELEMONITORING_END, action=audit.CHANGE, why=_("Telemonitoring ended"),
                     persons=[enrolment.person.person_key],
                     detail={"enrolment": enrolment.pk, "reason": enrolment.end_reason, "alarms_closed": closed})
    return enrolment


@dataclass(frozen=True)
class EnrolmentRow:
    """One line of an enrolment file (``opspor telemonitoring enrolments``)."""

    line: int
    person_key: str
    condition: str
    enrolled_at: dt.datetime  # aware
    equipment: str
    usability_note: str
    source: str


@dataclass
class EnrolmentsImported:
    enrolled: int = 0
    already: int = 0
    persons_added: int = 0


def import_enrolments(user, rows: list[EnrolmentRow], snapshot_rows: list[tuple], snapshot_id: str,
                      actor=None) -> EnrolmentsImported:
    """Enrolments made on another platform (or before opspor), each with the protocol's default
    plan, as if ``user`` (a nurse or specialist, whose organisation they belong to) had enrolled
    them at the time given; a usability check is part of every row. ``snapshot_rows``: the
    persons of the rows missing from the web database, from the snapshot (people.publish.read).
    All or nothing; a patient with an active enrolment is left as is (a rerun is harmless)."""
    from opspor.web.people import publish as people_publish

    proto = protocols.shipped()
    for r in rows:
        plan = [PlanChoice(k, p.every_days, p.missing_after_days) for k, p in
                proto.conditions[r.condition].plan.items()] if r.condition in proto.conditions else []
        try:
            _check_enrolment(user, condition=r.condition, equipment=r.equipment, usability_passed=True,
                             usability_note=r.usability_note, plan=plan)
        except EnrolmentError as e:
            raise EnrolmentError(f"line {r.line}: {e}") from None
    result = EnrolmentsImported()
    with transaction.atomic():
        if snapshot_rows:
            people_publish.upsert(snapshot_rows, snapshot_id)
            result.persons_added = len(snapshot_rows)
        persons = {p.person_key: p for p in Person.objects.filter(person_key__in=[r.person_key for r in rows])}
        missing = [r.line for r in rows if r.person_key not in persons]
        if missing:
            raise EnrolmentError(f"line {missing[0]}: no person with this CPR number in the web database or the "
                                 "snapshot (the number is not shown); load the drop the enrolments belong to")
        active = set(Enrolment.objects.select_for_update(of=("self",)).filter(
            person__in=persons.values(), state=Enrolment.State.ACTIVE).values_list("person__person_key", flat=True))
        enrolled = []
        for r in rows:
            if r.person_key in active:
                result.already += 1
                continue
            plan = [PlanChoice(k, p.every_days, p.missing_after_days) for k, p in proto.conditions[r.condition].plan.items()]
            _create_enrolment(user, persons[r.person_key], condition=r.condition, source=r.source,
                              equipment=r.equipment, usability_note=r.usability_note, plan=plan, at=r.enrolled_at)
            active.add(r.person_key)
            enrolled.append(r.person_key)
        result.enrolled = len(enrolled)
        if enrolled:
            audit.record(actor or user, Event.TELEMONITORING_ENROL, action=audit.CHANGE,
                         why=_("Enrolments imported into telemonitoring"), persons=enrolled,
                         detail={"imported": len(enrolled), "by": user.get_username(), "protocol": proto.version})
    return result


def adjust_threshold(user, enrolment: Enrolment, *, rule_id: str, baseline: float, offset: float,
                     reason: str) -> ThresholdAdjustment:
    """Set the threshold of rule ``rule_id`` for this patient to ``baseline + offset`` (the
    patient's own baseline, e.g. a habitual SpO2 of 90, and how far from it the rule fires).
    Applies to measurements from now on; audited with the reason."""
    if user.role not in ENROLLING_ROLES:
        raise EnrolmentError(_("Only a support nurse or a department specialist adjusts thresholds."))
    if enrolment.state != Enrolment.State.ACTIVE:
        raise EnrolmentError(_("The enrolment has ended."))
    rule = protocols.shipped().conditions[enrolment.condition].rule(rule_id)
    if rule is None:
        raise EnrolmentError(_("No rule %(rule)s in the protocol for this condition.") % {"rule": rule_id})
    if not reason.strip():
        raise EnrolmentError(_("Give the reason for the adjustment (it is kept with it)."))
    threshold = round(baseline + offset, 2)
    with transaction.atomic():
        adjustment = ThresholdAdjustment.objects.create(
            enrolment=enrolment, rule=rule_id, baseline=baseline, offset=offset, threshold=threshold,
            reason=reason.strip()[:500], by=user, at=timezone.now())
        audit.record(user, Event.TELEMONITORING_THRESHOLD, action=audit.CHANGE, why=reason.strip()[:200],
                     persons=[enrolment.person.person_key],
                     detail={"rule": rule_id, "protocol_threshold": rule.threshold, "baseline": baseline,
                             "offset": offset, "threshold": threshold})
    return adjustment


MISSING_CHECKER = audit.system("opspor telemonitoring check-missing")


def raise_missing(now=None, actor=MISSING_CHECKER) -> int:
    """An alarm for every planned measurement of an active enrolment with none for the plan's
    ``missing_after_days`` (one open alarm per enrolment and kind). Returns how many were raised."""
    from django.db.models import Max

    now = now or timezone.now()
    last = {(p, k): t for p, k, t in Measurement.objects.exclude(status=ENTERED_IN_ERROR)
            .values_list("person_id", "kind").annotate(last=Max("effective")).values_list("person_id", "kind", "last")}
    open_missing = set(Alarm.objects.filter(category=Alarm.Category.MISSING).exclude(state=Alarm.State.CLOSED)
                       .values_list("enrolment_id", "kind"))
    proto = protocols.shipped()
    new = []
    for e in Enrolment.objects.filter(state=Enrolment.State.ACTIVE).select_related("person").prefetch_related("plan"):
        plan = {i.kind: i.missing_after_days for i in e.plan.all()}
        found = triage.missing(plan, {k: last.get((e.person_id, k)) for k in plan}, e.enrolled_at, now,
                               proto.conditions[e.condition].missing_colour)
        for m in found:
            if (e.pk, m.kind) not in open_missing:
                new.append((e, m))
    with transaction.atomic():
        Alarm.objects.bulk_create([Alarm(enrolment=e, person=e.person, category=Alarm.Category.MISSING,
                                         colour=m.colour, kind=m.kind, rule=f"missing_{m.kind}", measured_at=m.since,
                                         raised_at=now) for e, m in new])
        if new:
            audit.record(actor, Event.TELEMONITORING_MISSING, action=audit.CHANGE,
                         why=_("Missing home measurements found"), persons={e.person.person_key for e, _ in new},
                         detail={"alarms": len(new)})
    return len(new)


# --------------------------------------------------------------------------- the monitoring centre

def _alarm_event(user, alarm: Alarm, kind: str, text: str, event: Event, why: str, message=None) -> AlarmEvent:
    row = AlarmEvent.objects.create(alarm=alarm, kind=kind, text=text.strip()[:1000], by=user, at=timezone.now(),
                                    message=message)
    audit.record(user, event, action=audit.CHANGE, why=why[:200], persons=[alarm.person.person_key],
                 detail={"alarm": alarm.pk, "rule": alarm.rule, "colour": alarm.colour, "state": alarm.state})
    return row


def _locked(alarm: Alarm) -> Alarm:
    """The alarm's row, locked (the caller got ``alarm`` through the person's scope)."""
    return Alarm.objects.select_for_update().select_related("person", "enrolment").get(pk=alarm.pk)


def _monitoring(user) -> None:
    if user.role != "monitoring_nurse":
        raise EnrolmentError(_("Only a monitoring-centre nurse handles alarms."))


def acknowledge(user, alarm: Alarm) -> Alarm:
    """The nurse has seen the alarm and takes it: its response time ends here."""
    _monitoring(user)
    with transaction.atomic():
        alarm = _locked(alarm)
        if alarm.state != Alarm.State.OPEN:
            raise EnrolmentError(_("The alarm has already been acknowledged."))
        alarm.state, alarm.acknowledged_at, alarm.acknowledged_by = Alarm.State.ACKNOWLEDGED, timezone.now(), user
        alarm.save(update_fields=["state", "acknowledged_at", "acknowledged_by"])
        _alarm_event(user, alarm, AlarmEvent.Kind.ACKNOWLEDGED, "", Event.TELEMONITORING_ACKNOWLEDGE,
                     _("Alarm acknowledged"))
    return alarm


def note(user, alarm: Alarm, text: str, *, contact: bool = False) -> AlarmEvent:
    """A note on the alarm; ``contact``: the nurse contacted the patient (what was said)."""
    _monitoring(user)
    if not text.strip():
        raise EnrolmentError(_("Write the note."))
    with transaction.atomic():
        alarm = _locked(alarm)
        if alarm.state == Alarm.State.OPEN:
            raise EnrolmentError(_("Acknowledge the alarm first."))
        return _alarm_event(user, alarm, AlarmEvent.Kind.CONTACT if contact else AlarmEvent.Kind.NOTE, text,
                            Event.TELEMONITORING_NOTE, _("Patient contacted") if contact else _("Note on an alarm"))


ESCALATION_TARGETS = ("gp_practice", "department")


def escalate(user, alarm: Alarm, text: str, to: str = "gp_practice") -> AlarmEvent:
    """Escalate to the patient's GP or to the department responsible for the enrolment: a MedCom
    CareCommunication queued in the outbox (once per alarm and recipient; blocked with the reason
    if the patient objected or the recipient is not in the address book)."""
    from opspor.web.messaging.actions import on_telemonitoring_escalation

    _monitoring(user)
    if to not in ESCALATION_TARGETS:
        raise EnrolmentError(_("Escalate to the GP or to the responsible department."))
    if not text.strip():
        raise EnrolmentError(_("Write what the recipient should know or do."))
    with transaction.atomic():
        alarm = _locked(alarm)
        if alarm.state not in (Alarm.State.ACKNOWLEDGED, Alarm.State.ESCALATED):
            raise EnrolmentError(_("Acknowledge the alarm first; a closed alarm is not escalated."))
        department = alarm.enrolment.department
        if to == "department" and department is None:
            raise EnrolmentError(_("The enrolment names no responsible department: escalate to the GP, or ask the "
                                   "enrolling clinician to name the department."))
        title = kinds.shipped().kinds[alarm.kind].title_da if alarm.kind in kinds.shipped().kinds else alarm.kind
        what = f"{title}, {alarm.get_colour_display()} ({alarm.rule}) {timezone.localtime(alarm.measured_at):%d-%m-%Y %H:%M}"
        messages = on_telemonitoring_escalation(user, person=alarm.person, region_code=alarm.enrolment.region_code,
                                                source=f"telemonitoring.alarm:{alarm.pk}", alarm=what, note=text.strip(),
                                                kind=to, recipient_id=department.code if to == "department" else None)
        alarm.state = Alarm.State.ESCALATED
        alarm.save(update_fields=["state"])
        why = _("Alarm escalated to the GP") if to == "gp_practice" else _("Alarm escalated to the department")
        return _alarm_event(user, alarm, AlarmEvent.Kind.ESCALATED, text, Event.TELEMONITORING_ESCALATE, why,
                            message=messages[0] if messages else None)


def close(user, alarm: Alarm, text: str) -> AlarmEvent:
    _monitoring(user)
    if not text.strip():
        raise EnrolmentError(_("Write how the alarm was resolved."))
    with transaction.atomic():
        alarm = _locked(alarm)
        if alarm.state in (Alarm.State.OPEN, Alarm.State.CLOSED):
            raise EnrolmentError(_("Acknowledge the alarm first; a closed alarm stays closed."))
        alarm.state, alarm.closed_at = Alarm.State.CLOSED, timezone.now()
        alarm.save(update_fields=["state", "closed_at"])
        return _alarm_event(user, alarm, AlarmEvent.Kind.CLOSED, text, Event.TELEMONITORING_CLOSE, _("Alarm closed"))


# --------------------------------------------------------------------------- the evaluation

EVALUATOR = audit.system("opspor telemonitoring evaluate")


def publish_evaluation(reports: dict[str, dict], snapshot_id: str, actor=EVALUATOR) -> list[Evaluation]:
    """Store each region's evaluation report (web/telemonitoring/evaluation.py; the newest is
    shown); audited, no person named: the report holds figures only."""
    now = timezone.now()
    with transaction.atomic():
        rows = [Evaluation.objects.create(region_code=region, made_at=now, snapshot_id=snapshot_id, report=report)
                for region, report in reports.items()]
        audit.record(actor, Event.TELEMONITORING_EVALUATION_PUBLISH, action=audit.CHANGE,
                     why=_("Telemonitoring evaluation published"),
                     detail={"regions": sorted(reports), "snapshot": snapshot_id})
    return rows
