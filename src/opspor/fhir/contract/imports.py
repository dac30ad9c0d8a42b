"""FHIR files -> a drop in the contract's shape (persons, contacts) that ``opspor ingest`` accepts.

All-or-nothing: every resource is validated with its ``fhir.resources`` model and read through
``mapping``; the rows are staged in a DuckDB file inside a temporary folder next to the output,
references are resolved there (resources in any order, across files), and only when nothing is
wrong is the folder renamed to the output. Structural problems (invalid FHIR, an unknown
resource type, no CPR number, a reference to a resource not in the input, a code without the
expected system, ...) refuse the whole import with their places; values FHIR holds but the
contract does not allow are written as they are, for ``opspor ingest`` to judge per line.
"""

from __future__ import annotations

import re
import shutil
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from opspor.contract import CONTACTS, PERSONS
from opspor.cpr import mask as mask_cpr
from opspor.fhir.contract import fast
from opspor.fhir.contract import mapping as m
from opspor.fhir.contract.sources import Item, input_files, read_items
from opspor.ingest.report import Problem
from opspor.ingest.sql import lit
from opspor.store.schema import ident

MAX_PROBLEMS = 50  # problems listed; the rest are counted
FLUSH_ROWS = 20_000
FORMATS = ("csv", "parquet")

PATIENT_COLUMNS = ("rid", "place", *(c.name for c in PERSONS.columns))
ENCOUNTER_COLUMNS = (
    "rid", "place", "subject_ref", "subject_cpr", "skipped",
    *(c.name for c in CONTACTS.columns if c.name not in
      ("cpr", "action_diagnosis", "secondary_diagnoses", "procedures")),
)
CODE_COLUMNS = ("rid", "place", "subject_ref", "subject_cpr", "enc_ref", "enc_contact_id", "code", "kind", "skipped")
TABLES = {
    "patients": PATIENT_COLUMNS,
    "encounters": ENCOUNTER_COLUMNS,
    "conditions": CODE_COLUMNS,
    "procedures": CODE_COLUMNS,
    "res_keys": ("type", "key", "rid", "place"),
    "enc_diag": ("enc_rid", "ref", "rank"),
}
INTEGER = {"rid", "enc_rid", "rank"}
BOOLEAN = {"skipped"}
_SCHEMAS = {
    table: pa.schema([(c, pa.int64() if c in INTEGER else pa.bool_() if c in BOOLEAN else pa.string()) for c in columns])
    for table, columns in TABLES.items()
}


@dataclass(frozen=True)
class ImportOptions:
    out_format: str = "csv"
    contact_id_system: str = m.CONTACT_ID_SYSTEM
    skip_other_types: bool = False
    full_validation: bool = False  # every resource through the full fhir.resources model (slow)


@dataclass
class ImportResult:
    out: Path
    read: Counter = field(default_factory=Counter)  # resources read, by type
    left_out: Counter = field(default_factory=Counter)  # by reason
    persons: int = 0
    contacts: int = 0
    notes: list[str] = field(default_factory=list)


class ImportRefused(Exception):
    def __init__(self, problems: list[Problem], total: int):
        super().__init__(f"{total} problem(s)")
        self.problems, self.total = problems, total


class _Problems:
    def __init__(self):
        self.listed: list[Problem] = []
        self.total = 0

    def add(self, place: str, message: str, fix: str) -> None:
        self.total += 1
        if len(self.listed) < MAX_PROBLEMS:
            self.listed.append(Problem(mask_cpr(place), mask_cpr(message), fix))


def run_import(paths: list[Path], out: Path, options: ImportOptions = ImportOptions()) -> ImportResult:
    problems = _Problems()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ImportRefused([Problem(str(out), "the output folder exists and is not empty",
                                     "name a new folder for the drop (it is created)")], 1)
    files, file_problems = input_files(paths)
    for p in file_problems:
        problems.add(p.place, p.message, p.fix)
    if problems.total:
        raise ImportRefused(problems.listed, problems.total)
    out.parent.mkdir(parents=True, exist_ok=True)
    work = out.parent / f".{out.name}.partial-{uuid.uuid4().hex[:8]}"
    work.mkdir()
    try:
        result = ImportResult(out)
        con = duckdb.connect(str(work / "_staging.duckdb"))
        try:
            _create_tables(con)
            stager = _Stager(con, options, problems, result)
            for path, kind in files:
                for item in read_items(path, kind):
                    stager.add(item)
            stager.flush()
            if not problems.total:
                _resolve(con, problems, result)
            if problems.total:
                raise ImportRefused(problems.listed, problems.total)
            _write(con, work, options.out_format, result)
        finally:
            con.close()
        (work / "_staging.duckdb").unlink()
        if out.exists():
            out.rmdir()  # empty, checked above
        work.rename(out)
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _create_tables(con) -> None:
    for table, columns in TABLES.items():
        cols = ", ".join(
            f"{ident(c)} {'BIGINT' if c in INTEGER else 'BOOLEAN' if c in BOOLEAN else 'VARCHAR'}" for c in columns)
        con.execute(f"CREATE TABLE {table} ({cols})")


_ABSOLUTE = re.compile(r"^https?://.+/(Patient|Encounter|Condition|Procedure)/([A-Za-z0-9\-.]{1,64})(/_history/.*)?$")


def _ref_key(reference: str) -> str:
    """A reference in the form resources are keyed by: ``urn:uuid:..`` or ``Type/id``."""
    match = _ABSOLUTE.match(reference)
    if match:
        return f"{match.group(1)}/{match.group(2)}"
    return reference.split("/_history/")[0]


class _Stager:
    """Validates and maps each resource, buffering rows for the staging tables."""

    def __init__(self, con, options: ImportOptions, problems: _Problems, result: ImportResult):
        self.con, self.options, self.problems, self.result = con, options, problems, result
        self.rows: dict[str, list[dict]] = {t: [] for t in TABLES}
        self.rid = 0
        self.buffered = 0  # rows in self.rows, about

    def add(self, item: Item) -> None:
        if item.problem:
            self.problems.add(item.problem.place, item.problem.message, item.problem.fix)
            return
        res = item.resource
        rtype = res.get("resourceType")
        model = m.MODELS.get(rtype) if isinstance(rtype, str) else None
        if model is None:
            if self.options.skip_other_types and isinstance(rtype, str) and rtype:
                self.result.left_out[f"other resource type ({rtype})"] += 1
                return
            self.problems.add(
                f"{item.place} (resourceType)",
                f"unknown resource type {rtype!r}" if rtype else "no resourceType",
                f"give only {', '.join(m.MODELS)} resources, or pass --skip-other-types to leave others out",
            )
            return
        if not self._valid(res, rtype, model, item.place):
            return
        self.rid += 1
        self.result.read[rtype] += 1
        try:
            getattr(self, f"_{rtype.lower()}")(res, item.place)
        except m.Unmappable as error:
            self.problems.add(f"{item.place} ({error.path})", error.message, error.fix)
            return
        except (KeyError, TypeError, ValueError, AttributeError) as error:  # a shape the mapping did not foresee
            self.problems.add(f"{item.place} ({rtype})", f"cannot be read as the data contract ({type(error).__name__})",
                              "compare the resource with docs/fhir-import.md and report it if it is valid there")
            return
        keys = {f"{rtype}/{res['id']}"} if res.get("id") else set()
        if item.full_url:
            keys.add(item.full_url)
            keys.add(_ref_key(item.full_url))
        for key in keys:
            self.rows["res_keys"].append({"type": rtype, "key": key, "rid": self.rid, "place": item.place})
        self.buffered += len(keys) + 1
        if self.buffered >= FLUSH_ROWS:
            self.flush()

    def _valid(self, res: dict, rtype: str, model, place: str) -> bool:
        problems = fast.validate(res, model, full=self.options.full_validation)
        for element, message in problems:
            self.problems.add(f"{place} ({element})", f"invalid {rtype}: {message}",
                              f"correct the element so the resource is valid FHIR R4 {rtype}")
        return not problems

    def _reference(self, res: dict, element: str, rtype: str, system: str) -> tuple[str | None, str | None]:
        """(key, logical id) of a reference: literal, or logical by an identifier with ``system``."""
        ref = res.get(element)
        if not ref:
            raise m.Unmappable(f"{res['resourceType']}.{element}", f"no reference to the {rtype}",
                               f"refer to the {rtype} by id (\"{rtype}/<id>\") or by its Bundle fullUrl")
        if ref.get("reference"):
            return _ref_key(ref["reference"]), None
        identifier = ref.get("identifier") or {}
        if identifier.get("system") == system and identifier.get("value"):
            return None, identifier["value"]
        raise m.Unmappable(f"{res['resourceType']}.{element}", f"the reference names no {rtype} this import can find",
                           f"refer by \"{rtype}/<id>\", a Bundle fullUrl, or an identifier with system {system}")

    def _patient(self, res: dict, place: str) -> None:
        self.rows["patients"].append({"rid": self.rid, "place": place, **m.patient_row(res)})

    def _encounter(self, res: dict, place: str) -> None:
        row, from_id = m.encounter_row(res, self.options.contact_id_system)
        subject_ref, subject_cpr = self._reference(res, "subject", "Patient", m.CPR_SYSTEM)
        skipped = m.status_skipped(res)
        if skipped:
            self.result.left_out[f"Encounter with status {res.get('status')}"] += 1
        elif from_id:
            self.result.left_out["_contact id from Encounter.id"] += 1
        self.rows["encounters"].append({"rid": self.rid, "place": place, "subject_ref": subject_ref,
                                        "subject_cpr": subject_cpr, "skipped": skipped, **row})
        for diagnosis in res.get("diagnosis") or ():
            ref = (diagnosis.get("condition") or {}).get("reference")
            if ref:
                self.rows["enc_diag"].append({"enc_rid": self.rid, "ref": _ref_key(ref), "rank": diagnosis.get("rank")})

    def _coded(self, table: str, res: dict, place: str, row: dict) -> None:
        subject_ref, subject_cpr = self._reference(res, "subject", "Patient", m.CPR_SYSTEM)
        enc_ref, enc_contact_id = self._reference(res, "encounter", "Encounter", self.options.contact_id_system)
        skipped = m.status_skipped(res)
        if skipped:
            self.result.left_out[f"{res['resourceType']} entered in error / not done"] += 1
        self.rows[table].append({"rid": self.rid, "place": place, "subject_ref": subject_ref,
                                 "subject_cpr": subject_cpr, "enc_ref": enc_ref, "enc_contact_id": enc_contact_id,
                                 "code": row["code"], "kind": row.get("kind"), "skipped": skipped})

    def _condition(self, res: dict, place: str) -> None:
        self._coded("conditions", res, place, m.condition_row(res))

    def _procedure(self, res: dict, place: str) -> None:
        self._coded("procedures", res, place, m.procedure_row(res))

    def flush(self) -> None:
        for table, rows in self.rows.items():
            if not rows:
                continue
            self.con.register("_batch", pa.Table.from_pylist(rows, schema=_SCHEMAS[table]))
            self.con.execute(f"INSERT INTO {table} SELECT * FROM _batch")
            self.con.unregister("_batch")
            rows.clear()
        self.buffered = 0


def _report(con, problems: _Problems, sql: str, message, fix: str) -> None:
    """Add a problem for each row of ``sql`` (place, detail); ``message`` formats the detail."""
    for place, detail in con.execute(f"{sql} LIMIT {MAX_PROBLEMS}").fetchall():
        problems.add(place, message(detail), fix)


def _resolve(con, problems: _Problems, result: ImportResult) -> None:
    """Resolve references to patients and encounters; every dangling one is a problem."""
    _report(con, problems, """
        SELECT list(place ORDER BY rid)[2], type || ' ' || key || ', first at ' || list(place ORDER BY rid)[1]
        FROM res_keys GROUP BY type, key HAVING count(DISTINCT rid) > 1 ORDER BY min(rid)""",
            lambda d: f"the same resource id or fullUrl twice: {d}",
            "give every resource its own id (and fullUrl); leave out repeated resources")
    if problems.total:
        return
    con.execute("""
        CREATE TABLE enc AS
        SELECT e.*, coalesce(p.cpr, e.subject_cpr) AS cpr, e.subject_ref IS NOT NULL AND p.rid IS NULL AS dangling
        FROM encounters e
        LEFT JOIN res_keys k ON k.type = 'Patient' AND k.key = e.subject_ref
        LEFT JOIN patients p ON p.rid = k.rid""")
    _report(con, problems, "SELECT place || ' (Encounter.subject)', subject_ref FROM enc WHERE dangling ORDER BY rid",
            lambda ref: f"the reference {ref!r} matches no Patient in the input",
            "include the Patient (in any of the files, in any order) or correct the reference")
    for table, rtype in (("conditions", "Condition"), ("procedures", "Procedure")):
        con.execute(f"""
            CREATE TABLE {table}_r AS
            SELECT c.*, coalesce(e.rid, el.rid) AS enc_rid, coalesce(e.skipped, el.skipped) AS enc_skipped,
                   coalesce(e.cpr, el.cpr) AS enc_cpr, coalesce(p.cpr, c.subject_cpr) AS subject_cpr_r,
                   c.subject_ref IS NOT NULL AND p.rid IS NULL AS subject_dangling
            FROM {table} c
            LEFT JOIN res_keys ke ON ke.type = 'Encounter' AND ke.key = c.enc_ref
            LEFT JOIN enc e ON e.rid = ke.rid
            LEFT JOIN (SELECT contact_id, any_value(rid) AS rid, any_value(skipped) AS skipped,
                              any_value(cpr) AS cpr FROM enc GROUP BY contact_id) el
                   ON c.enc_ref IS NULL AND el.contact_id = c.enc_contact_id
            LEFT JOIN res_keys kp ON kp.type = 'Patient' AND kp.key = c.subject_ref
            LEFT JOIN patients p ON p.rid = kp.rid""")
        _report(con, problems, f"""
            SELECT place || ' ({rtype}.encounter)', coalesce(enc_ref, enc_contact_id) FROM {table}_r
            WHERE enc_rid IS NULL ORDER BY rid""",
                lambda ref: f"the reference {ref!r} matches no Encounter in the input",
                "include the Encounter (in any of the files, in any order) or correct the reference")
        _report(con, problems, f"""
            SELECT place || ' ({rtype}.subject)', subject_ref FROM {table}_r WHERE subject_dangling ORDER BY rid""",
                lambda ref: f"the reference {ref!r} matches no Patient in the input",
                "include the Patient or correct the reference")
        _report(con, problems, f"""
            SELECT place || ' ({rtype}.subject)', NULL FROM {table}_r
            WHERE enc_rid IS NOT NULL AND NOT subject_dangling AND subject_cpr_r IS DISTINCT FROM enc_cpr ORDER BY rid""",
                lambda _: "the subject is not the patient of the Encounter it refers to",
                "refer to the same Patient as the Encounter does")
    if problems.total:
        return
    # A Condition without opspor's diagnosis kind: rank 1 in its Encounter's diagnosis list is the
    # action diagnosis, another rank a secondary one.
    con.execute("""
        UPDATE conditions_r c SET kind = CASE WHEN d.rank = 1 THEN 'action' ELSE 'secondary' END
        FROM res_keys k JOIN enc_diag d ON d.ref = k.key
        WHERE c.kind IS NULL AND k.rid = c.rid AND d.enc_rid = c.enc_rid""")
    _report(con, problems, "SELECT place || ' (Condition.category)', NULL FROM conditions_r WHERE kind IS NULL ORDER BY rid",
            lambda _: "the diagnosis kind (action or secondary) is not given",
            f"add a category coding with system {m.DIAGNOSIS_KIND_SYSTEM} (action / secondary), or list the "
            "Condition in Encounter.diagnosis with rank 1 for the action diagnosis")
    _report(con, problems, """
        SELECT e.place || ' (Encounter)', count(*) FROM conditions_r c JOIN enc e ON e.rid = c.enc_rid
        WHERE c.kind = 'action' AND NOT c.skipped GROUP BY e.place, e.rid HAVING count(*) > 1 ORDER BY e.rid""",
            lambda n: f"the contact has {n} action diagnoses; the contract has one",
            "mark one Condition of the contact as the action diagnosis, the others as secondary")
    for table, rtype in (("conditions", "Condition"), ("procedures", "Procedure")):
        n = con.execute(f"SELECT count(*) FROM {table}_r WHERE enc_skipped AND NOT skipped").fetchone()[0]
        if n:
            result.left_out[f"{rtype} of a left-out Encounter"] += n


def _write(con, folder: Path, fmt: str, result: ImportResult) -> None:
    person_cols = ", ".join(ident(c.name) for c in PERSONS.columns)
    contacts = """
        SELECT e.contact_id, e.cpr, e.hospital_unit, e.course_department, e.contact_department, e.specialty,
               e.priority, e.contact_type, e.start, e."end", a.code AS action_diagnosis,
               s.codes AS secondary_diagnoses, pr.codes AS procedures, e.drg_value, e.pathway
        FROM enc e
        LEFT JOIN (SELECT enc_rid, min(code) AS code FROM conditions_r WHERE kind = 'action' AND NOT skipped
                   GROUP BY enc_rid) a ON a.enc_rid = e.rid
        LEFT JOIN (SELECT enc_rid, string_agg(code, ';' ORDER BY rid) AS codes FROM conditions_r
                   WHERE kind = 'secondary' AND NOT skipped GROUP BY enc_rid) s ON s.enc_rid = e.rid
        LEFT JOIN (SELECT enc_rid, string_agg(code, ';' ORDER BY rid) AS codes FROM procedures_r
                   WHERE NOT skipped GROUP BY enc_rid) pr ON pr.enc_rid = e.rid
        WHERE NOT e.skipped ORDER BY e.rid"""
    options = "FORMAT parquet" if fmt == "parquet" else "FORMAT csv, HEADER true, DELIMITER ','"
    for name, sql in (("persons", f"SELECT {person_cols} FROM patients ORDER BY rid"), ("contacts", contacts)):
        con.execute(f"COPY ({sql}) TO {lit(str(folder / f'{name}.{fmt}'))} ({options})")
    result.persons = con.execute("SELECT count(*) FROM patients").fetchone()[0]
    result.contacts = con.execute("SELECT count(*) FROM enc WHERE NOT skipped").fetchone()[0]
    from_id = result.left_out.pop("_contact id from Encounter.id", 0)
    if from_id:
        result.notes.append(f"{from_id:,} Encounter(s) have no contact id identifier: Encounter.id is used as contact_id")
