"""``opspor synth``: write a synthetic data drop and its ground truth."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from opspor.dates import cli_date
from opspor.rules import concepts
from opspor.synth import Options, generate
from opspor.synth.pipeline import CHUNK_SIZE, default_workers


class Format(str, Enum):
    csv = "csv"
    parquet = "parquet"


def _municipality_codes(region: str | None) -> list[str]:
    from opspor.synth.population import municipality_list

    return municipality_list(region)[0]


def synth(
    persons: int = typer.Option(..., "--persons", min=1, help="Number of persons in the population."),
    start: str = typer.Option(..., "--start", help="First day of the period (YYYY-MM-DD)."),
    end: str = typer.Option(..., "--end", help="Last day of the period, inclusive (YYYY-MM-DD)."),
    seed: int = typer.Option(..., "--seed", min=0, help="Seed: the same arguments give byte-identical files."),
    out: Path = typer.Option(..., "--out", help="Folder for persons.*, contacts.* and truth/."),
    region: str = typer.Option(None, "--region", help="Only this region's municipalities, e.g. 1083."),
    fmt: Format = typer.Option(Format.csv, "--format", help="File format of the drop and the truth."),
    truth_as_of: list[str] = typer.Option(
        None, "--truth-as-of", help="As-of date of the ground truth (repeatable). "
        "Default: the 1st of each quarter from start + 12 months up to end."
    ),
    workers: int = typer.Option(
        default_workers(), "--workers", min=1, help="Worker processes (the output does not depend on it)."
    ),
    chunk_size: int = typer.Option(
        CHUNK_SIZE, "--chunk-size", min=1, max=1_000_000, hidden=True,
        help="Persons per chunk (changes the output; for tests).",
    ),
    trial: int = typer.Option(
        None, "--trial", min=2, help="Simulate a randomised trial: randomise the N highest-risk adults "
        "1:1 per region at --trial-start (writes truth/trial.* and truth/trial_who5.*).",
    ),
    trial_start: str = typer.Option(None, "--trial-start", help="Randomisation day of --trial (YYYY-MM-DD)."),
    trial_effect: float = typer.Option(
        1.0, "--trial-effect", min=0.01, max=10.0,
        help="Hazard ratio of acute admission, intervention vs control, from the start (1.0: none).",
    ),
    trial_who5_effect: float = typer.Option(
        0.0, "--trial-who5-effect", help="WHO-5 points added in the intervention arm at 3, 6, 12 months.",
    ),
    excess: str = typer.Option(
        None, "--excess", help="Put an excess of acute contacts in municipalities: CODE=FACTOR,... "
        "(e.g. 461=2.0,479=1.8; the residents' acute hazards times FACTOR; writes truth/excess.json).",
    ),
    risk_shift: str = typer.Option(
        None, "--risk-shift", help="Shift the acute-admission risk in municipalities from --risk-shift-from on: "
        "CODE=FACTOR,... (e.g. 461=2.0; the residents' acute-admission hazard times FACTOR; writes "
        "truth/risk_shift.json), to check the risk model's monitoring (`opspor risk monitor`).",
    ),
    risk_shift_from: str = typer.Option(None, "--risk-shift-from", help="First day of --risk-shift (YYYY-MM-DD)."),
    telemonitoring: int = typer.Option(
        None, "--telemonitoring", min=1, help="Simulate telemonitoring: enrol the N highest-risk adults with COPD "
        "or heart failure at --telemonitoring-start and write their home measurements (telemonitoring/"
        "observations.ndjson, enrolments.csv; truth/telemonitoring_admissions.csv).",
    ),
    telemonitoring_start: str = typer.Option(None, "--telemonitoring-start",
                                             help="Enrolment day of --telemonitoring (YYYY-MM-DD)."),
    telemonitoring_effect: float = typer.Option(
        1.0, "--telemonitoring-effect", min=0.01, max=10.0,
        help="Hazard ratio of acute admission of the enrolled from enrolment on (1.0: none).",
    ),
    telemonitoring_config: Path = typer.Option(
        None, "--telemonitoring-config", exists=True, dir_okay=False,
        help="The measurement model (default: the shipped synth/data/telemonitoring.yaml): values, "
        "deteriorations before admissions, false deteriorations, adherence.",
    ),
) -> None:
    """Write a synthetic data drop (persons, contacts) and its ground truth (truth/)."""
    from opspor import reference as ref

    start_d, end_d = cli_date(start, "--start"), cli_date(end, "--end")
    if end_d < start_d:
        raise typer.BadParameter("--end is before --start", param_hint="--end")
    if region is not None and region not in {r.code for r in ref.regions()}:
        codes = ", ".join(r.code for r in ref.regions())
        raise typer.BadParameter(f"unknown region {region!r}; use one of {codes}", param_hint="--region")
    as_of = tuple(cli_date(v, "--truth-as-of") for v in truth_as_of) if truth_as_of else None
    for d in as_of or ():
        if not start_d <= d <= end_d:
            raise typer.BadParameter(f"{d} is outside {start_d} - {end_d}", param_hint="--truth-as-of")
    trial_opts = None
    if trial is not None:
        from opspor.synth.trial import TrialOptions

        if trial_start is None:
            raise typer.BadParameter("--trial needs --trial-start", param_hint="--trial-start")
        t0 = cli_date(trial_start, "--trial-start")
        if not start_d <= t0 <= end_d:
            raise typer.BadParameter(f"{t0} is outside {start_d} - {end_d}", param_hint="--trial-start")
        if trial > persons:
            raise typer.BadParameter("--trial is larger than --persons", param_hint="--trial")
        trial_opts = TrialOptions(trial, t0, trial_effect, trial_who5_effect)
    elif trial_start is not None or trial_effect != 1.0 or trial_who5_effect != 0.0:
        raise typer.BadParameter("--trial-start/--trial-effect/--trial-who5-effect need --trial N",
                                 param_hint="--trial")
    tm_opts = None
    if telemonitoring is not None:
        from opspor import config_reader
        from opspor.synth import telemonitoring as tm_mod

        if trial is not None:
            raise typer.BadParameter("--telemonitoring and --trial cannot be combined; use two runs",
                                     param_hint="--telemonitoring")
        if telemonitoring_start is None:
            raise typer.BadParameter("--telemonitoring needs --telemonitoring-start",
                                     param_hint="--telemonitoring-start")
        t0 = cli_date(telemonitoring_start, "--telemonitoring-start")
        if not start_d < t0 <= end_d:
            raise typer.BadParameter(f"{t0} must lie after {start_d} and not after {end_d}",
                                     param_hint="--telemonitoring-start")
        if telemonitoring > persons:
            raise typer.BadParameter("--telemonitoring is larger than --persons", param_hint="--telemonitoring")
        try:
            tm_mod.load_config(telemonitoring_config)
        except config_reader.ConfigError as error:
            raise typer.BadParameter(str(error), param_hint="--telemonitoring-config") from None
        tm_opts = tm_mod.TelemonitoringOptions(telemonitoring, t0, telemonitoring_effect, telemonitoring_config)
    elif telemonitoring_start is not None or telemonitoring_effect != 1.0 or telemonitoring_config is not None:
        raise typer.BadParameter("--telemonitoring-start/-effect/-config need --telemonitoring N",
                                 param_hint="--telemonitoring")
    excess_opts = None
    if excess is not None:
        from opspor.synth import excess as excess_mod

        try:
            excess_opts = excess_mod.parse(excess)
            excess_mod.check(excess_opts, _municipality_codes(region))
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="--excess") from None
    shift_opts = None
    if risk_shift is not None:
        from opspor.synth import risk_shift as shift_mod

        if risk_shift_from is None:
            raise typer.BadParameter("--risk-shift needs --risk-shift-from", param_hint="--risk-shift-from")
        try:
            shift_opts = shift_mod.parse(risk_shift, cli_date(risk_shift_from, "--risk-shift-from"))
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="--risk-shift") from None
        try:
            shift_mod.check(shift_opts, _municipality_codes(region), start_d, end_d)
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="--risk-shift") from None
    elif risk_shift_from is not None:
        raise typer.BadParameter("--risk-shift-from needs --risk-shift", param_hint="--risk-shift")
    opts = Options(
        persons=persons, start=start_d, end=end_d, seed=seed, out=out, region=region,
        fmt=fmt.value, truth_as_of=as_of, workers=workers, chunk_size=chunk_size, trial=trial_opts,
        excess=excess_opts, telemonitoring=tm_opts, risk_shift=shift_opts,
    )
    console = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        tasks: dict[str, int] = {}
        labels = {"population": "population", "chunks": "persons, contacts, truth"}

        def progress(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(labels.get(step, step), total=total)
            bar.update(tasks[step], completed=done)

        summary = generate(opts, progress)
    _print_summary(summary)


def _print_summary(s) -> None:
    console = Console()
    table = Table(title="opspor synth", show_header=False)
    table.add_row("persons", f"{s.persons:,}")
    table.add_row("deaths (in hospital)", f"{s.deaths:,} ({s.deaths_in_hospital:,})")
    table.add_row("contacts", f"{s.contacts:,}")
    for (priority, ctype), k in sorted(s.by_priority_type.items()):
        table.add_row(f"  {priority} {ctype}", f"{k:,}")
    c = concepts.shipped()
    table.add_row(c.label("acute_admission", "en"), f"{s.acute_admissions:,}")
    table.add_row(f"planned {c.label('admission', 'en')}", f"{s.planned_admissions:,}")
    table.add_row("bed-days", f"{s.bed_days:,.0f}")
    table.add_row("truth as-of dates", ", ".join(s.as_of) or "(none)")
    table.add_row("truth rows", f"{s.truth_rows:,}")
    if s.excess:
        table.add_row("excess (municipality = factor)", ", ".join(f"{k}={v:g}" for k, v in s.excess.items()))
    if s.risk_shift:
        table.add_row(f"risk shift from {s.risk_shift['from']} (municipality = factor)",
                      ", ".join(f"{k}={v:g}" for k, v in s.risk_shift["municipalities"].items()))
    for name, k in s.telemonitoring.items():
        table.add_row(f"telemonitoring: {name.replace('_', ' ')}", f"{k:,}")
    for path, rows in s.files.items():
        table.add_row(path, f"{rows:,} rows")
    table.add_row("time", f"{s.seconds:.1f} s")
    console.print(table)
