"""Intraday lists (issue 16 item 5): a MedCom HospitalNotification (admission, leave, end of a
stay) updates where the patient is, and the department lists' rule — the same YAML rule
(``rules/config/repeated_acute.yaml``) — is evaluated again for that patient at that moment, on
the published run's snapshot plus the stays received since the run's cut-off. Lines the rule
gives that the department's list lacks are added to the run's list, marked as added during the
day (``ListEntry.added_at``); lines added earlier during the day that the rule no longer gives (a
stay cancelled as sent in error) are taken off again. Nightly lines are never changed.

Called by ``messaging.actions.receive`` inside the receiving transaction (a notification that
cannot be taken raises ``medcom_inbound.Invalid`` naming the element and the fix), so it is
taken whole or not at all (and exactly once: the message's key is unique among accepted ones).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from opspor import cpr as cprlib
from opspor import engines, reference, rules
from opspor.fhir import medcom
from opspor.fhir.medcom_inbound import Invalid, Problem
from opspor.store.key import pseudonym_key
from opspor.web.accounts import organisations
from opspor.web.audit import actions as audit
from opspor.web.people import publish as people_publish
from opspor.web.people.models import Person
from opspor.web.worklists import intraday_config
from opspor.web.worklists.models import IntradayStay, ListEntry, ListRun
from opspor.web.worklists.times import LOCAL, aware

ENGINE = "duckdb://"  # one person's rows: the DuckDB engine, whatever engine the nightly run used

_STATES = {"in-progress": IntradayStay.State.ADMITTED, "onleave": IntradayStay.State.ON_LEAVE,
           "finished": IntradayStay.State.DISCHARGED, "entered-in-error": IntradayStay.State.CANCELLED}


@dataclass
class Outcome:
    person: Person | None  # None: not a person opspor knows (not in the snapshot): nothing stored
    stay: IntradayStay | None = None
    run: ListRun | None = None
    added: list[ListEntry] = field(default_factory=list)
    removed: int = 0


def _naive(moment: dt.datetime | None) -> dt.datetime | None:
    """A Danish wall-clock time without offset, as the store keeps its timestamps."""
    return None if moment is None else timezone.localtime(moment, LOCAL).replace(tzinfo=None, microsecond=0)


def _latest_run() -> ListRun | None:
    return ListRun.objects.order_by("-as_of", "-published_at").first()


def _snapshot_rows(snapshot_id: str, person_key: str, departments: set[tuple[str, str]] = frozenset()):
    """The person's row and contacts from the snapshot, and each department's specialty as the
    snapshot's newest contact there records it."""
    with engines.connect(ENGINE, snapshot=snapshot_id) as snap:
        person = people_publish.read(snap, [person_key])
        contacts = snap.query("SELECT * FROM contacts WHERE person_key = ?", [person_key]).to_pylist()
        specialties = {}
        for unit, department in departments:
            row = snap.row('SELECT specialty FROM contacts WHERE hospital_unit = ? AND contact_department = ? '
                           'ORDER BY "start" DESC LIMIT 1', [unit, department])
            specialties[(unit, department)] = _specialty(unit, department, row[0] if row else None)
    return person, contacts, specialties


def _specialty(unit: str, department: str, from_snapshot: str | None) -> str | None:
    if from_snapshot:
        return from_snapshot
    return next((d.specialty for d in reference.departments() if (d.hospital_unit, d.code) == (unit, department)), None)


def _contact(stay: IntradayStay, specialty: str | None) -> dict:
    """The stay as a contact of the data contract (``config/intraday.yaml``)."""
    kind = intraday_config.config().encounter_class[stay.encounter_class]
    return {"contact_id": stay.contact_id, "person_key": stay.person.person_key, "hospital_unit": stay.hospital_unit,
            "course_department": stay.department, "contact_department": stay.department, "specialty": specialty,
            "priority": kind.priority, "contact_type": kind.contact_type, "start": _naive(stay.start),
            "end": _naive(stay.end), "action_diagnosis": None, "secondary_diagnoses": None, "procedures": None,
            "drg_value": None, "pathway": None}


def _record_stay(sender: str, person: Person, unit: str, department: str, stay: medcom.Stay,
                 activity: str) -> IntradayStay:
    values = {"person": person, "hospital_unit": unit, "department": department,
              "encounter_class": stay.encounter_class, "state": _STATES[stay.status], "start": stay.start,
              "end": stay.end if stay.status == "finished" else None, "leave_start": stay.leave_start,
              "leave_end": stay.leave_end, "last_activity": activity[:40]}
    row = IntradayStay.objects.select_for_update(of=("self",)).filter(sender=sender, episode=stay.episode).first()
    if row is None:
        return IntradayStay.objects.create(sender=sender, episode=stay.episode, **values)
    if row.person_id != person.pk:
        raise Invalid([Problem("Encounter.subject", "the stay (episodeOfCare) was notified earlier about another patient",
                               "send notifications about one stay with its own patient, or a new episodeOfCare "
                               "identifier")])
    for name, value in values.items():
        setattr(row, name, value)
    row.save()
    return row


def _stays_since_cutoff(run: ListRun, **where):
    """The stays received that started at or after the run's cut-off (earlier ones are the
    snapshot's), not cancelled."""
    cutoff = run.cutoff or aware(rules.load_repeated_acute().cutoff(run.as_of))
    return (IntradayStay.objects.select_related("person").filter(start__gte=cutoff, **where)
            .exclude(state=IntradayStay.State.CANCELLED))


def _relist(run: ListRun, person: Person, now: dt.datetime) -> tuple[list[ListEntry], int]:
    """The rule for ``person`` at ``now`` on the run's snapshot plus the stays since its
    cut-off, applied to the run's lists."""
    stays = {s.contact_id: s for s in _stays_since_cutoff(run, person=person)}
    found, contacts, specialties = _snapshot_rows(run.snapshot_id, person.person_key,
                                                  {(s.hospital_unit, s.department) for s in stays.values()})
    rows = contacts + [_contact(s, specialties[(s.hospital_unit, s.department)]) for s in stays.values()]
    key, cpr, name, *_ = found[0] if found else (person.person_key, person.cpr, person.name)
    rule_now, run_day = rules.load_repeated_acute().at_moment(_naive(now))
    with engines.connect(ENGINE, snapshot=":memory:") as engine:
        engine.populate({"persons": [{"person_key": key, "cpr": cpr, "name": name}], "contacts": rows})
        lines = rules.repeated_acute_list(engine, run_day, rule_now)
    return _apply(run, person, lines, stays, now)


def _apply(run: ListRun, person: Person, lines: list, stays: dict[str, IntradayStay], now: dt.datetime):
    """Add the lines the run's list lacks (marked ``added_at``), bring earlier intraday lines up
    to date, take off intraday lines the rule no longer gives. Nightly lines stay as published."""
    have = {(e.department_id, e.contact_id): e for e in ListEntry.objects.filter(run=run, person=person)}
    nightly = {dept for (dept, _), e in have.items() if e.added_at is None}
    position = (ListEntry.objects.filter(run=run).aggregate(n=Max("position"))["n"] or 0) + 1
    added, keep = [], set()
    for line in lines:
        department = organisations.department(line.hospital_unit, line.department)
        key = (department.pk, line.contact_id)
        keep.add(key)
        values = {"action_diagnosis": line.action_diagnosis or "", "course_department": line.course_department or "",
                  "contact_department": line.contact_department or "", "contact_start": aware(line.contact_start),
                  "contact_end": aware(line.contact_end), "counted": line.counted, "stay": stays.get(line.contact_id)}
        entry = have.get(key)
        if entry is None:
            added.append(ListEntry(run=run, department=department, person=person, position=position,
                                   contact_id=line.contact_id, new_today=department.pk not in nightly, added_at=now,
                                   **values))
            position += 1
        elif entry.added_at is not None:
            for name, value in values.items():
                setattr(entry, name, value)
            entry.save()
    ListEntry.objects.bulk_create(added)
    gone = [e.pk for k, e in have.items() if e.added_at is not None and k not in keep]
    ListEntry.objects.filter(pk__in=gone).delete()
    return added, len(gone)


def notify(actor, *, sender: str, hospital_unit: str, department: str, cpr: str, stay: medcom.Stay,
           activity: str) -> Outcome:
    """A HospitalNotification from ``sender`` (``kind:code``) about ``cpr``'s ``stay`` at
    ``hospital_unit``/``department``. Call inside a transaction; audited as ``actor``."""
    if stay.encounter_class not in intraday_config.config().encounter_class:
        conf = intraday_config.config()
        raise Invalid([Problem("Encounter.class", f"class {stay.encounter_class!r} is not one opspor knows how to "
                               f"count ({', '.join(conf.encounter_class)})", f"use one of them, or the region adds the "
                               f"class to encounter_class in {conf.file}")])
    person_key = cprlib.pseudonym(cpr, pseudonym_key())
    run = _latest_run()
    person = Person.objects.filter(person_key=person_key).first()
    if person is None and run is not None:
        found = _snapshot_rows(run.snapshot_id, person_key)[0]
        if found:
            person = people_publish.upsert(found, run.snapshot_id)[person_key]
    if person is None:  # not in the snapshot: opspor keeps no data about the person
        return Outcome(None)
    row = _record_stay(sender, person, hospital_unit, department, stay, activity)
    outcome = Outcome(person, row, run)
    if run is not None:
        outcome.added, outcome.removed = _relist(run, person, timezone.now())
    audit.record(actor, audit.Event.LISTS_INTRADAY, action=audit.CHANGE, why=_("Hospital notification received"),
                 persons=[person.person_key],
                 detail={"run": run.run_id if run else None, "stay": row.pk, "state": row.state, "activity": activity,
                         "department": f"{hospital_unit}/{department}", "added": len(outcome.added),
                         "removed": outcome.removed,
                         "lists": sorted({e.department.code for e in outcome.added})})
    return outcome


def carry_over(actor, run: ListRun) -> int:
    """A new run was published: the stays received that started at or after its cut-off are not
    in its snapshot's view, so their patients' lines are added to it as during the day. Returns
    the lines added; audited as ``actor`` (one entry, the persons named)."""
    persons = {s.person_id: s.person for s in _stays_since_cutoff(run)}
    now, added = timezone.now(), 0
    for person in persons.values():
        added += len(_relist(run, person, now)[0])
    if persons:
        audit.record(actor, audit.Event.LISTS_INTRADAY, action=audit.CHANGE,
                     why=_("Stays received during the day carried into the new lists run"),
                     persons=sorted(p.person_key for p in persons.values()),
                     detail={"run": run.run_id, "persons": len(persons), "added": added})
    return added
