"""``opspor reference``: show the shipped reference data."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from opspor import reference as ref

app = typer.Typer(help="Show the reference data shipped with opspor (regions, municipalities, hospital units).",
                  no_args_is_help=True)


@app.command("regions")
def show_regions() -> None:
    """List the 5 regions with their number of municipalities and hospital units."""
    table = Table("code", "region", "municipalities", "hospital units")
    for region in ref.regions():
        n_mun = sum(1 for m in ref.municipalities() if m.region_code == region.code)
        units = [u.code for u in ref.hospital_units() if u.region_code == region.code]
        table.add_row(region.code, region.name, str(n_mun), ", ".join(units))
    Console().print(table)


@app.command("units")
def show_units(region: str = typer.Option(None, help="Only this region code, e.g. 1083.")) -> None:
    """List hospital units (sygehusenheder) with their codes, aliases and sites."""
    table = Table("code", "name", "region", "aliases", "sites")
    for unit in ref.hospital_units():
        if region and unit.region_code != region:
            continue
        table.add_row(unit.code, unit.name, unit.region_code, ", ".join(unit.aliases), ", ".join(unit.sites))
    Console().print(table)
