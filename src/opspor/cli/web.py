"""``opspor manage`` and ``opspor web``: the web app's database, publishing and server."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

SETTINGS = "opspor.web.settings"
MANAGE_SETTINGS = {"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []}

app = typer.Typer(help="The web app: migrate, publish list runs, demo users, serve.", no_args_is_help=True)


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as e:
        Console(stderr=True).print(f"[red]Configuration error:[/red] {e}")
        raise typer.Exit(2) from None


def manage(ctx: typer.Context) -> None:
    """Run a Django management command with opspor's settings (migrate, check --deploy, runserver ...)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["opspor manage", *ctx.args])


@app.command()
def migrate() -> None:
    """Create or update the web app's database tables and the reference organisations."""
    django_setup()
    from django.core.management import call_command

    from opspor import paths
    from opspor.web.accounts.organisations import ensure_reference_organisations

    paths.home().mkdir(parents=True, exist_ok=True)  # the SQLite file's folder
    call_command("migrate", interactive=False, verbosity=0)
    made = ensure_reference_organisations()
    Console().print(f"Database up to date; {made} reference organisations added.")


@app.command()
def publish(run_id: str = typer.Argument(None, help="Run id (default: the newest stored run).")) -> None:
    """Put a stored lists run (`opspor lists run`) into the web app: departments' lists and the
    programme's eligible persons. Publishing the same run twice changes nothing."""
    django_setup()
    from opspor.store import StoreError
    from opspor.web.worklists.publish import PublishError
    from opspor.web.worklists.publish import publish as do_publish

    try:
        result = do_publish(run_id)
    except (PublishError, StoreError) as e:
        Console(stderr=True).print(f"[red]Not published:[/red] {e}")
        raise typer.Exit(1) from None
    if result.already:
        Console().print(f"Run {result.run_id} ({result.as_of}) is already published; nothing changed.")
    else:
        Console().print(f"Published run {result.run_id} ({result.as_of}): {result.entries:,} list lines, "
                        f"{result.eligible:,} eligible persons, {result.persons:,} persons.")


@app.command("demo-users")
def demo_users(
    region: str = typer.Option("1083", help="Region of the demo users."),
    citizen_course: bool = typer.Option(False, "--citizen-course", help=(
        "Also put the demo citizen in Aktiv Patientstøtte (active, with the programme's questionnaire "
        "scheduled by e-mail), as `opspor demo` does.")),
) -> None:
    """Create one demo user per role (passwords kept in $OPSPOR_HOME/demo-users.json) and print them."""
    django_setup()
    from functools import partial

    from opspor.web.accounts.demo import credentials_file, ensure_demo_users
    from opspor.web.citizen.demo import ensure_demo_citizen

    users = ensure_demo_users(region, more=partial(ensure_demo_citizen, course=citizen_course))
    table = Table(title="Demo log-ins (synthetic data only)")
    for column in ("user name", "password", "role", "organisation"):
        table.add_column(column)
    for u in users:
        table.add_row(u.username, u.password, u.role, u.organisation)
    Console().print(table)
    Console().print(f"Kept in {credentials_file()} (mode 0600). The administrator sets up a second factor "
                    "(TOTP) at first log-in. The citizen (borger) sees their own page at /borger/, the "
                    "relative (paaroerende) the part of it the citizen granted.")
    if citizen_course:
        Console().print("The citizen takes part in Aktiv Patientstøtte with the nurse sygeplejerske; their "
                        "questionnaires are scheduled by e-mail: `opspor web questionnaire-reminders` sends "
                        "the invitation (docs/citizen.md, \"Sending\").")


@app.command("directory-load")
def directory_load(
    file: Path = typer.Argument(None, help="The directory file (YAML)."),
    example: bool = typer.Option(False, "--example", help="Load the shipped example (Odense, synthetic)."),
) -> None:
    """Load a service directory file: offers added or changed by key, offers of the same owners the
    file no longer lists taken out of the directory. The whole file or nothing; audited."""
    django_setup()
    from django.core.exceptions import ValidationError

    from opspor.web.audit.actions import system
    from opspor.web.directory import actions, loader

    if (file is None) == (not example):
        Console(stderr=True).print("[red]Name a directory file or give --example (not both).[/red]")
        raise typer.Exit(2)
    file = loader.EXAMPLE_FILE if example else file
    try:
        result = actions.load_file(system("opspor web directory-load"), loader.read(file))
    except loader.DirectoryFileError as e:
        Console(stderr=True).print(f"[red]Not loaded:[/red] {e}")
        raise typer.Exit(2) from None
    except ValidationError as e:
        Console(stderr=True).print(f"[red]Not loaded:[/red] {e.messages[0]}")
        raise typer.Exit(1) from None
    Console().print(f"Directory version {result.version} loaded from {file}: {len(result.added)} added, "
                    f"{len(result.changed)} changed, {result.unchanged} unchanged, {len(result.retired)} taken out"
                    + (f" ({', '.join(result.retired)})" if result.retired else "") + ".")


@app.command("acute-reminders")
def acute_reminders(
    loop: bool = typer.Option(False, "--loop", help="Keep running: remind, sleep, repeat (for a service)."),
    interval: float = typer.Option(300.0, "--interval", min=1.0, help="Seconds between rounds with --loop."),
) -> None:
    """Mark the acute function's referrals whose decision is due within the configured hours (or
    overdue): the team's list shows them first. Run it every few minutes (cron, a systemd timer)
    or as a service with --loop."""
    import time

    django_setup()
    from opspor.web.acute.actions import send_reminders

    while True:
        due = send_reminders()
        if due or not loop:
            Console().print(f"{len(due)} referral(s) reminded" + (": " + ", ".join(
                f"{r.team_name} due {r.clarification_deadline:%d-%m-%Y %H:%M}" for r in due) if due else "."))
        if not loop:
            break
        time.sleep(interval)


@app.command("questionnaire-reminders")
def questionnaire_reminders(
    loop: bool = typer.Option(False, "--loop", help="Keep running: send, sleep, repeat (for a service)."),
    interval: float = typer.Option(300.0, "--interval", min=1.0, help="Seconds between rounds with --loop."),
) -> None:
    """Send the questionnaire invitations due today and the reminders due (e-mail over SMTP or
    SMS through the gateway, set up by the environment: docs/citizen.md), and mark the
    questionnaires past their deadline. A delivery that fails is tried again at the next round
    (exit 1 when one failed). Run it every few minutes (cron, a systemd timer) or with --loop."""
    import time

    django_setup()
    from opspor.web.aps.actions import questionnaire_round

    while True:
        done = questionnaire_round()
        if not loop or done.invited or done.reminded or done.expired or done.failed:
            Console().print(f"{len(done.invited)} invitation(s) sent, {len(done.reminded)} reminder(s) sent, "
                            f"{len(done.expired)} past the deadline, {len(done.cancelled)} cancelled, "
                            f"{len(done.failed)} not delivered.")
            for request, error in done.failed:
                Console(stderr=True).print(f"[red]Not delivered[/red] (questionnaire {request.public_id}): {error}")
        if not loop:
            if done.failed:
                raise typer.Exit(1)
            break
        time.sleep(interval)


@app.command("questionnaire-fhir")
def questionnaire_fhir(
    instrument: str = typer.Argument(..., help="The questionnaire's id, e.g. who5."),
    output: Path = typer.Option(None, "--output", "-o", help="Write the JSON to this file (else print it)."),
) -> None:
    """A configured questionnaire as a FHIR R4 Questionnaire (JSON) with SDC: enableWhen of the
    conditional questions, ordinalValue of each answer, the score as a calculatedExpression. The
    YAML file stays the source; this is its export (docs/citizen.md)."""
    import json

    django_setup()
    from opspor.fhir.questionnaire import questionnaire
    from opspor.web.aps import instruments

    found = instruments.get(instrument)
    if found is None:
        Console(stderr=True).print(f"[red]No questionnaire {instrument!r}[/red]; configured: "
                                   f"{', '.join(instruments.instruments())}")
        raise typer.Exit(2)
    text = json.dumps(questionnaire(found), ensure_ascii=False, indent=2)
    if output is None:
        print(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        Console().print(f"Questionnaire {found.id} (version {found.version}) written to {output}.")


@app.command("questionnaire-fhir-import")
def questionnaire_fhir_import(
    file: Path = typer.Argument(..., help="A FHIR R4 Questionnaire (JSON)."),
    output: Path = typer.Option(..., "--output", "-o", help="The instrument file to write (.yaml; must not exist)."),
) -> None:
    """Read a FHIR R4 Questionnaire into opspor's instrument form (YAML), checked by the FHIR
    models and by the instrument loader before the file is written. Put the file in a folder of
    OPSPOR_APS_INSTRUMENTS to use it; add interpretation bands by hand (a Questionnaire has none)."""
    import json

    import yaml

    from opspor.fhir.questionnaire_import import QuestionnaireImportError, to_instrument
    from opspor.web.aps.instruments.loader import InstrumentConfigError, load_file

    err = Console(stderr=True, soft_wrap=True)  # a message is one line, to read and to grep
    if output.suffix != ".yaml":
        err.print(f"[red]{output}: the instrument file must end in .yaml[/red] (the loader reads *.yaml)")
        raise typer.Exit(2)
    if output.exists():
        err.print(f"[red]{output} exists[/red]: choose another name, or remove it first (nothing was written)")
        raise typer.Exit(2)
    try:
        resource = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        err.print(f"[red]{file}: cannot be read ({e})[/red]")
        raise typer.Exit(1) from None
    except json.JSONDecodeError as e:
        err.print(f"[red]{file}: line {e.lineno}, column {e.colno}: not JSON ({e.msg}).[/red] Fix: give the "
                  "Questionnaire as FHIR JSON")
        raise typer.Exit(1) from None
    try:
        data = to_instrument(resource, str(file))
    except QuestionnaireImportError as e:
        err.print(f"[red]Not imported:[/red] {e}")
        raise typer.Exit(1) from None
    header = (f"# Imported from the FHIR Questionnaire {file.name} by `opspor web questionnaire-fhir-import`.\n"
              "# No interpretation bands: a FHIR Questionnaire has none. Add them by hand (interpretation:, see\n"
              "# opspor/web/aps/instruments/loader.py) and check the wording against the source.\n")
    tmp = output.with_name(f".{output.name}.tmp")
    tmp.write_text(header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100), encoding="utf-8")
    try:
        load_file(tmp)
    except InstrumentConfigError as e:
        tmp.unlink()
        err.print(f"[red]Not imported:[/red] {file}: the instrument it gives is refused by the loader: {e}")
        raise typer.Exit(1) from None
    os.replace(tmp, output)
    Console().print(f"Instrument {data['id']} (version {data['version']}, {len(data['items'])} questions) written "
                    f"to {output}. It has no interpretation bands: add them by hand.")

@app.command("trial-export")
def trial_export(out: Path = typer.Argument(..., help="Folder for trial.csv, trial_who5.csv and manifest.json."),
                 trial: str = typer.Option(None, help="Trial id (default: trial.id of the programme file).")) -> None:
    """Write the randomised trial's participants and WHO-5 scores, pseudonymised, for
    `opspor monitor effect --trial OUT/trial.csv --who5 OUT/trial_who5.csv` (intention to treat)."""
    django_setup()
    from opspor.web.trial.export import TrialExportError, export

    try:
        result = export(out, trial)
    except TrialExportError as e:
        Console(stderr=True).print(f"[red]Not exported:[/red] {e}")
        raise typer.Exit(1) from None
    Console().print(f"{result.participants} randomised persons and {result.who5_rows} WHO-5 scores written to {out}.")


@app.command("trial-verify")
def trial_verify(trial: str = typer.Option(None, help="Trial id (default: trial.id of the programme file).")) -> None:
    """Recompute every stored allocation from the randomisation key; exit 1 if any differs."""
    django_setup()
    from opspor.monitor.randomisation import RandomisationError
    from opspor.web.trial.export import verify

    try:
        problems = verify(trial)
    except RandomisationError as e:
        Console(stderr=True).print(f"[red]Cannot verify:[/red] {e}")
        raise typer.Exit(2) from None
    if problems:
        for p in problems:
            Console(stderr=True).print(f"[red]{p}[/red]", soft_wrap=True)
        raise typer.Exit(1)
    Console().print("All allocations match the sequence derived from the key.")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port."),
    workers: int = typer.Option(2, help="Worker processes (gunicorn): one per core."),
    threads: int = typer.Option(1, help="Threads per worker."),
) -> None:
    """Serve the web app with gunicorn (static files by WhiteNoise) until interrupted.

    One single-threaded worker per core: the pages are CPU-bound Python, and threads of one
    worker take turns on its interpreter lock, which stretched every request they shared a worker
    with (docs/benchmarks.md: p95 at 50 users 250 ms with 2 workers x 4 threads, 100 ms with 2 x 1)."""
    django_setup()  # fail early, with a clear message, on bad settings
    from opspor import paths  # main() set the umask; opspor.web.wsgi sets it again in the workers
    command = [sys.executable, "-m", "gunicorn", "opspor.web.wsgi:application", "-b", f"{host}:{port}",
               "-w", str(workers), "--threads", str(threads), "--timeout", "60", "--graceful-timeout", "10",
               "--access-logfile", "-", "--access-logformat", '%(t)s "%(m)s %(U)s" %(s)s %(M)sms',
               "--logger-class", "opspor.web.log_privacy.GunicornLogger",  # CPR-shaped numbers masked
               "--umask", oct(paths.PRIVATE_UMASK)]  # its own files too; ours is inherited across exec
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    sys.stdout.flush()
    sys.stderr.flush()
    # gunicorn takes this process's place, so signals (Ctrl-C, SIGTERM from a supervisor) reach it
    os.execv(sys.executable, command)
