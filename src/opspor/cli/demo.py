"""``opspor demo``: the main job on the embedded default.

Generates a synthetic region, loads it into the analytical store and reports what is there.
The later stages (today's lists, the web app with demo users) join this command as they land.
"""

from __future__ import annotations

import datetime as dt

import typer
from rich.console import Console

from opspor import paths


def _invoke(args: list[str]) -> None:
    """Run another opspor command exactly as the command line would."""
    from opspor.cli import app

    command = typer.main.get_command(app)
    try:
        command.main(args=args, prog_name="opspor", standalone_mode=False)
    except SystemExit as exit_:
        if exit_.code:
            raise typer.Exit(exit_.code) from None


def demo(
    persons: int = typer.Option(100_000, help="Number of synthetic persons."),
    region: str = typer.Option("1083", help="Region code of the synthetic region (1083 = Region Syddanmark)."),
    seed: int = typer.Option(2026, help="Random seed; the same seed gives the same data."),
    years: int = typer.Option(3, help="Years of history up to yesterday."),
) -> None:
    """Set up the embedded default: generate a synthetic region and load it (under $OPSPOR_HOME)."""
    console = Console()
    end = dt.date.today() - dt.timedelta(days=1)
    start = end.replace(year=end.year - years)
    drop = paths.home() / "demo" / "drop"
    console.rule(f"1. Synthetic region {region}: {persons:,} persons, {start} to {end}")
    _invoke(["synth", "--persons", str(persons), "--region", region, "--seed", str(seed),
             "--start", start.isoformat(), "--end", end.isoformat(), "--out", str(drop)])
    console.rule("2. Load into the analytical store")
    _invoke(["ingest", str(drop)])
    console.rule("Done")
    console.print(f"Store: {paths.store_dir()}  ·  see `opspor snapshots list` and `opspor --help`.")
