"""``opspor telemonitoring``: import home measurements (NDJSON), sender tokens for the REST endpoint."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from opspor.cli.web import django_setup

app = typer.Typer(help="Telemonitoring: home measurements (FHIR R4 Observations), sender tokens, enrolments "
                  "from a file, the evaluation (MAST).",
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


@app.command()
def enrolments(file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                           help="CSV: cpr, condition, enrolled_on, equipment, usability_note, source."),
               by: str = typer.Option(..., "--by", help="User name of the nurse or specialist the enrolments are "
                                      "made by (their organisation owns them)."),
               snapshot: str = typer.Option(None, "--snapshot", help="Snapshot with the persons not yet in the web "
                                            "database (default: the current one).")) -> None:
    """Import enrolments made elsewhere (another platform, or `opspor synth --telemonitoring`), each
    with the protocol's default plan: all or nothing; patients already enrolled are left as they are."""
    django_setup()
    from opspor.web.accounts.models import User
    from opspor.web.telemonitoring import actions

    user = User.objects.filter(username=by, is_active=True).first()
    if user is None:
        err.print(f"[red]No active user {by!r}.[/red] Fix: name the nurse or specialist who enrolled the patients.")
        raise typer.Exit(2)
    try:
        rows = _enrolment_rows(file)
        added = _persons_from_snapshot([r.person_key for r in rows], snapshot)
        result = actions.import_enrolments(user, rows, *added, actor=actions.system_actor("opspor telemonitoring enrolments"))
    except (ValueError, actions.EnrolmentError) as exc:
        err.print(f"{file}: {exc}", markup=False, highlight=False)
        err.print("[red]Nothing stored.[/red]")
        raise typer.Exit(1) from None
    Console().print(f"{result.enrolled:,} enrolled, {result.already:,} already enrolled (left as they were); "
                    f"{result.persons_added:,} persons added from the snapshot.")


ENROLMENT_COLUMNS = ("cpr", "condition", "enrolled_on", "equipment", "usability_note", "source")


def _enrolment_rows(file: Path) -> list:
    """The rows of an enrolment file; a ValueError names the line, the column and the fix."""
    import csv
    import datetime as dt
    import zoneinfo

    from opspor import cpr as cprlib
    from opspor.store.key import pseudonym_key
    from opspor.web.telemonitoring.actions import EnrolmentRow
    from opspor.web.telemonitoring.models import EnrolmentSource

    local = zoneinfo.ZoneInfo("Europe/Copenhagen")
    key = pseudonym_key()
    rows = []
    with open(file, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        missing = [c for c in ENROLMENT_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"line 1: no column {', '.join(missing)}. Fix: the header is {','.join(ENROLMENT_COLUMNS)}")
        for line, r in enumerate(reader, start=2):
            number = cprlib.normalise(r["cpr"] or "")
            if len(number) != 10 or not number.isdigit():
                raise ValueError(f"line {line}: cpr: not a CPR number of 10 digits (not shown). Fix: write DDMMYYXXXX")
            try:
                day = dt.date.fromisoformat((r["enrolled_on"] or "").strip())
            except ValueError:
                raise ValueError(f"line {line}: enrolled_on {r['enrolled_on']!r} is not a date. "
                                 "Fix: write it as 2024-01-31") from None
            source = (r["source"] or "").strip()
            if source not in EnrolmentSource.values:
                raise ValueError(f"line {line}: source {source!r}. Fix: write one of {', '.join(EnrolmentSource.values)}")
            rows.append(EnrolmentRow(line, cprlib.pseudonym(number, key), (r["condition"] or "").strip(),
                                     dt.datetime.combine(day, dt.time(), tzinfo=local), r["equipment"] or "",
                                     r["usability_note"] or "", source))
    if not rows:
        raise ValueError("no enrolments in the file. Fix: one line per patient under the header")
    return rows


def _persons_from_snapshot(keys: list[str], snapshot: str | None) -> tuple[list[tuple], str]:
    """(rows of the persons of ``keys`` not in the web database, read from the snapshot; its id)."""
    from opspor import engines
    from opspor.web.people import publish as people_publish

    missing = sorted(set(keys) - set(people_publish.by_key(sorted(set(keys)))))
    if not missing:
        return [], ""
    with engines.connect(snapshot=snapshot) as con:
        return people_publish.read(con, missing), con.snapshot_id or ""


@app.command()
def evaluate(region: str = typer.Option(None, "--region", help="Only this region (code, e.g. 1083)."),
             end: str = typer.Option(None, "--end", help="Last day counted (YYYY-MM-DD; default: the snapshot's "
                                     "data end)."),
             out: Path = typer.Option(None, "--out", help="Also write the report(s) to this .json file."),
             publish: bool = typer.Option(False, "--publish", help="Store the report(s) for the web app's page."),
             lang: str = typer.Option("da", "--lang", help="Language of the table: da or en."),
             snapshot: str = typer.Option(None, "--snapshot", help="Snapshot id (default: the current one).")) -> None:
    """The telemonitoring evaluation (MAST-style): patients, measurements per patient-week, alarms per
    patient-month and their handling, acute admissions before and after enrolment per 1,000
    patient-years, the triage's sensitivity and burden; per region and condition."""
    import json

    from rich.table import Table

    from opspor import engines
    from opspor.dates import cli_date
    from opspor.i18n import LANGUAGES
    from opspor.telemonitoring import evaluation as ev

    if lang not in LANGUAGES:
        raise typer.BadParameter(f"{lang!r}: use one of {', '.join(LANGUAGES)}", param_hint="--lang")
    if out is not None and out.suffix.lower() != ".json":
        raise typer.BadParameter(f"{out.name}: the file must end in .json", param_hint="--out")
    end_day = cli_date(end, "--end") if end else None
    django_setup()
    from opspor.web.telemonitoring import actions
    from opspor.web.telemonitoring import evaluation as gather

    try:
        with engines.connect(snapshot=snapshot) as con:
            reports = gather.gather(con, region, end_day)
            snapshot_id = con.snapshot_id or ""
    except Exception as exc:  # noqa: BLE001 - a missing snapshot or an empty one: say so
        err.print(f"[red]{type(exc).__name__}: {exc}[/red]", highlight=False)
        raise typer.Exit(1) from None
    if not reports:
        err.print("[red]No enrolments to evaluate[/red]" + (f" in region {region}." if region else "."))
        raise typer.Exit(1)
    console = Console(highlight=False)
    for code, report in reports.items():
        shown = ev.table(report, lang)
        table = Table(title=f"{code}: {report['first_enrolment'][:10]} – {report['end'][:10]}", title_justify="left")
        table.add_column("MAST")
        table.add_column("")
        for name in shown["header"]:
            table.add_column(name)
        for row in shown["rows"]:
            table.add_row(str(row["domain"]), row["label"], *row["cells"])
        console.print(table)
    if out is not None:
        out.write_text(json.dumps(reports, indent=2, default=str) + "\n", encoding="utf-8")
        console.print(f"written: {out}", soft_wrap=True)
    if publish:
        actions.publish_evaluation(reports, snapshot_id)
        console.print(f"published: {', '.join(reports)}")
