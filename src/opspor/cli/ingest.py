"""``opspor ingest DIR`` and ``opspor snapshots``: thin shells over ``opspor.ingest`` and
``opspor.store``."""

from __future__ import annotations

import datetime as dt
import enum
import getpass
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from opspor.ingest import rules
from opspor.ingest.load import DEFAULT_MAX_SHRINK_SHARE, LoadFailed, LoadOptions, run_load
from opspor.ingest.progress import RichProgress
from opspor.ingest.render import print_report
from opspor.ingest.report import PUBLISHED, UNCHANGED
from opspor.store import SnapshotStore, StoreError


class Mode(str, enum.Enum):
    merge = "merge"
    replace = "replace"


def _one_character(value: str) -> str:
    if len(value) != 1 or value in "\"\r\n":
        raise typer.BadParameter("give one character, e.g. ';' (not a quote or a line break)")
    return value


def ingest(
    drop: Path = typer.Argument(
        ..., exists=True, file_okay=False, dir_okay=True, readable=True,
        help="Folder holding persons and contacts, each as .csv or .parquet (docs/data-contract.md).",
    ),
    mode: Mode = typer.Option(
        Mode.merge, "--mode",
        help="merge: the previous snapshot's rows, with this drop's rows replacing those with the same "
        "cpr / contact_id. replace: this drop alone.",
    ),
    max_reject_share: float = typer.Option(
        0.01, "--max-reject-share", min=0.0, max=1.0, envvar="OPSPOR_MAX_REJECT_SHARE",
        help="Refuse the whole drop if more than this share of a file's rows is rejected (0.01 = 1 %).",
    ),
    force: bool = typer.Option(False, "--force", help="Apply the drop even if it is already loaded."),
    allow_shrink: bool = typer.Option(
        False, "--allow-shrink",
        help="Let a replace load shrink a table by more than --max-shrink-share (the drop is complete).",
    ),
    max_shrink_share: float = typer.Option(
        DEFAULT_MAX_SHRINK_SHARE, "--max-shrink-share", min=0.0, max=1.0, envvar="OPSPOR_MAX_SHRINK_SHARE",
        help="Refuse a replace load without a manifest.json that shrinks persons or contacts by more "
        "than this share of the current snapshot's rows (0.1 = 10 %), unless --allow-shrink.",
    ),
    max_contact_days: int = typer.Option(
        rules.DEFAULT_MAX_CONTACT_DAYS, "--max-contact-days", min=1, envvar="OPSPOR_MAX_CONTACT_DAYS",
        help="Warn about contacts lasting longer than this many days.",
    ),
    delimiter: str = typer.Option(
        ",", "--delimiter", callback=_one_character,
        help="The separator of CSV files: ',' (the contract's), or ';' for files saved by a Danish Excel.",
    ),
) -> None:
    """Validate a data drop and publish it as a new snapshot of the analytical store.

    Rows breaking the data contract are rejected with file, line, column, rule, reason and fix
    (loads/<load_id>/rejects.csv); the rest is loaded. A drop with missing files or columns, or
    with too many rejected rows, is refused whole and the current snapshot stays in force; so is
    a drop whose manifest.json does not match its files, and a replace load that would shrink a
    table by more than --max-shrink-share (unless --allow-shrink).
    Loading the same drop again changes nothing. Exit code 0: published or unchanged; 1: refused.
    Reports go to $OPSPOR_HOME/loads/<load_id>/; see docs/loading-a-real-extract.md.
    """
    console = Console()
    options = LoadOptions(mode.value, max_reject_share, force, allow_shrink, max_shrink_share,
                          max_contact_days, delimiter)
    try:
        with RichProgress(Console(stderr=True)) as progress:
            report = run_load(drop, options, progress=progress)
    except LoadFailed as failed:
        report = failed.report
    print_report(console, report)
    if report.decision not in (PUBLISHED, UNCHANGED):
        raise typer.Exit(1)


snapshots_app = typer.Typer(
    help="The snapshots of the analytical store ($OPSPOR_HOME/store): list, show, use, prune, and their "
         "open Parquet copies (verify, parquet).",
    no_args_is_help=True,
)


@snapshots_app.command("list")
def list_snapshots() -> None:
    """List the snapshots, oldest first, with their row counts; * marks the current one; "parquet"
    says whether the snapshot has its open Parquet copy (`opspor snapshots parquet ID` writes it)."""
    store = SnapshotStore()
    snapshots = _or_exit(store.list)
    if not snapshots:
        Console().print("No snapshots yet: load a drop with `opspor ingest DIR`.")
    else:
        table = Table("", "snapshot", "created (UTC)", "persons", "contacts", "parquet", "parent")
        for s in snapshots:
            table.add_row("*" if s.current else "", s.snapshot_id, _utc(s.created_at),
                          f"{s.persons_rows:,}", f"{s.contacts_rows:,}", "yes" if s.parquet else "no",
                          s.parent_id or "")
        Console().print(table)
    try:
        store.current()
    except StoreError as error:  # say so, but still list what there is: the way out is among it
        Console(stderr=True).print(f"[red]{error}[/red]", soft_wrap=True)
        raise typer.Exit(1) from None


@snapshots_app.command("use")
def use_snapshot(
    snapshot: str = typer.Argument(..., help="Id of the snapshot to make current (see `opspor snapshots list`)."),
) -> None:
    """Make another published snapshot the current one, e.g. when the current one's file is lost.

    The change (who, when, from which snapshot) is kept in $OPSPOR_HOME/store/CURRENT.log and shown
    by `opspor snapshots show`. Lists, scores and reports made afterwards come from this snapshot.
    """
    store = SnapshotStore()
    before = _or_exit(lambda: store.use(snapshot, getpass.getuser()))
    Console().print(f"Snapshot {snapshot} is now current" + (f" (was {before})." if before else "."))


@snapshots_app.command("show")
def show_snapshot(
    snapshot: str = typer.Argument(None, help="Snapshot id (default: the current snapshot)."),
) -> None:
    """Show a snapshot's description and the history of the drops loaded to make it."""
    store = SnapshotStore()
    meta = _or_exit(lambda: store.meta(snapshot))
    loads = _or_exit(lambda: store.loads(snapshot))
    console = Console()
    described = Table("", "", show_header=False, box=None)
    for name, value in meta.items():
        if isinstance(value, dt.datetime):
            value = _utc(value)
        described.add_row(name, f"{value:,}" if isinstance(value, int) else str(value))
    described.add_row("current", "yes" if meta["snapshot_id"] == store.current() else "no")
    described.add_row("parquet", str(store.parquet_root / meta["snapshot_id"]) if store.has_parquet(meta["snapshot_id"])
                      else f"none: write it with `opspor snapshots parquet {meta['snapshot_id']}`")
    console.print(described)
    history = Table("load", "loaded at (UTC)", "mode", "persons read/loaded/rejected",
                    "contacts read/loaded/rejected", "warnings", "drop", title="Loads", title_justify="left")
    for load in loads:
        history.add_row(
            load["load_id"], _utc(load["loaded_at"]), load["mode"],
            f"{load['persons_read']:,} / {load['persons_loaded']:,} / {load['persons_rejected']:,}",
            f"{load['contacts_read']:,} / {load['contacts_loaded']:,} / {load['contacts_rejected']:,}",
            f"{load['warnings']:,}", f"{load['drop_path']}\nsha256 {load['drop_sha256'][:16]}…",
        )
    for use in store.uses():
        if use["snapshot_id"] == meta["snapshot_id"]:
            was = f"was {use['previous']}" + (" (file missing)" if use["previous_missing"] else "")
            history.add_row("", use["at"][:19].replace("T", " "), "use", f"made current by {use['user']}",
                            was if use["previous"] else "", "", "opspor snapshots use")
    console.print(history)


@snapshots_app.command("prune")
def prune_snapshots(
    keep: int = typer.Option(..., "--keep", min=1, help="How many of the newest snapshots to keep."),
) -> None:
    """Delete old snapshots, keeping the newest KEEP (the current one is always kept).

    Load reports under $OPSPOR_HOME/loads are not touched: delete those (their rejects.csv holds
    CPR numbers) by your own retention rules.
    """
    store = SnapshotStore()
    deleted = _or_exit(lambda: store.prune(keep))
    Console().print(f"Deleted {len(deleted)} snapshot(s)" + (f": {', '.join(deleted)}" if deleted else "."))


@snapshots_app.command("verify")
def verify_snapshot(
    snapshot: str = typer.Argument(None, help="Snapshot id (default: the current snapshot)."),
) -> None:
    """Check a snapshot's Parquet copy against its manifest: every file's rows and SHA-256, the
    modes of the files and folders, and the row counts against the snapshot's own."""
    store = SnapshotStore()
    snapshot = _or_exit(lambda: snapshot or store.current())
    found = _or_exit(lambda: store.verify(snapshot))
    if found:
        console = Console(stderr=True)
        for problem in found:
            console.print(f"[red]{problem}[/red]", soft_wrap=True)
        console.print(
            f"The Parquet copy of snapshot {snapshot} does not match its manifest. Fix: restore the files "
            f"named from backup; or, if `opspor snapshots show {snapshot}` still reads the snapshot, remove "
            f"{store.parquet_root / snapshot} and {store.identity_file(snapshot)} (chmod u+w the folder "
            f"first) and write the copy again with `opspor snapshots parquet {snapshot}`", soft_wrap=True)
        raise typer.Exit(1)
    Console().print(f"The Parquet copy of snapshot {snapshot} matches its manifest: {store.parquet_dir(snapshot)}",
                    soft_wrap=True)


@snapshots_app.command("parquet")
def write_parquet(
    snapshot: str = typer.Argument(..., help="Id of a snapshot without its Parquet copy (see `opspor snapshots list`)."),
) -> None:
    """Write the open Parquet copy of a snapshot made before opspor wrote one, from its .duckdb file.

    Loads write the copy themselves; this is for older snapshots. It goes through the store's
    staging folder and appears whole or not at all; the snapshot itself is not changed.
    """
    folder = _or_exit(lambda: SnapshotStore().write_parquet(snapshot))
    Console().print(f"Wrote the Parquet copy of snapshot {snapshot}: {folder}", soft_wrap=True)


def _or_exit(read):
    try:
        return read()
    except StoreError as error:
        Console(stderr=True).print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None


def _utc(moment: dt.datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S}"  # the store's timestamps are UTC
