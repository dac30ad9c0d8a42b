"""A drop (persons, contacts as CSV or Parquet) -> FHIR NDJSON or Bundle files.

Streams: CSV rows are read one at a time (Python's csv module, which also gives each row's line),
Parquet in record batches, and every resource is written as soon as it is built, so memory does
not grow with the drop. Each resource is validated through its ``fhir.resources`` model before
it is written. All-or-nothing: the files are written to a temporary folder renamed at the end.

Resource ids are keyed hashes (``mapping.resource_id``) of the CPR number / contact id, so a
resource's URL never shows a CPR number and the same drop gives the same files.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import msgspec
import pyarrow.parquet as pq

from opspor.contract import CONTACTS, PERSONS
from opspor.cpr import mask as mask_cpr
from opspor.fhir.contract import fast
from opspor.fhir.contract import mapping as m
from opspor.ingest.drop import DropFileRef, find_drop
from opspor.ingest.read import check_columns
from opspor.ingest.report import Problem
from opspor.store.key import pseudonym_key

NDJSON, BUNDLE = "ndjson", "bundle"
COLLECTION, TRANSACTION = "collection", "transaction"
MAX_PROBLEMS = 50
BATCH_ROWS = 10_000
_ENCODER = msgspec.json.Encoder(decimal_format="number")  # DRG values as JSON numbers, exact


@dataclass(frozen=True)
class ExportOptions:
    fmt: str = NDJSON
    bundle_type: str = COLLECTION
    per_file: int = 1000  # Bundle entries per file (a contact's resources stay in one Bundle)
    full_validation: bool = False  # every resource through the full fhir.resources model (slow)


@dataclass
class ExportResult:
    out: Path
    resources: Counter = field(default_factory=Counter)
    files: list[str] = field(default_factory=list)


class ExportRefused(Exception):
    def __init__(self, problems: list[Problem], total: int):
        super().__init__(f"{total} problem(s)")
        self.problems, self.total = problems, total


def run_export(drop_dir: Path, out: Path, options: ExportOptions = ExportOptions()) -> ExportResult:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExportRefused([Problem(str(out), "the output folder exists and is not empty",
                                     "name a new folder for the FHIR files (it is created)")], 1)
    drop = find_drop(drop_dir)
    if drop.problems:
        raise ExportRefused(drop.problems, len(drop.problems))
    out.parent.mkdir(parents=True, exist_ok=True)
    work = out.parent / f".{out.name}.partial-{uuid.uuid4().hex[:8]}"
    work.mkdir()
    try:
        result = ExportResult(out)
        key = m.id_key(pseudonym_key())
        problems: list[Problem] = []
        total = 0
        writer = _NdjsonWriter(work) if options.fmt == NDJSON else _BundleWriter(work, options)
        with writer:
            for spec in (PERSONS, CONTACTS):
                for place, row in _rows(drop.files[spec.name]):
                    try:
                        group = _resources(spec.name, row, key, local_refs=options.fmt == BUNDLE,
                                           full_validation=options.full_validation)
                    except m.BadValue as error:
                        total += 1
                        if len(problems) < MAX_PROBLEMS:
                            problems.append(Problem(f"{place} column {error.column}", mask_cpr(error.message),
                                                    "correct the value so the drop passes `opspor ingest`"))
                        continue
                    except _Invalid as error:
                        total += 1
                        if len(problems) < MAX_PROBLEMS:
                            problems.append(Problem(f"{place} ({error.where})", mask_cpr(error.message),
                                                    "correct the row so the drop passes `opspor ingest`"))
                        continue
                    if not total:
                        writer.write(group)
                        result.resources.update(rtype for rtype, _, _ in group)
        if total:
            raise ExportRefused(problems, total)
        result.files = sorted(p.name for p in work.iterdir())
        if out.exists():
            out.rmdir()
        work.rename(out)
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


class _Invalid(Exception):
    def __init__(self, where: str, message: str):
        super().__init__(message)
        self.where, self.message = where, message


def _resources(file: str, row: dict, key: bytes, *, local_refs: bool,
               full_validation: bool) -> list[tuple[str, str, str]]:
    """One persons row -> [Patient]; one contacts row -> [Encounter, Condition..., Procedure...],
    each validated (``fast.validate``): (type, id, JSON)."""
    pid = m.resource_id(key, "Patient", m.normalise_cpr(row["cpr"] or ""))
    if file == "persons":
        dicts = [m.patient(row, pid)]
    else:
        eid = m.resource_id(key, "Encounter", row["contact_id"] or "")
        dicts = m.contact_resources(row, eid, pid, local_refs=local_refs)
    out = []
    for d in dicts:
        problems = fast.validate(d, m.MODELS[d["resourceType"]], full=full_validation)
        if problems:
            raise _Invalid(problems[0][0], f"cannot be written as FHIR: {problems[0][1]}")
        # The dict is already in FHIR's JSON form; msgspec is ~10x faster than the model's serialiser.
        out.append((d["resourceType"], d["id"], _ENCODER.encode(d).decode()))
    return out


def _rows(ref: DropFileRef) -> Iterator[tuple[str, dict]]:
    names = [c.name for c in ref.spec.columns]
    if ref.format == "parquet":
        parquet = pq.ParquetFile(ref.path)
        found = parquet.schema_arrow.names
        _check_header(ref, found)
        number = 0
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=[n for n in names if n in found]):
            for values in batch.to_pylist():
                number += 1
                yield ref.place(number), {n: _text(values.get(n)) for n in names}
        return
    with open(ref.path, encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = next(reader, [])
        _check_header(ref, header)
        index = {name: i for i, name in enumerate(header)}
        line = reader.line_num
        for values in reader:
            start, line = line + 1, reader.line_num
            if not any(v.strip() for v in values):
                continue
            yield ref.place(start), {
                n: (values[index[n]] or None) if n in index and index[n] < len(values) else None for n in names
            }


def _check_header(ref: DropFileRef, found: list[str]) -> None:
    problems, _ = check_columns(ref, list(found))
    if problems:
        raise ExportRefused(problems, len(problems))


def _text(value) -> str | None:
    """A typed Parquet value in the contract's text form (as ``opspor ingest`` reads it)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(m.TIME_ZONE).replace(tzinfo=None)
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value) if str(value) != "" else None


class _NdjsonWriter:
    """Bulk Data style: one file per resource type (Patient.ndjson, Encounter.ndjson, ...)."""

    def __init__(self, folder: Path):
        self.folder, self.files = folder, {}

    def __enter__(self):
        return self

    def write(self, group: list[tuple[str, str, str]]) -> None:
        for rtype, _, text in group:
            if rtype not in self.files:
                self.files[rtype] = open(self.folder / f"{rtype}.ndjson", "w", encoding="utf-8")  # noqa: SIM115 (closed in __exit__)
            self.files[rtype].write(text + "\n")

    def __exit__(self, *exc):
        for f in self.files.values():
            f.close()


class _BundleWriter:
    """Bundle files of about ``per_file`` entries; a contact's resources are never split."""

    def __init__(self, folder: Path, options: ExportOptions):
        self.folder, self.options = folder, options
        self.file = None
        self.entries = 0
        self.number = 0

    def __enter__(self):
        return self

    def write(self, group: list[tuple[str, str, str]]) -> None:
        if self.file is None or self.entries >= self.options.per_file:
            self._close()
            self.number += 1
            self.file = open(self.folder / f"bundle-{self.number:05d}.json", "w", encoding="utf-8")  # noqa: SIM115
            self.file.write(json.dumps({"resourceType": "Bundle", "id": str(uuid.uuid5(uuid.UUID(group[0][1]), "bundle")),
                                        "type": self.options.bundle_type})[:-1] + ', "entry": [\n')
            self.entries = 0
        for rtype, rid, text in group:
            entry = f'{{"fullUrl": "urn:uuid:{rid}", "resource": {text}'
            if self.options.bundle_type == TRANSACTION:
                entry += f', "request": {{"method": "PUT", "url": "{rtype}/{rid}"}}'
            self.file.write(("" if self.entries == 0 else ",\n") + entry + "}")
            self.entries += 1

    def _close(self) -> None:
        if self.file is not None:
            self.file.write("\n]}\n")
            self.file.close()
            self.file = None

    def __exit__(self, *exc):
        self._close()
