"""``opspor fhir export|import``: the data contract as FHIR files (docs/fhir-import.md)."""

from __future__ import annotations

import enum
import time
from pathlib import Path

import typer
from rich.console import Console

from opspor.fhir.contract import systems

app = typer.Typer(help="The data contract as FHIR R4: export a drop, import FHIR files as a drop.",
                  no_args_is_help=True)


class OutFormat(str, enum.Enum):
    ndjson = "ndjson"
    bundle = "bundle"


class BundleType(str, enum.Enum):
    collection = "collection"
    transaction = "transaction"


class DropFormat(str, enum.Enum):
    csv = "csv"
    parquet = "parquet"


def _refused(console: Console, what: str, problems, total: int) -> None:
    console.print(f"[bold red]The {what} is refused; nothing was written.[/]")
    for p in problems:
        console.print(f"  [red]✗[/] [bold]{p.place}[/]: {p.message}\n    fix: {p.fix}", highlight=False)
    if total > len(problems):
        console.print(f"  … and {total - len(problems):,} more problem(s)")
    raise typer.Exit(1)


FULL_VALIDATION = typer.Option(
    False, "--full-validation",
    help="Validate every element of every resource with the full fhir.resources model (about 10x slower); "
         "by default the elements opspor reads and writes are checked, and the full model words any failure.")


@app.command("export")
def export(
    drop: Path = typer.Argument(..., exists=True, file_okay=False, dir_okay=True,
                                help="Drop folder: persons and contacts as .csv or .parquet."),
    out: Path = typer.Argument(..., help="New folder for the FHIR files."),
    fmt: OutFormat = typer.Option(OutFormat.ndjson, "--format",
                                  help="ndjson: Patient.ndjson, Encounter.ndjson, ... ; bundle: bundle-00001.json, ..."),
    bundle_type: BundleType = typer.Option(BundleType.collection, "--bundle-type", help="Bundle.type of --format bundle."),
    per_file: int = typer.Option(1000, "--per-file", min=1, help="Entries per Bundle file (a contact is not split)."),
    full_validation: bool = FULL_VALIDATION,
) -> None:
    """Write a drop as FHIR R4 Patient, Encounter, Condition and Procedure resources."""
    from opspor.fhir.contract.export import (  # FHIR models load slowly
        ExportOptions,
        ExportRefused,
        run_export,
    )

    console = Console()
    started = time.monotonic()
    try:
        result = run_export(drop, out, ExportOptions(fmt.value, bundle_type.value, per_file, full_validation))
    except ExportRefused as refused:
        _refused(console, "export", refused.problems, refused.total)
    console.print(f"Wrote {sum(result.resources.values()):,} resources to {result.out} "
                  f"in {len(result.files):,} file(s) ({time.monotonic() - started:.1f} s):", highlight=False)
    for rtype, n in sorted(result.resources.items()):
        console.print(f"  {rtype:<10} {n:>10,}", highlight=False)


@app.command("import")
def import_(
    inputs: list[Path] = typer.Argument(..., help="NDJSON (.ndjson/.jsonl[.gz]) and Bundle (.json) files or "
                                        "folders of them, any mix and order; the last argument is the output folder."),
    out_format: DropFormat = typer.Option(DropFormat.csv, "--format", help="File format of the drop written."),
    contact_id_system: str = typer.Option(systems.CONTACT_ID_SYSTEM, "--contact-id-system",
                                          help="Identifier system of Encounter.identifier holding the contact id."),
    skip_other_types: bool = typer.Option(False, "--skip-other-types",
                                          help="Leave out resources of other types (counted) instead of refusing."),
    full_validation: bool = FULL_VALIDATION,
) -> None:
    """Read FHIR R4 resources into a new drop folder (persons, contacts) for `opspor ingest`.

    Any problem refuses the whole import and nothing is written; values FHIR allows but the
    data contract does not are written as they are, for `opspor ingest` to report per line.
    """
    from opspor.fhir.contract.imports import (  # FHIR models load slowly
        ImportOptions,
        ImportRefused,
        run_import,
    )

    console = Console()
    if len(inputs) < 2:
        raise typer.BadParameter("give at least one input and the output folder", param_hint="INPUTS...")
    *sources, out = inputs
    started = time.monotonic()
    try:
        result = run_import(sources, out, ImportOptions(out_format.value, contact_id_system, skip_other_types,
                                                          full_validation))
    except ImportRefused as refused:
        _refused(console, "import", refused.problems, refused.total)
    console.print(f"Read {sum(result.read.values()):,} resources "
                  f"({', '.join(f'{t} {n:,}' for t, n in sorted(result.read.items()))}) "
                  f"in {time.monotonic() - started:.1f} s.", highlight=False)
    for reason, n in sorted(result.left_out.items()):
        console.print(f"  left out: {n:,} {reason}", highlight=False)
    for note in result.notes:
        console.print(f"  note: {note}", highlight=False)
    console.print(f"Wrote {result.out}: {result.persons:,} persons, {result.contacts:,} contacts. "
                  f"Next: opspor ingest {result.out}", highlight=False)
