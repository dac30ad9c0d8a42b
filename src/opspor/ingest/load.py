"""One load: find, hash, read and validate a drop, decide, and publish a snapshot or refuse.

Every load gets a folder ``loads_dir()/<load_id>/`` with its report, whatever the outcome. The
snapshot is written under the store's staging name and published only when the drop is
accepted; a refused, failed or killed load leaves the current snapshot untouched.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

import opspor
from opspor import paths
from opspor import reference as ref
from opspor.cpr import mask as mask_cpr
from opspor.ingest import build, findings, manifest, relations, rules, validate
from opspor.ingest.drop import Drop, find_drop, hash_files
from opspor.ingest.progress import Progress
from opspor.ingest.read import RawFile, check_columns, load_raw, read_columns
from opspor.ingest.render import report_text
from opspor.ingest.report import (
    FAILED, PUBLISHED, REFUSED, UNCHANGED, DropRefused, FileSummary, LoadReport, Note, Problem, TableChange,
)
from opspor.ingest.sql import create_macros, lit
from opspor.store import LostSnapshot, SnapshotStore, StoreError
from opspor.store.key import fingerprint, key_source, pseudonym_key
from opspor.store.snapshots import Staging, new_id

MERGE, REPLACE = "merge", "replace"
MEMORY_LIMIT_ENV = "OPSPOR_MEMORY_LIMIT"


# A replace load without a manifest that would shrink a table by more than this share is refused
# unless allowed (a header-only or cut-short file would otherwise empty the store silently).
DEFAULT_MAX_SHRINK_SHARE = 0.10


@dataclass(frozen=True)
class LoadOptions:
    mode: str = MERGE
    max_reject_share: float = 0.01
    force: bool = False
    allow_shrink: bool = False
    max_shrink_share: float = DEFAULT_MAX_SHRINK_SHARE
    max_contact_days: int = rules.DEFAULT_MAX_CONTACT_DAYS  # longer contacts are warned about
    delimiter: str = ","  # of CSV files


class LoadFailed(Exception):
    """An unexpected error; the report (with the error, CPR-like text masked) is written."""

    def __init__(self, report: LoadReport):
        super().__init__(report.reason)
        self.report = report


def run_load(
    folder: Path,
    options: LoadOptions = LoadOptions(),
    store: SnapshotStore | None = None,
    progress: Progress | None = None,
) -> LoadReport:
    store = store or SnapshotStore()
    load_id = new_id()
    report = LoadReport(load_id, str(folder.resolve()), options.mode, options.max_reject_share)
    load_dir = paths.loads_dir() / load_id
    load_dir.mkdir(parents=True)
    report.paths = {"report_txt": str(load_dir / "report.txt"),
                    "report_json": str(load_dir / "report.json")}
    try:
        _read_current(store, report)  # for the messages, should the store be busy
        with store.begin(load_id) as staging:
            _read_current(store, report)
            _load(folder, options, store, staging, report, load_dir, progress or Progress())
    except DropRefused as refused:
        report.problems.extend(refused.problems)
        report.decide(REFUSED, "the drop has problems that must be fixed first (see above)",
                      report.previous_snapshot)
    except StoreError as error:
        report.decide(REFUSED, str(error), report.previous_snapshot)
    except Exception as error:
        report.decide(FAILED, f"the load failed: {mask_cpr(f'{type(error).__name__}: {error}')}",
                      report.previous_snapshot)
        raise LoadFailed(report) from error
    finally:
        report.write(load_dir, report_text(report))
    return report


def _read_current(store: SnapshotStore, report: LoadReport) -> None:
    """The snapshot in force, or the id of a lost one (``CURRENT`` names a file that is gone)."""
    try:
        report.previous_snapshot, report.lost_snapshot = store.current(), None
    except LostSnapshot as lost:
        report.previous_snapshot, report.lost_snapshot = None, lost.snapshot_id


def _load(folder, options, store, staging: Staging, report, load_dir: Path, progress: Progress) -> None:
    if report.lost_snapshot and options.mode == MERGE:  # nothing to merge with; a replace needs nothing
        raise LostSnapshot(store, report.lost_snapshot)
    drop = find_drop(folder, options.delimiter)
    report.notes.extend(drop.notes)
    if drop.problems:
        raise DropRefused(drop.problems)
    con = _connect(staging)
    try:
        columns = _check_columns(con, drop, report)
        refs = list(drop.files.values())
        report.content_sha256, digests, line_maps = hash_files(refs, progress)
        report.files = [FileSummary(r.label, r.format, digests[r.label]) for r in refs]
        entries = None
        if drop.manifest:
            entries = manifest.read(drop.manifest)
            manifest.check_files(drop.manifest, entries, digests)
        current = report.previous_snapshot
        if current and not options.force:
            loaded_in = _already_loaded(store.loads(current), report.content_sha256, options.mode)
            if loaded_in:
                report.decide(UNCHANGED, f"already loaded in snapshot {loaded_in} — nothing changed", current)
                return
        key = pseudonym_key()
        _check_key(store, current or next(reversed(store.ids()), None), key)
        previous = None
        if current:
            con.execute(f"ATTACH {lit(str(store.path(current)))} AS prev (READ_ONLY)")
            previous = "prev"
        findings.create_tables(con)
        create_macros(con, key)
        rules.create_limits(con, options.max_contact_days)
        raws = {name: load_raw(con, r, columns[name], line_maps.get(name), progress)
                for name, r in drop.files.items()}
        if entries is not None:
            manifest.check_rows(entries, {raw.ref.label: raw.rows_read for raw in raws.values()})
            report.manifest = "verified"
            report.notes.append(Note("info", f"{manifest.FILE_NAME}: every file's rows and SHA-256 match"))
        merge_with = previous if options.mode == MERGE else None
        with progress.step("Validating"):
            _validate(con, raws, merge_with)
        _summarise(con, raws, report)
        before = store.meta(current) if current else {}
        report.tables = [TableChange(table, before.get(f"{table}_rows"), after)
                         for table, after in build.row_counts(con, merge_with).items()]
        report.paths["rejects_csv"] = str(load_dir / "rejects.csv")
        report.paths["warnings_csv"] = str(load_dir / "warnings.csv")
        findings.write_csv(con, findings.REJECT, load_dir / "rejects.csv")
        findings.write_csv(con, findings.WARNING, load_dir / "warnings.csv")
        refusal = _refusal(report) or _shrink_refusal(report, options)
        if refusal:
            report.decide(REFUSED, refusal, current)
            return
        with progress.step("Writing the snapshot"):
            build.write_snapshot(
                con, staging.path, previous, options.mode == MERGE,
                meta={
                    "snapshot_id": staging.snapshot_id, "parent_id": current,
                    "created_at": _utc_now(),
                    "reference_version": ref.REFERENCE_VERSION, "opspor_version": opspor.__version__,
                    "pseudonym_key_fingerprint": fingerprint(key),
                },
                load=_load_row(report, staging.snapshot_id),
            )
    finally:
        con.close()
    if report.decision is None:
        staging.publish()
        report.decide(PUBLISHED, f"published snapshot {staging.snapshot_id}", staging.snapshot_id)


def _connect(staging: Staging) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that spills to the staging folder when memory runs short."""
    config = {"temp_directory": str(staging.tmp_dir), "preserve_insertion_order": True}
    if os.environ.get(MEMORY_LIMIT_ENV):
        config["memory_limit"] = os.environ[MEMORY_LIMIT_ENV]
    con = duckdb.connect(":memory:", config=config)
    con.execute("SET enable_progress_bar = false")  # ours are rich bars
    return con


def _check_columns(con, drop: Drop, report: LoadReport) -> dict[str, list[tuple[str, str]]]:
    columns, problems = {}, []
    for name, r in drop.files.items():
        try:
            columns[name] = read_columns(con, r)
        except DropRefused as refused:
            problems.extend(refused.problems)
            continue
        found_problems, notes = check_columns(r, [n for n, _ in columns[name]])
        problems.extend(found_problems)
        report.notes.extend(notes)
    if problems:
        raise DropRefused(problems)
    return columns


def _already_loaded(history: list[dict], content_sha256: str, mode: str) -> str | None:
    """The snapshot that already holds this drop, if loading it again would change nothing.

    The current snapshot is made of the loads since the last replace (or the first load); in
    merge mode the drop counts as loaded if it is among them, in replace mode only if it is
    all of them.
    """
    start = max((i for i, load in enumerate(history) if load["mode"] == REPLACE), default=0)
    effective = history[start:]
    if mode == REPLACE:
        effective = effective if len(effective) == 1 else []
    return next((load["snapshot_id"] for load in effective if load["drop_sha256"] == content_sha256), None)


def _check_key(store: SnapshotStore, current: str | None, key: bytes) -> None:
    if current is None:
        return
    expected = store.meta(current)["pseudonym_key_fingerprint"]
    if expected != fingerprint(key):
        raise DropRefused([Problem(
            key_source(),
            f"the pseudonym key in use (fingerprint {fingerprint(key)}) is not the key of this store's "
            f"snapshots (fingerprint {expected}); person keys would not match",
            "use the store's original key (OPSPOR_PSEUDONYM_KEY or $OPSPOR_HOME/pseudonym.key), "
            "or load into a new, empty OPSPOR_HOME",
        )])


def _validate(con, raws: dict[str, RawFile], previous: str | None) -> None:
    persons, contacts = raws["persons"], raws["contacts"]
    for raw in (persons, contacts):
        validate.check_rows(con, raw)
        relations.duplicates(con, raw)
    relations.contacts_without_person(con, persons, contacts, previous)
    build.typed_persons(con, persons)
    contacts_table = build.typed_contacts(con, contacts, build.merged_view(con, "identity", previous))
    relations.contact_warnings(con, contacts, contacts_table, build.merged_view(con, "persons", previous))


def _summarise(con, raws: dict[str, RawFile], report: LoadReport) -> None:
    for summary, raw in zip(report.files, raws.values(), strict=True):
        summary.rows_read = raw.rows_read
        summary.rows_rejected, summary.duplicates_dropped = findings.counts(con, raw.ref)
        summary.rows_loaded = raw.rows_read - summary.rows_rejected - summary.duplicates_dropped
    refs = {name: raw.ref for name, raw in raws.items()}
    report.rejects = findings.groups(con, findings.REJECT, refs)
    report.warnings = findings.groups(con, findings.WARNING, refs)


def _refusal(report: LoadReport) -> str | None:
    over = [f for f in report.files if f.reject_share > report.max_reject_share]
    if over:
        return "; ".join(
            f"{f.file}: {f.reject_share:.2%} of rows rejected ({f.rows_rejected:,} of {f.rows_read:,}), "
            f"more than the limit of {report.max_reject_share:.2%}"
            for f in over
        ) + " — fix the rejected rows (rejects.csv) and load the drop again"
    if not any(f.rows_loaded for f in report.files):
        return "the drop holds no rows to load"
    return None


def _shrink_refusal(report: LoadReport, options: LoadOptions) -> str | None:
    """Refuse a replace that would shrink a table by more than the limit, unless the drop's
    manifest vouches for its files or the operator allowed it (merge never removes rows)."""
    if options.mode != REPLACE or options.allow_shrink or report.manifest:
        return None
    over = [t for t in report.tables if t.change is not None and -t.change > options.max_shrink_share]
    if not over:
        return None
    return "; ".join(
        f"{t.table} would shrink from {t.before:,} to {t.after:,} rows ({t.change:+.1%}) against the "
        f"current snapshot, more than the limit of {options.max_shrink_share:.1%}" for t in over
    ) + (f" — a file may be cut short. If the drop is complete, load it with --allow-shrink (or deliver "
         f"it with a {manifest.FILE_NAME}); otherwise deliver the whole extract")


def _load_row(report: LoadReport, snapshot_id: str) -> dict:
    by_name = {f.file.rsplit(".", 1)[0]: f for f in report.files}
    row = {
        "load_id": report.load_id, "snapshot_id": snapshot_id, "drop_path": report.drop,
        "drop_sha256": report.content_sha256, "mode": report.mode,
        "loaded_at": _utc_now(),
        "warnings": sum(g.count for g in report.warnings),
    }
    for name, f in by_name.items():
        row |= {f"{name}_read": f.rows_read, f"{name}_loaded": f.rows_loaded,
                f"{name}_rejected": f.rows_rejected}
    return row


def _utc_now() -> dt.datetime:
    """Now in UTC as a naive timestamp (the store's TIMESTAMP columns hold UTC)."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
