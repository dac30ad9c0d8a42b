"""Stored runs of the daily lists, and output folders written all at once.

Layout under ``$OPSPOR_HOME/lists``::

    runs/<run_id>/run.json     one folder per finished run; with ``lists run`` without
                               ``--out`` the run's output files are in the same folder
    staging/<run_id>/          a run being written; renamed into ``runs/`` when complete
    tmp/                       temporary stores of ``lists build``

A run folder appears in ``runs/`` complete or not at all: it is written under ``staging/`` and
renamed into place (atomic within one file system). Leftovers of a killed run are removed by a
later run once they are a day old. An output folder given with ``--out`` is written the same
way next to it and then put in place of the previous output; a folder that holds anything else
than a previous output (a ``run.json`` of ``opspor lists``) is never replaced.

``run.json`` holds counts and identifiers only, never a CPR number or a name.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from opspor import paths
from opspor.store.snapshots import fsync

RUN_FILE = "run.json"
FORMAT = "opspor.lists.run/1"  # the ``format`` field of run.json: bump when fields change meaning
STALE_SECONDS = 24 * 3600


class RunError(Exception):
    """A problem with a run or an output folder that the operator must resolve; says how."""


def lists_dir() -> Path:
    return paths.home() / "lists"


def runs_dir() -> Path:
    return lists_dir() / "runs"


def staging_dir() -> Path:
    return lists_dir() / "staging"


def tmp_dir() -> Path:
    return lists_dir() / "tmp"


def write_json(path: Path, record: dict) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(record, f, indent=2, ensure_ascii=False, default=str)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())


def clean_stale(folder: Path, max_age: float = STALE_SECONDS) -> None:
    """Remove what killed runs left in ``folder`` (entries older than ``max_age`` seconds)."""
    if not folder.exists():
        return
    limit = time.time() - max_age
    for entry in folder.iterdir():
        try:
            if entry.stat().st_mtime < limit:
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        except OSError:
            pass


def _is_previous_output(folder: Path) -> bool:
    try:
        record = json.loads((folder / RUN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(record, dict) and record.get("format") == FORMAT


def check_out_dir(out_dir: Path) -> Path:
    """The resolved output folder, if lists may be written there; RunError saying why not."""
    out_dir = out_dir.expanduser().resolve()
    inside = lists_dir().resolve()
    if out_dir == inside or inside in out_dir.parents or out_dir in inside.parents:
        raise RunError(
            f"--out {out_dir} is inside or above opspor's own folder {inside}. Fix: choose a "
            "folder of your own (stored runs are kept by `opspor lists run` without --out)"
        )
    if out_dir.exists():
        if not out_dir.is_dir():
            raise RunError(f"--out {out_dir} is a file. Fix: give a folder")
        if any(out_dir.iterdir()) and not _is_previous_output(out_dir):
            raise RunError(
                f"--out {out_dir} already holds files that are not lists made by opspor. Fix: give "
                "a new or empty folder (a folder with earlier lists is replaced as a whole)"
            )
    return out_dir


@contextmanager
def output_folder(out_dir: Path) -> Iterator[Path]:
    """Yield a staging folder next to ``out_dir``; when the block succeeds, it replaces
    ``out_dir`` (checked with :func:`check_out_dir`) as a whole, so no file of an earlier
    output survives. When the block fails, ``out_dir`` is left as it was."""
    out_dir = check_out_dir(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(4)
    stage = out_dir.parent / f".{out_dir.name}.staging-{token}"
    stage.mkdir(mode=0o700)  # the lists hold CPR numbers: the owner only, until shared on purpose
    try:
        yield stage
        check_out_dir(out_dir)  # nothing else appeared there meanwhile
        old = out_dir.parent / f".{out_dir.name}.old-{token}"
        if out_dir.exists():
            os.rename(out_dir, old)
        os.rename(stage, out_dir)
        fsync(out_dir.parent)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


@contextmanager
def run_folder(run_id: str) -> Iterator[Path]:
    """Yield ``staging/<run_id>``; when the block succeeds (having written ``run.json``), it is
    renamed to ``runs/<run_id>``. When the block fails, nothing appears in ``runs/``."""
    for folder in (runs_dir(), staging_dir()):
        folder.mkdir(parents=True, exist_ok=True)
    clean_stale(staging_dir())
    stage = staging_dir() / run_id
    stage.mkdir(mode=0o700)  # the lists hold CPR numbers: the owner only
    try:
        yield stage
        if not (stage / RUN_FILE).exists():
            raise RunError(f"internal error: run {run_id} wrote no {RUN_FILE}")
        os.rename(stage, runs_dir() / run_id)
        fsync(runs_dir())
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def read_run(run_id: str) -> dict:
    path = runs_dir() / run_id / RUN_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunError(f"no stored run {run_id} in {runs_dir()}") from None


def list_runs() -> list[dict]:
    """Every stored run's record, oldest first (unreadable records are skipped)."""
    if not runs_dir().exists():
        return []
    out = []
    for folder in sorted(runs_dir().iterdir()):
        try:
            record = json.loads((folder / RUN_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(record, dict) and record.get("format") == FORMAT:
            out.append(record)
    return out


def runs_for_day(day: dt.date) -> list[dict]:
    """The stored runs with as-of date ``day``, oldest first."""
    return [r for r in list_runs() if r.get("as_of") == day.isoformat()]


def latest_run_for_day(day: dt.date) -> dict | None:
    runs = runs_for_day(day)
    return runs[-1] if runs else None
