"""``opspor monitor``: thin shells over ``opspor.monitor`` (indicators, targets, tasks, effect,
report, schedule).

Nothing printed or written here is about a person: indicator and target tables are aggregates,
the effect analysis prints estimates, and the committee report holds figures and charts.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from opspor import csv_safe
from opspor.cli.engine_option import engine_option
from opspor.cli.once_at import once_at_option
from opspor.cpr import mask as mask_cpr
from opspor.dates import cli_date
from opspor.i18n import localized
from opspor.rules import RuleConfigError
from opspor.store import StoreError

app = typer.Typer(
    help="Monitoring and evaluation: health-agreement indicators, targets, monitoring tasks, "
    "programme effect, the committee report. See docs/monitoring.md.",
    no_args_is_help=True,
)


def _expected() -> tuple[type[BaseException], ...]:
    from opspor.engines import EngineError
    from opspor.monitor.errors import MonitorError

    return (StoreError, RuleConfigError, MonitorError, EngineError)


def _err() -> Console:
    return Console(stderr=True)


def _fail(error: BaseException) -> typer.Exit:
    if isinstance(error, _expected()):
        _err().print(f"[red]{mask_cpr(str(error))}[/red]", markup=True, highlight=False, soft_wrap=True)
    else:
        _err().print(f"[red]internal error: {mask_cpr(f'{type(error).__name__}: {error}')}[/red]",
                     highlight=False, soft_wrap=True)
    return typer.Exit(1)


def _choice(value: str, allowed: tuple[str, ...], option: str) -> str:
    if value not in allowed:
        raise typer.BadParameter(f"{value!r}: use one of {', '.join(allowed)}", param_hint=option)
    return value


def _connect(snapshot: str | None, engine: str | None = None):
    from opspor import engines

    return engines.connect(engine, snapshot=snapshot)


def _num(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


# --------------------------------------------------------------------------- indicators


@app.command("indicators")
def indicators(
    by: str = typer.Option("municipality", "--by", help="municipality or region."),
    period: str = typer.Option("year", "--period", help="year or month."),
    out: Path = typer.Option(..., "--out", help="Output file: .csv or .xlsx."),
    outside_region: bool = typer.Option(
        False, "--outside-region", help="Suppress small numbers (for anything shown outside the region)."),
    threshold: int = typer.Option(None, "--threshold", min=1, help="Suppression threshold "
                                  "(default: indicators.yaml, 5: counts 1-4 are suppressed)."),
    indicator: list[str] = typer.Option(None, "--indicator", help="Only this indicator id (repeatable)."),
    first_year: int = typer.Option(None, "--from", help="First year (default: the data's first)."),
    last_year: int = typer.Option(None, "--to", help="Last year (default: the data's last)."),
    region: str = typer.Option(None, "--region", help="Only this region's residents, e.g. 1083."),
    snapshot: str = typer.Option(None, "--snapshot", help="Snapshot id (default: the current one)."),
    config: Path = typer.Option(None, "--config", help="Indicators file (default: the shipped one)."),
    engine: str = engine_option(),
) -> None:
    """Compute the indicators on a snapshot, by municipality or region, per year or month.

    Crude and age-standardised figures with 95 % intervals; every version of each indicator
    (e.g. preventable stays >= 4 h and the older admission-based version). Exit code 0: written;
    1: failed; 2: bad option.
    """
    from opspor.monitor import export
    from opspor.monitor.definitions import load_indicators
    from opspor.monitor.indicators import IndicatorError, compute

    _choice(by, ("municipality", "region"), "--by")
    _choice(period, ("year", "month"), "--period")
    if out.suffix.lower() not in export.FORMATS:
        raise typer.BadParameter(f"{out.name}: the file must end in .csv or .xlsx", param_hint="--out")
    if not out.parent.exists():
        raise typer.BadParameter(f"the folder {out.parent} does not exist", param_hint="--out")
    try:
        cfg = load_indicators(config)
        with _connect(snapshot, engine) as con:
            table = compute(con, by=by, period=period, indicators=indicator or None,
                            first_year=first_year, last_year=last_year, region=region,
                            outside_region=outside_region, threshold=threshold, config=cfg)
        export.write(table, out, cfg)
    except IndicatorError as error:
        raise typer.BadParameter(str(error)) from None
    except Exception as error:  # noqa: BLE001 - shown without a traceback
        raise _fail(error) from None
    console = Console(highlight=False)
    summary = Table("indicator", "version", "rows", "suppressed", "not reported", title=f"Indicators by {by} and {period}",
                    title_justify="left")
    counts: dict[tuple[str, str], list[int]] = {}
    for r in table.rows:
        c = counts.setdefault((r.indicator_id, r.indicator_version), [0, 0, 0])
        c[0] += 1
        c[1] += r.suppressed
        c[2] += not r.lookback_complete
    for (ind, ver), (n, s, short) in counts.items():
        summary.add_row(ind, ver, f"{n:,}", f"{s:,}", f"{short:,}")
    console.print(summary)
    if any(not r.lookback_complete for r in table.rows):
        console.print("not reported: periods whose condition look-back (indicators.yaml, conditions: lookback_days) "
                      "begins before the data; the rows say how many days are missing (lookback_missing_days)",
                      soft_wrap=True)
    note = (f"small numbers suppressed (below {table.threshold})" if outside_region
            else "small numbers NOT suppressed: for use inside the region only")
    console.print(f"snapshot {table.snapshot_id}; {note}; {table.seconds:.1f} s", soft_wrap=True)
    console.print(f"written: {out}", soft_wrap=True)


# --------------------------------------------------------------------------- targets


@app.command("targets")
def targets(
    region: str = typer.Option(None, "--region", help="Only this region's targets (default: all)."),
    out: Path = typer.Option(None, "--out", help="Also write the table to this .csv file."),
    snapshot: str = typer.Option(None, "--snapshot", help="Snapshot id (default: the current one)."),
    targets_file: Path = typer.Option(None, "--targets", help="Targets file (default: the shipped one)."),
    config: Path = typer.Option(None, "--config", help="Indicators file (default: the shipped one)."),
    lang: str = typer.Option("da", "--lang", help="da or en."),
) -> None:
    """Each target's yearly path against the actual figure of its region, with a status
    (on track / off track / no data), and the rebasing of targets whose definition changed."""
    from opspor.monitor import targets as tg
    from opspor.monitor.definitions import load_indicators
    from opspor.monitor.indicators import compute

    _choice(lang, ("da", "en"), "--lang")
    if out is not None and out.suffix.lower() != ".csv":
        raise typer.BadParameter(f"{out.name}: the file must end in .csv", param_hint="--out")
    try:
        cfg = load_indicators(config)
        target_set = tg.load_targets(targets_file, cfg)
        chosen = [t for t in target_set.targets if region is None or t.region == region]
        if not chosen:
            raise typer.BadParameter(f"no targets for region {region!r}", param_hint="--region")
        ids = sorted({t.indicator for t in chosen})
        with _connect(snapshot) as con:
            table = compute(con, by="region", period="year", indicators=ids, config=cfg)
        subset = tg.TargetSet(target_set.file, target_set.version, target_set.digest,
                              target_set.tolerance, tuple(chosen))
        statuses = tg.evaluate(subset, table)
    except typer.BadParameter:
        raise
    except Exception as error:  # noqa: BLE001
        raise _fail(error) from None
    labels = tg.status_labels(lang)
    console = Console(highlight=False)
    for t in chosen:
        rows = [s for s in statuses if s.target_id == t.id
                and (s.actual is not None or s.year in (t.path.baseline_year, t.path.target_year))]
        title = localized(t, "title", lang)
        tab = Table("year", "path", "actual", "95 % CI", "status", title=f"{title} [{t.id}]",
                    title_justify="left")
        for s in rows:
            ci = "" if s.actual_low is None else f"{_num(s.actual_low)}-{_num(s.actual_high)}"
            mark = " (after target year)" if s.after_target_year else ""
            style = {"on_track": "green", "off_track": "red"}.get(s.status, "")
            tab.add_row(str(s.year), _num(s.path_value), _num(s.actual), ci,
                        f"[{style}]{labels[s.status]}[/{style}]{mark}" if style else labels[s.status] + mark)
        console.print(tab)
        rule = tg.rule_rebased(t)
        if rule is not None:
            console.print(
                f"  rebased from version {t.rebased_from.indicator_version} "
                f"({t.rebased_from.path.baseline:g} -> {t.rebased_from.path.target:g}): the rule "
                f"(same percentage development) gives {rule.target:.1f} in {rule.target_year}; adopted "
                f"{t.path.target:g} ({t.rebased_from.method}: {t.rebased_from.reason})", soft_wrap=True)
    console.print(f"snapshot {table.snapshot_id}; tolerance {target_set.tolerance:.0%}; "
                  f"targets {target_set.file} v{target_set.version}", soft_wrap=True)
    if out is not None:

        with open(out, "w", newline="", encoding="utf-8") as f:
            w = csv_safe.writer(f, lineterminator="\n")
            fields = list(tg.TargetStatus.__dataclass_fields__)
            w.writerow(fields)
            for s in statuses:
                w.writerow(["" if getattr(s, k) is None else getattr(s, k) for k in fields])
        console.print(f"written: {out}", soft_wrap=True)


# --------------------------------------------------------------------------- report


@app.command("report")
def report(
    region: str = typer.Option(..., "--region", help="Region code, e.g. 1083."),
    year: int = typer.Option(..., "--year", help="The report's year (the latest year shown)."),
    out: Path = typer.Option(..., "--out", help="Output folder (report.html, report.pdf, charts/)."),
    lang: str = typer.Option("da", "--lang", help="da (default) or en."),
    rollout: Path = typer.Option(None, "--rollout", help="Folder with screenings.csv, enrolments.csv, "
                                 "sessions.csv (the funnels and intake; docs/monitoring.md)."),
    trial: Path = typer.Option(None, "--trial", help="trial.csv of a randomised programme (intention-to-treat "
                               "analysis); e.g. DROP/truth/trial.csv of `opspor synth --trial`."),
    who5: Path = typer.Option(None, "--who5", help="WHO-5 scores (trial_who5.csv) for the well-being analysis."),
    register: Path = typer.Option(None, "--register", help="Monitoring-task register (YAML) for the tasks section."),
    as_of: str = typer.Option(None, "--as-of", help="Status day of rollout and tasks (default: 31 December of --year)."),
    no_suppression: bool = typer.Option(False, "--no-suppression", help="Show small numbers (only for use "
                                        "inside the region)."),
    snapshot: str = typer.Option(None, "--snapshot", help="Snapshot id (default: the current one)."),
) -> None:
    """Write the committee report (HTML and PDF; Danish by default) for a region and year.

    Exit code 0: written; 1: failed; 2: bad option.
    """
    from opspor.monitor.register import load_register
    from opspor.monitor.report import make_report
    from opspor.monitor.report_build import Inputs, read_rollout_dir

    _choice(lang, ("da", "en"), "--lang")
    day = cli_date(as_of, "--as-of")
    for path, option in ((trial, "--trial"), (who5, "--who5"), (register, "--register")):
        if path is not None and not path.is_file():
            raise typer.BadParameter(f"no file {path}", param_hint=option)
    try:
        inputs = Inputs(trial=trial, who5=who5, register=load_register(register) if register else None)
        if rollout is not None:
            inputs.screenings, inputs.enrolments, inputs.sessions = read_rollout_dir(rollout)
        result = make_report(region, year, out, lang, inputs, snapshot, not no_suppression, day)
    except Exception as error:  # noqa: BLE001
        raise _fail(error) from None
    console = Console(highlight=False)
    console.print(f"[bold]Committee report[/bold] for region {region}, {year}, on snapshot {result.snapshot_id} "
                  f"({result.seconds:.1f} s): {', '.join(result.sections)}", soft_wrap=True)
    console.print(f"written: {result.html}\nwritten: {result.pdf}", soft_wrap=True)


# --------------------------------------------------------------------------- tasks


@app.command("tasks")
def tasks(
    register: Path = typer.Option(None, "--register", help="Register file (YAML; default: the example "
                                  "register of the synthetic region)."),
    as_of: str = typer.Option(None, "--as-of", help="Status day (default: today)."),
    year: int = typer.Option(None, "--year", help="Year of the annual calendar (default: the status day's)."),
    out: Path = typer.Option(None, "--out", help="Folder for the one-page PDF per follow-up group and "
                             "aarshjul.csv."),
    lang: str = typer.Option("da", "--lang", help="da or en."),
) -> None:
    """The monitoring tasks: what is overdue or due, the annual calendar (årshjul), and one PDF
    page per follow-up group (with --out)."""

    from opspor.lists.schedule import today
    from opspor.monitor import tasks as tk
    from opspor.monitor import tasks_pdf
    from opspor.monitor.register import load_register

    _choice(lang, ("da", "en"), "--lang")
    day = cli_date(as_of, "--as-of") or today()
    try:
        reg = load_register(register)
        all_tasks = list(reg.tasks)
        items = tk.due_list(all_tasks, day)
        the_year = year or day.year
        files = []
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            for i, g in enumerate(tk.groups(all_tasks), start=1):
                files.append(tasks_pdf.write_group_pdf(all_tasks, g, out / f"group-{i}.pdf", day, the_year,
                                                       reg.meetings, lang))
            wheel = tk.aarshjul(all_tasks, the_year, {g: list(d) for g, d in reg.meetings.items()})
            with open(out / "aarshjul.csv", "w", newline="", encoding="utf-8") as f:
                w = csv_safe.writer(f, lineterminator="\n")
                w.writerow(["group", "task_id", "title", *[f"{m:02d}" for m in range(1, 13)]])
                for r in wheel.rows:
                    w.writerow([r.group, r.task_id, r.title, *r.cells])
            files.append(out / "aarshjul.csv")
    except Exception as error:  # noqa: BLE001
        raise _fail(error) from None
    states = tk.state_labels(lang)
    console = Console(highlight=False)
    table = Table("group", "task", "next due", "state", title=f"Monitoring tasks on {day}", title_justify="left")
    for i in items:
        if i.state in (tk.OVERDUE, tk.DUE, tk.UPCOMING):
            style = {"overdue": "red", "due": "yellow"}.get(i.state, "")
            label = f"[{style}]{states[i.state]}[/{style}]" if style else states[i.state]
            table.add_row(i.task.group, i.task.title, i.next_due.isoformat(), label)
    console.print(table)
    counts = {s: sum(i.state == s for i in items) for s in (tk.OVERDUE, tk.DUE, tk.ONGOING, tk.UNRESOLVED)}
    console.print(", ".join(f"{states[k]}: {v}" for k, v in counts.items()), soft_wrap=True)
    for f in files:
        console.print(f"written: {f}", soft_wrap=True)


# --------------------------------------------------------------------------- effect


@app.command("effect")
def effect(
    trial: Path = typer.Option(..., "--trial", help="trial.csv: cpr or person_key, arm, stratum, randomised_on."),
    who5: Path = typer.Option(None, "--who5", help="trial_who5.csv: WHO-5 scores at months 0, 3, 6, 12."),
    before_after: bool = typer.Option(False, "--before-after", help="Also the before-after comparison of the "
                                      "control arm (what a study without randomisation would have seen)."),
    out: Path = typer.Option(None, "--out", help="Also write the estimates to this .json file."),
    snapshot: str = typer.Option(None, "--snapshot", help="Snapshot id (default: the current one)."),
) -> None:
    """Intention-to-treat analysis of a randomised programme on a snapshot: acute admissions and
    bed-days at 3, 6 and 12 months (rate ratios), well-being (WHO-5, mixed model)."""
    import json

    from opspor.monitor import effect as eff

    for path, option in ((trial, "--trial"), (who5, "--who5")):
        if path is not None and not path.is_file():
            raise typer.BadParameter(f"no file {path}", param_hint=option)
    if out is not None and out.suffix.lower() != ".json":
        raise typer.BadParameter(f"{out.name}: the file must end in .json", param_hint="--out")
    try:
        participants = eff.read_participants(trial)
        key = "person_key" if "person_key" in trial.read_text(encoding="utf-8").split("\n", 1)[0] else "cpr"
        with _connect(snapshot) as con:
            data = eff.outcomes(con, participants, key)
            estimates = eff.itt(data, eff.read_who5(who5) if who5 else None, participants)
            if before_after:
                estimates.append(eff.before_after(con, [p for p in participants if p.arm == "control"], key,
                                                  label="before_after"))
    except Exception as error:  # noqa: BLE001
        raise _fail(error) from None
    console = Console(highlight=False)
    table = Table(title="Intention to treat (rate ratio: intervention/control; WHO-5: difference in points)",
                  title_justify="left")
    for name in ("outcome", "months", "estimate", "95 % CI", "p", "n (I/C)"):
        table.add_column(name, no_wrap=True)
    for e in estimates:
        table.add_row(e.outcome, str(e.months), f"{e.estimate:.3f}", f"{e.low:.3f} - {e.high:.3f}",
                      f"{e.p_value:.3g}", f"{e.n_intervention}/{e.n_control}")
    console.print(table)
    if before_after:
        console.print("before-after: not an effect estimate (regression to the mean, no comparison group); "
                      "see docs/monitoring.md", soft_wrap=True)
    if out is not None:
        out.write_text(json.dumps([e.as_dict() for e in estimates], indent=2) + "\n", encoding="utf-8")
        console.print(f"written: {out}", soft_wrap=True)


# --------------------------------------------------------------------------- schedule


@app.command("schedule")
def schedule_command(
    once_at: str = once_at_option("the report was made"),
    register: Path = typer.Option(None, "--register", help="Monitoring-task register for the tasks section."),
) -> None:
    """Make the committee report every month (OPSPOR_MONITOR_REPORT_DAY, _AT, _REGION, _LANG;
    default day 1 at 07:00 Copenhagen, region 1083) into $OPSPOR_HOME/monitor/reports/."""
    from opspor.lists.scheduler import configure_logging
    from opspor.monitor import schedule as sch

    try:
        settings = sch.settings()
    except Exception as error:  # noqa: BLE001
        raise _fail(error) from None
    configure_logging()
    job = (lambda: sch.run_report(settings, register=register)) if register else None
    raise typer.Exit(sch.serve(settings, once_at, job))


# --------------------------------------------------------------------------- the web app


@app.command("publish")
def publish_command(
    snapshot: str = typer.Option(None, "--snapshot", help="Snapshot id (default: the current one)."),
    effect_file: Path = typer.Option(None, "--effect", help="Instead: put the estimates of `opspor monitor "
                                     "effect --out FILE.json` into the web app's effect page."),
    engine: str = engine_option(),
) -> None:
    """Compute every indicator (years and months, municipality and region) and the targets' status
    on the snapshot and store them in the web app's database for the dashboard. Publishing the
    same snapshot with the same configuration again changes nothing."""
    from opspor.cli.web import django_setup

    django_setup()
    from opspor.web.monitoring.publish import EffectFileError, publish, publish_effect

    if effect_file is not None:
        if not effect_file.is_file():
            raise typer.BadParameter(f"no file {effect_file}", param_hint="--effect")
        try:
            done = publish_effect(effect_file)
        except EffectFileError as error:
            _err().print(f"[red]{mask_cpr(str(error))}[/red]", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
        Console(highlight=False).print(
            f"{effect_file.name}: already published; nothing changed." if done.already else
            f"Published {done.estimates} effect estimates from {effect_file.name}.", soft_wrap=True)
        return
    try:
        result = publish(snapshot, engine=engine)
    except Exception as error:  # noqa: BLE001
        raise _fail(error) from None
    console = Console(highlight=False)
    if result.already:
        console.print(f"Snapshot {result.snapshot_id} is already published with this configuration; nothing changed.")
    else:
        console.print(f"Published snapshot {result.snapshot_id}: {result.values:,} indicator values, "
                      f"{result.targets:,} target years ({result.seconds:.1f} s).")


@app.command("import-register")
def import_register_command(
    file: Path = typer.Argument(None, help="Register YAML (default: the example register "
                                "src/opspor/monitor/config/monitoring_register.yaml)."),
    update: bool = typer.Option(False, "--update", help="Overwrite tasks already in the database with the "
                                "file's values (default: keep them as edited in the web app)."),
) -> None:
    """Put a monitoring-task register into the web app: missing follow-up groups and tasks are
    created; importing the same file again changes nothing."""
    from opspor.cli.web import django_setup

    django_setup()
    from opspor.web.monitoring.register import import_register

    if file is not None and not file.is_file():
        raise typer.BadParameter(f"{file} is not a file", param_hint="FILE")
    try:
        r = import_register(file, update=update)
    except Exception as error:  # noqa: BLE001
        raise _fail(error) from None
    Console(highlight=False).print(
        f"Register {r.file} (version {r.version}): {r.groups_created} follow-up groups and {r.created} tasks "
        f"created, {r.updated} updated, {r.kept} already present and kept.", soft_wrap=True)


@app.command("demo-rollout", hidden=True)
def demo_rollout(
    trial: Path = typer.Option(..., "--trial", help="trial.csv of `opspor synth --trial`."),
    out: Path = typer.Option(..., "--out", help="Folder for screenings.csv, enrolments.csv, sessions.csv."),
    as_of: str = typer.Option(..., "--as-of", help="Status day (YYYY-MM-DD)."),
    seed: int = typer.Option(1, "--seed"),
) -> None:
    """SYNTHETIC rollout rows made up from a simulated trial, for demos and docs (no persons)."""
    from opspor.monitor import demo_rollout as demo

    day = cli_date(as_of, "--as-of")
    try:
        files = demo.write(trial, out, day, seed)
    except Exception as error:  # noqa: BLE001
        raise _fail(error) from None
    for f in files:
        Console(highlight=False).print(f"written: {f}", soft_wrap=True)
