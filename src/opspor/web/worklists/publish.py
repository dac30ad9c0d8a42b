"""``opspor web publish``: put a stored lists run into the web app's database.

Reads the run's machine-readable files (``data/lines.parquet``, ``data/eligibility.parquet``),
fetches the listed and eligible persons from the run's snapshot, and publishes in one
transaction: a run is published whole, with its audit entries, or not at all, and publishing the
same run again changes nothing. Each app writes its own tables: the persons through
``people.publish``, the list entries here, the programme's pool through ``aps.publish`` (which
writes its own audit entry). The actor is the system (``opspor web publish``); the entries name
the run and the counts, not each person (a publication is nobody's look at a person).

List entries are kept for every run, since they are the history of the departments' lists.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from django.db import transaction
from django.utils.translation import gettext as _

from opspor import engines
from opspor.lists import export_parquet, runs
from opspor.rules import explain, load_repeated_acute, reference_engine
from opspor.web.accounts import organisations
from opspor.web.aps import publish as aps_publish
from opspor.web.audit import actions as audit
from opspor.web.people import publish as people_publish
from opspor.web.worklists.models import ListEntry, ListRun
from opspor.web.worklists.times import aware

PUBLISHER = audit.system("opspor web publish")


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


def _explanations(con, lines: list[dict], record: dict) -> dict[str, tuple[str, list]]:
    """contact_id -> (hospital unit, why it does not count) for every line, computed with the
    shipped rule when it is the rule the run used (its sha256 in run.json); otherwise only the
    hospital units (an explanation by another rule could contradict the list)."""
    if not lines or not record.get("cutoff"):
        return {}
    cutoff = dt.datetime.fromisoformat(record["cutoff"])
    con.register("listed", pa.table({"person_key": sorted({r["person_key"] for r in lines})}))
    history: dict[str, list[reference_engine.Contact]] = {}
    query = f"SELECT {reference_engine.CONTACT_COLUMNS} FROM contacts JOIN listed USING (person_key) WHERE start < ?"
    for row in con.rows(query, [cutoff]):
        contact = reference_engine.contact_of(row)
        history.setdefault(contact.person_key, []).append(contact)
    rule = load_repeated_acute()
    same_rule = rule.info.digest == record.get("rules", {}).get("repeated_acute", {}).get("sha256")
    out = {}
    wanted = {r["contact_id"] for r in lines}
    for contacts in history.values():
        for c in (c for c in contacts if c.contact_id in wanted):
            why = [u.as_list() for u in explain.not_counted(rule, c, cutoff, contacts)] if same_rule else []
            out[c.contact_id] = (c.hospital_unit or "", why)
    return out


def _read_snapshot(snapshot_id: str, keys: list[str], eligible_keys: list[str], as_of: dt.date,
                   lines: list[dict], record: dict):
    """The persons of ``keys``, the eligible persons' acute admissions and the lines'
    explanations, from the snapshot."""
    with engines.connect(snapshot=snapshot_id) as con:
        return (people_publish.read(con, keys), aps_publish.acute_admissions(con, eligible_keys, as_of),
                _explanations(con, lines, record))


def publish(run_id: str | None = None, actor=PUBLISHER) -> Published:
    """Publish stored run ``run_id`` (default: the newest); audited as ``actor``."""
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
    person_rows, admissions, explained = _read_snapshot(
        snapshot_id, keys, sorted({r["person_key"] for r in eligibility}), as_of, lines, record)
    with transaction.atomic():
        persons = people_publish.upsert(person_rows, snapshot_id)
        run = ListRun.objects.create(
            run_id=run_id, as_of=as_of, snapshot_id=snapshot_id, rules=record.get("rules", {}),
            cutoff=aware(dt.datetime.fromisoformat(record["cutoff"])) if record.get("cutoff") else None,
        )
        departments = {}
        entries = []
        for position, line in enumerate(lines):
            dept_key = (line["hospital_unit"], line["department"])
            unit, why = explained.get(line["contact_id"], ("", []))
            if dept_key not in departments:
                departments[dept_key] = organisations.department(*dept_key)
            entries.append(ListEntry(
                run=run, department=departments[dept_key], person=persons[line["person_key"]],
                position=position, contact_id=line["contact_id"],
                action_diagnosis=line["action_diagnosis"] or "", course_department=line["course_department"] or "",
                contact_department=line["contact_department"] or "",
                contact_start=aware(line["contact_start"]), contact_end=aware(line["contact_end"]),
                counted=line["counted"], new_today=line["new_today"], hospital_unit=unit,
                not_counted=[] if line["counted"] else why,
            ))
        ListEntry.objects.bulk_create(entries, batch_size=2000)
        aps_publish.replace_pool(actor, run, eligibility, persons, admissions)
        from opspor.web.worklists import intraday  # it uses this module: imported when needed

        intraday.carry_over(actor, run)  # stays notified since the new run's cut-off
        audit.record(actor, audit.Event.LISTS_PUBLISH, action=audit.CHANGE, why=_("Lists run published"),
                     detail={"run": run_id, "as_of": as_of.isoformat(), "snapshot": snapshot_id,
                             "entries": len(entries), "persons": len(persons)})
    return Published(run_id, as_of, already=False, entries=len(entries), eligible=len(eligibility),
                     persons=len(persons))
