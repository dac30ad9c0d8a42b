"""``opspor telemonitoring``: import home measurements (NDJSON), sender tokens for the REST endpoint."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from opspor.cli.web import django_setup

app = typer.Typer(help="Telemonitoring: home measurements (FHIR R4 Observations), sender tokens.",
                  no_args_is_help=True)
err = Console(stderr=True)


@app.command("import")
def import_(file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                        help="NDJSON file, one FHIR R4 Observation per line.")) -> None:
    """Store the Observations of FILE: all or nothing; a resend is harmless (idempotent by identifier)."""
    django_setup()
    from opspor.telemonitoring import kinds, observations
    from opspor.web.telemonitoring import actions
    from opspor.web.telemonitoring.models import Source

    catalogue = kinds.shipped()
    try:
        with open(file, "rb") as f:
            summary = actions.store(actions.IMPORTER, observations.read_lines(catalogue, f), source=Source.FILE,
                                    sender=file.name[:100], catalogue_version=catalogue.version)
    except observations.Invalid as exc:
        for e in exc.errors:
            err.print(f"{file}: {e}", markup=False, highlight=False)
        err.print(f"[red]Nothing stored:[/red] {len(exc.errors)} problem(s) (at most {observations.MAX_ERRORS} shown).")
        raise typer.Exit(1) from None
    Console().print(f"{summary.received:,} read, {summary.stored:,} stored ({summary.new_versions:,} new versions of "
                    f"earlier observations), {summary.duplicates:,} already stored; {summary.persons:,} patients; "
                    f"{summary.alarms:,} alarms.")


@app.command()
def token(name: str = typer.Argument(..., help="The sender: a device hub or system, e.g. 'FUT hub Syddanmark'."),
          organisation: str = typer.Option(..., help="Code of the sending organisation (e.g. the region, 1083)."),
          kind: str = typer.Option("region", help="Kind of that organisation.")) -> None:
    """Make a sender token for the REST endpoint; printed once, only its SHA-256 is kept."""
    issue_token(name, organisation, kind, "telemonitoring", "opspor telemonitoring token")


def issue_token(name: str, organisation: str, kind: str, channel: str, command: str) -> None:
    """Print a new sender token of ``channel`` for ``name`` of the organisation; exit 2 with the
    fix when the organisation is unknown or the name taken (``opspor messages token`` too)."""
    django_setup()
    from opspor.web.accounts.models import Organisation
    from opspor.web.telemonitoring import actions
    from opspor.web.telemonitoring.models import SenderToken

    org = Organisation.objects.filter(kind=kind, code=organisation).first()
    if org is None:
        err.print(f"[red]No organisation of kind {kind!r} with code {organisation!r}.[/red] "
                  "Fix: give the code of an existing organisation (`opspor web migrate` makes the regions and "
                  "municipalities; the administrator adds GP practices and departments).")
        raise typer.Exit(2)
    if SenderToken.objects.filter(name=name).exists():
        err.print(f"[red]A sender named {name!r} exists.[/red] Fix: choose another name, or revoke that one first.")
        raise typer.Exit(2)
    typer.echo(actions.make_token(actions.system_actor(command), name, org, channel=channel))


@app.command()
def revoke(name: str = typer.Argument(..., help="The sender's name.")) -> None:
    """Revoke a sender token: the endpoint refuses it from now on."""
    django_setup()
    from opspor.web.telemonitoring import actions
    from opspor.web.telemonitoring.models import SenderToken

    try:
        actions.revoke_token(actions.system_actor("opspor telemonitoring revoke"), name)
    except SenderToken.DoesNotExist:
        err.print(f"[red]No active sender named {name!r}.[/red]")
        raise typer.Exit(2) from None
    Console().print(f"Revoked: {name}")


@app.command("check-missing")
def check_missing() -> None:
    """Raise an alarm for every planned measurement not received for the plan's number of days
    (run it hourly, e.g. from cron or a systemd timer)."""
    django_setup()
    from opspor.web.telemonitoring import actions

    Console().print(f"{actions.raise_missing()} missing-measurement alarms raised.")
