"""``opspor web publish``: put a stored lists run into the web app's database.

Reads the run's machine-readable files (``data/lines.parquet``, ``data/eligibility.parquet``),
fetches the listed and eligible persons from the run's snapshot, and writes persons, list
entries and eligibility in one transaction: a run is published whole or not at all, and
publishing the same run again changes nothing.

Eligibility is kept for the newest published run only (it is the programme lead's current
pool; older pools can be re-made from their snapshots); list entries are kept for every run,
since they are the history of the departments' lists.
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from django.db import transaction

from opspor.lists import export_parquet, runs
from opspor.store import SnapshotStore
from opspor.web.accounts import organisations
from opspor.web.aps.models import EligibilityEntry
from opspor.web.people.models import Person
from opspor.web.worklists.models import ListEntry, ListRun

LOCAL = zoneinfo.ZoneInfo("Europe/Copenhagen")
PERSON_FIELDS = ("cpr", "name", "birth_date", "sex", "municipality_code", "region_code",
                 "gp_provider_number", "residence_type", "death_date", "snapshot_id")


class PublishError(Exception):
    """The run cannot be published; the message says why and what to do."""


@dataclass(frozen=True)
class Published:
    run_id: str
    as_of: dt.date
    already: bool
    entries: int = 0
    eligible: int = 0
    persons: int = 0


def _run_record(run_id: str | None) -> dict:
    folder = runs.runs_dir()
    if run_id is None:
        ids = sorted(p.name for p in folder.iterdir() if (p / runs.RUN_FILE).is_file()) if folder.exists() else []
        if not ids:
            raise PublishError("No lists run is stored yet. Run `opspor lists run` first.")
        run_id = ids[-1]
    path = folder / run_id / runs.RUN_FILE
    if not path.is_file():
        raise PublishError(f"No stored lists run {run_id!r} in {folder}. `opspor lists runs` shows them.")
    return json.loads(path.read_text(encoding="utf-8"))


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """The store's timestamps are Danish wall-clock times without offset."""
    return None if value is None else value.replace(tzinfo=LOCAL)


def _persons_and_counts(snapshot_id: str, keys: list[str], eligible_keys: list[str], as_of: dt.date):
    """Person rows of ``keys`` and acute admissions (>= 12 h) in the year before ``as_of``."""
    con = SnapshotStore().connect(snapshot_id)
    try:
        con.register("wanted", pa.table({"person_key": keys}))
        persons = con.execute("""
            SELECT p.person_key, i.cpr, i.name, p.birth_date, p.sex, p.municipality_code, p.region_code,
                   p.gp_provider_number, p.residence_type, p.death_date
            FROM persons p JOIN wanted USING (person_key) LEFT JOIN identity i USING (person_key)
        """).fetchall()
        con.register("eligible", pa.table({"person_key": eligible_keys}))
        start = dt.datetime.combine(as_of - dt.timedelta(days=365), dt.time())
        cutoff = dt.datetime.combine(as_of, dt.time())
        counts = dict(con.execute("""
            SELECT c.person_key, count(*) FROM contacts c JOIN eligible USING (person_key)
            WHERE c.priority = 'acute' AND c.start >= ? AND c.start < ?
              AND coalesce(c."end", ?) - c.start >= INTERVAL 12 HOUR
            GROUP BY c.person_key
        """, [start, cutoff, cutoff]).fetchall())
    finally:
        con.close()
    return persons, counts


def publish(run_id: str | None = None) -> Published:
    """Publish stored run ``run_id`` (default: the newest)."""
    record = _run_record(run_id)
    run_id, as_of = record["run_id"], dt.date.fromisoformat(record["as_of"])
    if ListRun.objects.filter(run_id=run_id).exists():
        return Published(run_id, as_of, already=True)
    out = Path(record["out_dir"])
    try:
        lines = pq.read_table(out / export_parquet.LINES_FILE).to_pylist()
        eligibility = pq.read_table(out / export_parquet.ELIGIBILITY_FILE).to_pylist()
    except FileNotFoundError as e:
        raise PublishError(f"The run {run_id} has no machine-readable files ({e.filename}); it was made "
                           "by an older opspor. Run `opspor lists run` again and publish that run.") from None
    snapshot_id = record["snapshot_id"]
    keys = sorted({r["person_key"] for r in lines} | {r["person_key"] for r in eligibility})
    person_rows, admissions = _persons_and_counts(
        snapshot_id, keys, sorted({r["person_key"] for r in eligibility}), as_of)
    with transaction.atomic():
        persons = _upsert_persons(person_rows, snapshot_id)
        run = ListRun.objects.create(
            run_id=run_id, as_of=as_of, snapshot_id=snapshot_id, rules=record.get("rules", {}),
            cutoff=_aware(dt.datetime.fromisoformat(record["cutoff"])) if record.get("cutoff") else None,
        )
        departments = {}
        entries = []
        for position, line in enumerate(lines):
            dept_key = (line["hospital_unit"], line["department"])
            if dept_key not in departments:
                departments[dept_key] = organisations.department(*dept_key)
            entries.append(ListEntry(
                run=run, department=departments[dept_key], person=persons[line["person_key"]],
                position=position, contact_id=line["contact_id"],
                action_diagnosis=line["action_diagnosis"] or "", course_department=line["course_department"] or "",
                contact_department=line["contact_department"] or "",
                contact_start=_aware(line["contact_start"]), contact_end=_aware(line["contact_end"]),
                counted=line["counted"], new_today=line["new_today"],
            ))
        ListEntry.objects.bulk_create(entries, batch_size=2000)
        EligibilityEntry.objects.exclude(run=run).delete()
        EligibilityEntry.objects.bulk_create([
            EligibilityEntry(run=run, person=persons[r["person_key"]], region_code=r["region_code"] or "",
                             municipality_code=r["municipality_code"] or "", routes=r["routes"],
                             excluded=r["excluded"], exclusion_reasons=r["exclusion_reasons"],
                             acute_admissions_12m=admissions.get(r["person_key"], 0))
            for r in eligibility
        ], batch_size=2000)
    return Published(run_id, as_of, already=False, entries=len(entries), eligible=len(eligibility),
                     persons=len(persons))


def _persons_by_key(keys: list[str], chunk: int = 5000) -> dict[str, Person]:
    """Persons by key, in chunks (SQLite limits the number of parameters of one query)."""
    out: dict[str, Person] = {}
    for i in range(0, len(keys), chunk):
        out.update((p.person_key, p) for p in Person.objects.filter(person_key__in=keys[i:i + chunk]))
    return out


def _upsert_persons(rows: list[tuple], snapshot_id: str) -> dict[str, Person]:
    existing = _persons_by_key([r[0] for r in rows])
    new, changed = [], []
    for key, cpr, name, birth, sex, muni, region, gp, residence, death in rows:
        values = {"cpr": cpr or "", "name": name or "", "birth_date": birth, "sex": sex or "",
                  "municipality_code": muni or "", "region_code": region or "",
                  "gp_provider_number": gp or "", "residence_type": residence or "",
                  "death_date": death, "snapshot_id": snapshot_id}
        person = existing.get(key)
        if person is None:
            new.append(Person(person_key=key, **values))
        else:
            for field, value in values.items():
                setattr(person, field, value)
            changed.append(person)
    Person.objects.bulk_create(new, batch_size=2000)
    Person.objects.bulk_update(changed, PERSON_FIELDS, batch_size=2000)
    return _persons_by_key([r[0] for r in rows])
