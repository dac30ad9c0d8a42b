"""The two ways to make a day's lists, as functions the CLI and the scheduler call.

* :func:`run_lists` — on the current snapshot of the store, stored as a run
  (``$OPSPOR_HOME/lists/runs/<run_id>/``); ``opspor lists run`` and the scheduler.
* :func:`build_from_drop` — load a drop folder into a temporary store, build, write the outputs
  to a folder and delete the temporary store; ``opspor lists build``. Not stored as a run: the
  lists are not made from the data in force, so ``lists status`` does not count them.

Both write the same files (:func:`opspor.lists.build.write_outputs`) and the same ``run.json``
(:func:`record`), ``kind`` telling them apart.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from pathlib import Path

import opspor
from opspor import engines
from opspor.ingest.load import LoadOptions, run_load
from opspor.ingest.progress import Progress
from opspor.ingest.report import PUBLISHED, LoadReport
from opspor.lists import runs
from opspor.lists.build import compute, stale_data_warning, summary, write_outputs
from opspor.lists.model import Build
from opspor.store import SnapshotStore
from opspor.store.snapshots import new_id

RUN, BUILD = "run", "build"


class DropNotLoaded(Exception):
    """``lists build``: the drop was refused; ``report`` says why (print it)."""

    def __init__(self, report: LoadReport):
        super().__init__(report.reason)
        self.report = report


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is not None:
        return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def record(
    kind: str,
    run_id: str,
    build: Build,
    snapshot_meta: dict,
    engine: str,
    started_at: dt.datetime,
    started: float,
    out_dir: Path,
    files: list[str],
    extra: dict | None = None,
) -> dict:
    """``run.json``: what was run, on which data and rules, what came out (counts only)."""
    warning = stale_data_warning(build)
    created = snapshot_meta.get("created_at")
    return {
        "format": runs.FORMAT,
        "kind": kind,
        "run_id": run_id,
        "as_of": build.as_of.isoformat(),
        "cutoff": _iso(build.cutoff),
        "previous_run_day": build.previous_run_day.isoformat(),
        "eligibility_reference_time": _iso(build.eligibility_reference_time),
        "snapshot_id": build.snapshot_id,
        # the store's timestamps are naive UTC
        "snapshot_created_at": _iso(created.replace(tzinfo=dt.UTC)) if created else None,
        "latest_contact_start": _iso(build.latest_contact_start),
        "rules": build.rules,
        "engine": engine,
        "opspor_version": opspor.__version__,
        "started_at": _iso(started_at),
        "finished_at": _iso(_utc_now()),
        "duration_seconds": round(time.perf_counter() - started, 3),
        "timings": build.timings,
        **summary(build),
        "out_dir": str(out_dir),
        "files": files,
        "warnings": [warning] if warning else [],
        **(extra or {}),
    }


def _compute_on(store: SnapshotStore, snapshot_id: str | None, as_of: dt.date,
                engine: str | None) -> tuple[Build, str]:
    """Build ``as_of``'s lists on one snapshot of ``store`` with the engine ``engine`` names
    (a connection string; default ``$OPSPOR_ENGINE`` or DuckDB). Returns the engine's name too."""
    with engines.connect(engine, store=store, snapshot=snapshot_id) as on:
        return compute(on, as_of), on.name


def run_lists(
    as_of: dt.date,
    out_dir: Path | None = None,
    store: SnapshotStore | None = None,
    engine: str | None = None,
) -> dict:
    """Build ``as_of``'s lists on the store's current snapshot and store the run; returns its
    ``run.json`` record. Outputs go to the run's folder, or to ``out_dir`` when given.

    Raises ``opspor.store.StoreError`` (e.g. no snapshot), ``runs.RunError`` (a bad ``out_dir``)
    and ``opspor.rules.RuleConfigError``; nothing is stored then.
    """
    started, started_at = time.perf_counter(), _utc_now()
    store = store or SnapshotStore()
    if out_dir is not None:
        out_dir = runs.check_out_dir(out_dir)
    snapshot_id = store.current()
    build, engine = _compute_on(store, snapshot_id, as_of, engine)  # NoSnapshot when the store is empty
    meta = store.meta(snapshot_id)
    run_id = new_id()
    with runs.run_folder(run_id) as stage:
        if out_dir is None:
            files = write_outputs(build, stage)
            result = record(RUN, run_id, build, meta, engine, started_at, started,
                            runs.runs_dir() / run_id, files)
        else:
            with runs.output_folder(out_dir) as out_stage:
                files = write_outputs(build, out_stage)
                result = record(RUN, run_id, build, meta, engine, started_at, started, out_dir, files)
                runs.write_json(out_stage / runs.RUN_FILE, result)
        runs.write_json(stage / runs.RUN_FILE, result)
    return result


def build_from_drop(
    drop: Path,
    as_of: dt.date,
    out_dir: Path,
    engine: str | None = None,
    progress: Progress | None = None,
    max_reject_share: float = LoadOptions.max_reject_share,
) -> tuple[dict, LoadReport]:
    """Load ``drop`` into a temporary store, build ``as_of``'s lists into ``out_dir`` (with its
    ``run.json``), delete the store. Returns the record and the load report.

    Raises :class:`DropNotLoaded` when the drop is refused, ``ingest.load.LoadFailed`` when the
    load fails, and ``runs.RunError`` for a bad ``out_dir`` (checked before loading).
    """
    started, started_at = time.perf_counter(), _utc_now()
    out_dir = runs.check_out_dir(out_dir)
    runs.tmp_dir().mkdir(parents=True, exist_ok=True)
    runs.clean_stale(runs.tmp_dir())
    run_id = new_id()
    root = runs.tmp_dir() / run_id
    root.mkdir(mode=0o700)  # holds CPR numbers while it lives
    try:
        store = SnapshotStore(root)
        report = run_load(drop, LoadOptions("replace", max_reject_share), store=store, progress=progress)
        if report.decision != PUBLISHED:
            raise DropNotLoaded(report)
        snapshot_id = store.current()
        build, engine = _compute_on(store, snapshot_id, as_of, engine)
        meta = store.meta(snapshot_id)
        drop_info = {
            "drop": {
                "path": str(drop.resolve()),
                "content_sha256": report.content_sha256,
                "load_id": report.load_id,
                "load_report": report.paths.get("report_json"),
                "files": [
                    {"file": f.file, "rows_read": f.rows_read, "rows_loaded": f.rows_loaded,
                     "rows_rejected": f.rows_rejected}
                    for f in report.files
                ],
                "warnings": sum(g.count for g in report.warnings),
            }
        }
        with runs.output_folder(out_dir) as out_stage:
            files = write_outputs(build, out_stage)
            result = record(BUILD, run_id, build, meta, engine, started_at, started, out_dir, files,
                            drop_info)
            runs.write_json(out_stage / runs.RUN_FILE, result)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return result, report


def output_files(result: dict) -> list[Path]:
    """The absolute paths of a record's output files."""
    base = Path(result["out_dir"])
    return [base / f for f in result["files"]]
