"""``opspor lists``: thin shells over ``opspor.lists`` (build, run, status, schedule).

Nothing printed here holds a CPR number or a name: the console shows counts, departments, ids
and file paths; the lists themselves are only in the output files.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from opspor.cli.engine_option import engine_option
from opspor.cli.once_at import once_at_option
from opspor.cpr import mask as mask_cpr
from opspor.dates import cli_date
from opspor.engines import EngineError
from opspor.lists import runs, schedule
from opspor.lists.schedule import ScheduleError
from opspor.rules import RuleConfigError
from opspor.store import StoreError

# The builders (DuckDB queries, openpyxl, reportlab) are imported by the commands that use them,
# so that `opspor --help` and the other commands start fast.

app = typer.Typer(
    help="Daily department lists (repeated acute contacts) and Aktiv Patientstøtte eligibility: "
    "build, run, status, schedule. See docs/lists.md.",
    no_args_is_help=True,
)

EXPECTED = (StoreError, runs.RunError, RuleConfigError, ScheduleError, EngineError)


def _err() -> Console:
    return Console(stderr=True)


def _fail(error: BaseException) -> typer.Exit:
    if isinstance(error, EXPECTED):
        _err().print(f"[red]{mask_cpr(str(error))}[/red]", markup=True, highlight=False)
    else:
        _err().print(
            f"[red]internal error: {mask_cpr(f'{type(error).__name__}: {error}')}[/red]",
            highlight=False,
        )
    return typer.Exit(1)


def _as_of(value: str | None, option: str = "--as-of") -> dt.date:
    return cli_date(value, option) or schedule.today()


def _settings() -> schedule.Settings:
    try:
        return schedule.settings()
    except ScheduleError as error:
        raise _fail(error) from None


def _print_result(result: dict) -> None:
    console = Console(highlight=False)
    what = "Lists built" if result["kind"] == "build" else "Lists run"
    drop = result.get("drop")
    if drop:
        files = ", ".join(
            f"{f['file']} {f['rows_loaded']:,} of {f['rows_read']:,} rows"
            + (f" ([yellow]{f['rows_rejected']:,} rejected[/yellow])" if f["rows_rejected"] else "")
            for f in drop["files"]
        )
        console.print(f"Drop loaded into a temporary store: {files}; {drop['warnings']:,} warning(s). "
                      f"Load report: {drop['load_report']}", soft_wrap=True)
    console.print(
        f"[bold]{what}[/bold] {result['run_id']} for {result['as_of']} (cut-off "
        f"{result['cutoff'].replace('T', ' ')}; eligibility as of {result['as_of']}) on snapshot "
        f"{result['snapshot_id']}, rules repeated_acute v{result['rules']['repeated_acute']['version']}"
        f", aps_eligibility v{result['rules']['aps_eligibility']['version']}, "
        f"{result['duration_seconds']:.1f} s",
        soft_wrap=True,
    )
    table = Table("hospital unit", "department", "patients", "new today", "lines",
                  title="Department lists", title_justify="left")
    for d in result["departments"]:
        table.add_row(d["hospital_unit"], d["department"], str(d["patients"]),
                      str(d["new_today"]), str(d["lines"]))
    lists = result["lists"]
    table.add_row("[bold]total[/bold]", f"{lists['departments']} department(s)",
                  str(lists["patient_entries"]), str(lists["new_today"]), str(lists["lines"]))
    console.print(table)
    elig = result["eligibility"]
    routes = ", ".join(f"{k} {v['eligible']:,}" for k, v in elig["by_route"].items())
    reasons = ", ".join(f"{k} {v:,}" for k, v in elig["by_exclusion_reason"].items())
    console.print(
        f"Aktiv Patientstøtte: {elig['listed']:,} with a route, {elig['eligible']:,} eligible, "
        f"{elig['excluded']:,} excluded\n  eligible by route: {routes}\n  excluded by reason: {reasons}",
        soft_wrap=True,
    )
    for warning in result["warnings"]:
        console.print(f"[yellow]warning: {warning}[/yellow]", soft_wrap=True)
    console.print(f"Files in {result['out_dir']} (they hold CPR numbers: keep them confidential):",
                  soft_wrap=True)
    for f in result["files"]:
        console.print(f"  {f}", soft_wrap=True)


@app.command("build")
def build(
    drop: Path = typer.Argument(
        ..., exists=True, file_okay=False, dir_okay=True, readable=True,
        help="Drop folder (persons, contacts as .csv or .parquet; docs/data-contract.md).",
    ),
    as_of: str = typer.Option(..., "--as-of", help="Run day of the lists and as-of date of the "
                              "eligibility (YYYY-MM-DD)."),
    out: Path = typer.Option(..., "--out", help="Output folder: new, empty, or holding earlier lists "
                             "(replaced as a whole)."),
    max_reject_share: float = typer.Option(
        0.01, "--max-reject-share", min=0.0, max=1.0, envvar="OPSPOR_MAX_REJECT_SHARE",
        help="Refuse the drop if more than this share of a file's rows is rejected.",
    ),
    engine: str = engine_option(),
) -> None:
    """Load a drop into a temporary store and build the lists for one day into OUT.

    Writes repeated-acute/<unit>__<department>.csv, aps-eligible.csv, repeated-acute.xlsx,
    repeated-acute.pdf and run.json. The temporary store is deleted afterwards; the load report
    stays in $OPSPOR_HOME/loads/. Not stored as a run (use `opspor lists run` for that).
    Exit code 0: built; 1: the drop was refused or the build failed.
    """
    from opspor.ingest.load import LoadFailed
    from opspor.ingest.progress import RichProgress
    from opspor.ingest.render import print_report
    from opspor.lists import jobs

    day = _as_of(as_of)
    try:
        with RichProgress(_err()) as progress:
            result, _report = jobs.build_from_drop(drop, day, out, engine=engine, progress=progress,
                                                   max_reject_share=max_reject_share)
    except jobs.DropNotLoaded as refused:
        print_report(_err(), refused.report)
        _err().print("[red]The drop was not loaded, so no lists were built.[/red]")
        raise typer.Exit(1) from None
    except LoadFailed as failed:
        print_report(_err(), failed.report)
        raise typer.Exit(1) from None
    except Exception as error:  # noqa: BLE001 - shown masked, never with a traceback of data
        raise _fail(error) from None
    _print_result(result)


@app.command("run")
def run(
    as_of: str = typer.Option(None, "--as-of", help="Run day and eligibility as-of date "
                              "(YYYY-MM-DD). Default: today in Copenhagen."),
    out: Path = typer.Option(None, "--out", help="Output folder. Default: the stored run's folder "
                             "$OPSPOR_HOME/lists/runs/<run_id>/."),
    publish: bool = typer.Option(False, "--publish", help="Also put the run into the web app "
                                 "(`opspor web publish`)."),
    engine: str = engine_option(),
) -> None:
    """Build the lists for one day on the current snapshot and store the run.

    The run (run.json: as-of, cut-off, snapshot, rule versions, counts, duration, files) is
    stored in $OPSPOR_HOME/lists/runs/<run_id>/ and counts for `opspor lists status`.
    Exit code 0: stored; 1: failed (nothing stored).
    """
    from opspor.lists import jobs

    day = _as_of(as_of)
    try:
        result = jobs.run_lists(day, out, engine=engine)
    except Exception as error:  # noqa: BLE001
        raise _fail(error) from None
    _print_result(result)
    if publish:
        from opspor.lists.scheduler import configure_logging, publish_run

        configure_logging()
        if not publish_run(result["run_id"]):
            raise typer.Exit(1)


@app.command("status")
def status(
    day: str = typer.Option(None, "--day", help="Day to check (YYYY-MM-DD). Default: today in "
                            "Copenhagen."),
    now: str = typer.Option(None, "--now", help="Check as if the time were HH:MM on that day "
                            "(Copenhagen). Default: the real time now."),
) -> None:
    """Are the day's lists published? On a weekday past the deadline (OPSPOR_LISTS_DEADLINE,
    default 11:00) without a run: an alarm and exit code 3. Otherwise exit code 0."""
    from opspor.lists.status import lists_status

    settings = _settings()
    the_day = _as_of(day, "--day")
    moment = None
    if now is not None:
        try:
            moment = schedule.local(the_day, schedule.parse_time(now, "--now"))
        except ScheduleError as error:
            raise typer.BadParameter(str(error), param_hint="--now") from None
    elif day is not None and the_day != schedule.today():
        real = schedule.now()
        # another day: judge it at the same wall-clock time, or its end if it is in the past
        moment = schedule.local(the_day, dt.time(23, 59, 59)) if the_day < real.date() else \
            schedule.local(the_day, dt.time(0, 0))
    result = lists_status(the_day, moment, settings)
    console = Console(highlight=False)
    style = "bold red" if result.alarm else ("yellow" if result.late else "")
    console.print(result.message, style=style or None, soft_wrap=True)
    for warning in (result.run or {}).get("warnings", []):
        console.print(f"[yellow]warning: {warning}[/yellow]", soft_wrap=True)
    raise typer.Exit(result.exit_code)


@app.command("schedule")
def schedule_command(
    once_at: str = once_at_option("the run succeeded"),
    catch_up: bool = typer.Option(True, "--catch-up/--no-catch-up", help="On start, if today is a "
                                  "weekday past the run time without a run, run at once."),
    publish: bool = typer.Option(False, "--publish", help="Put each run into the web app "
                                 "(`opspor web publish`); production runs with it."),
) -> None:
    """Run the lists Monday to Friday at OPSPOR_LISTS_RUN_AT (default 06:30, Copenhagen time).

    Long-running: start it under systemd (docs/lists.md). Logs to stderr without CPR numbers.
    """
    from opspor.lists import scheduler

    settings = _settings()
    extra = ()
    from opspor.monitor import schedule as monitor_schedule

    try:
        if monitor_schedule.enabled():  # OPSPOR_MONITOR_REPORT=1: the monthly committee report too
            report_settings = monitor_schedule.settings()
            extra = (functools.partial(monitor_schedule.add_report_job, s=report_settings),)
    except ScheduleError as error:
        raise _fail(error) from None
    scheduler.configure_logging()
    job = functools.partial(scheduler.run_today, publish=publish)
    raise typer.Exit(scheduler.serve(settings, once_at=once_at, catch_up=catch_up, job=job, extra_jobs=extra))
