"""``opspor risk``: thin shells over ``opspor.risk`` (train, report, models, select-model, card,
score, select).

Nothing printed here holds a CPR number: the console shows counts, ids, figures and paths. The
one output with CPR numbers is the CSV of ``opspor risk select`` (mode 0600).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from opspor import csv_safe
from opspor.cli.engine_option import engine_option
from opspor.cpr import mask as mask_cpr
from opspor.dates import cli_date

# The models (scikit-learn, matplotlib) are imported by the commands that use them, so that
# `opspor --help` and the other commands start fast.

app = typer.Typer(
    help="Risk model for Aktiv Patientstøtte: train and evaluate, score everybody, select the "
    "highest-risk eligible persons per region. See docs/risk.md.",
    no_args_is_help=True,
)

LANG_HELP = "Language of the report and the explanations: da (default) or en."
_CAPACITY = re.compile(r"^\s*(\d{4})\s*[=,;:]\s*(\d+)\s*$")


def _err() -> Console:
    return Console(stderr=True, highlight=False)


def _expected() -> tuple[type[BaseException], ...]:
    from opspor.risk.config import RiskConfigError
    from opspor.risk.models.training import TrainingError
    from opspor.risk.outcome import OutcomeError
    from opspor.risk.registry import RegistryError
    from opspor.risk.scoring import ScoringError
    from opspor.risk.selection import SelectionError
    from opspor.risk.truth import TruthError
    from opspor.engines import EngineError
    from opspor.rules import RuleConfigError
    from opspor.store import StoreError

    return (StoreError, RiskConfigError, RuleConfigError, RegistryError, ScoringError, SelectionError,
            TrainingError, OutcomeError, TruthError, EngineError)


def _fail(error: BaseException) -> typer.Exit:
    if isinstance(error, _expected()):
        _err().print(f"[red]{mask_cpr(str(error))}[/red]", soft_wrap=True)
    else:
        _err().print(f"[red]internal error: {mask_cpr(f'{type(error).__name__}: {error}')}[/red]",
                     soft_wrap=True)
    return typer.Exit(1)


def _log(message: str) -> None:
    _err().print(f"[dim]{mask_cpr(message)}[/dim]", soft_wrap=True)


def _as_of(value: str | None) -> dt.date:
    from opspor.lists import schedule

    return cli_date(value, "--as-of") or schedule.today()


def _lang(value: str) -> str:
    if value not in ("da", "en"):
        raise typer.BadParameter(f"{value!r}: use da or en", param_hint="--lang")
    return value


def _f(value, digits: int = 3) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def _pct(value) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{100 * value:.1f} %"


@app.command("train")
def train(
    test_as_of: str = typer.Option(None, "--test-as-of", help="Test as-of date (YYYY-MM-DD). Default: the "
                                   "latest quarter day whose outcome horizon lies inside the data."),
    horizon: str = typer.Option(None, "--horizon", help="Outcome horizon: 3m, 6m or 12m (outcome.yaml). Default: outcome.yaml's."),
    truth: Path = typer.Option(None, "--truth", exists=True, file_okay=False, dir_okay=True,
                               help="Synthetic data only: the truth/ folder of `opspor synth`, to put the "
                               "generator's true probabilities beside the models in the report."),
    lang: str = typer.Option("da", "--lang", help=LANG_HELP),
    engine: str = engine_option(),
) -> None:
    """Train both models on the current snapshot with temporal validation, evaluate them on the
    test as-of date, store them and write the report ($OPSPOR_HOME/risk/).

    Exit code 0: stored; 1: nothing stored (the message says why)."""
    from opspor.risk import jobs

    lang = _lang(lang)
    try:
        result = jobs.train(cli_date(test_as_of, "--test-as-of"), horizon, truth, lang, log=_log, engine=engine)
    except typer.BadParameter:
        raise
    except Exception as error:  # noqa: BLE001 - shown masked, never with a traceback of data
        raise _fail(error) from None
    console = Console(highlight=False)
    sched = result["schedule"]
    console.print(f"[bold]Trained[/bold] {result['training_id']} on snapshot {result['snapshot_id']}: "
                  f"training as-of {', '.join(sched['train_as_of'])}; test as-of {sched['test_as_of']} "
                  f"({result['persons']:,} persons, {result['positives']:,} admitted within "
                  f"{sched['horizon_days']} days)", soft_wrap=True)
    table = Table("score", "AUROC [95 % CI]", "AUPRC", "Brier", "cal. intercept", "cal. slope",
                  "top 1 % sens./PPV", "top 5 % sens./PPV", title="Test as-of date", title_justify="left")
    for name, m in result["overall"].items():
        tops = {round(t["share"], 4): t for t in m["top"]}
        cells = []
        for share in (0.01, 0.05):
            t = tops.get(share)
            cells.append(f"{_pct(t['sensitivity'])} / {_pct(t['ppv'])}" if t else "–")
        table.add_row(name, f"{_f(m['auroc'])} [{_f(m['auroc_ci'][0])}; {_f(m['auroc_ci'][1])}]",
                      _f(m["auprc"]), _f(m["brier"], 4), _f(m["calibration_intercept"]),
                      _f(m["calibration_slope"]), *cells)
    console.print(table)
    head = result["headline"]
    if head.get("truth_auroc") is not None:
        console.print(f"boosted / true probabilities AUROC: {_f(head['ratio'])} (required >= 0.95: "
                      f"{'met' if head['ratio_met'] else 'NOT met'}); calibration slope "
                      f"{_f(head['boosted_calibration_slope'])} (required 0.9-1.1: "
                      f"{'met' if head['slope_met'] else 'NOT met'})", soft_wrap=True)
    for kind, model_id in result["models"].items():
        mark = " (model.yaml `select`: the one to propose)" if model_id == result["chosen"] else ""
        console.print(f"model {kind}: {model_id}{mark}", soft_wrap=True)
    console.print("To put a model in use: the programme lead proposes it and a doctor of the region approves "
                  "it on the web page Risikomodeller; see docs/risk.md, Governance", soft_wrap=True)
    console.print(f"report: {result['report']}", soft_wrap=True)
    console.print(f"[dim]{', '.join(f'{k} {v:.1f} s' for k, v in result['timings_seconds'].items())}[/dim]")


@app.command("report")
def report(
    model: str = typer.Option(None, "--model", help="A model id (default: the selected model)."),
    out: Path = typer.Option(None, "--out", help="HTML file to write. Default: the training run's folder."),
    lang: str = typer.Option("da", "--lang", help=LANG_HELP),
) -> None:
    """Write the evaluation report (HTML) of a model's training run again, e.g. in English."""
    from opspor.risk import jobs

    lang = _lang(lang)
    try:
        path = jobs.make_report(model, out, lang)
    except Exception as error:  # noqa: BLE001
        raise _fail(error) from None
    Console(highlight=False).print(f"report: {path}", soft_wrap=True)


@app.command("models")
def models() -> None:
    """The stored models, oldest first; approval and the selected one are marked."""
    from opspor.risk import governance, registry

    try:
        records = registry.list_models()
        chosen = registry.selected()
        entries = governance.decisions()
    except Exception as error:  # noqa: BLE001
        raise _fail(error) from None
    if not records:
        Console(highlight=False).print("no stored models: train one with `opspor risk train`")
        return
    table = Table("model id", "kind", "trained", "snapshot", "test as-of", "horizon", "AUROC", "cal. slope",
                  "approved", "selected")
    for r in records:
        m = r.get("metrics", {})
        table.add_row(r["model_id"], r["kind"], r.get("created_at", ""), r.get("snapshot_id", ""),
                      m.get("test_as_of", ""), str(r["training"]["schedule"]["horizon_days"]) + " d",
                      _f(m.get("auroc")), _f(m.get("calibration_slope")),
                      _approval(governance.state(r["model_id"], entries).approved),
                      "yes" if r["model_id"] == chosen else "")
    Console(highlight=False).print(table)


def _approval(entry: dict | None) -> str:
    return f"{entry['username']} {entry['at'][:10]}" if entry else "no"


@app.command("select-model")
def select_model(model_id: str = typer.Argument(..., help="The id of a stored model (`opspor risk models`).")) -> None:
    """Put an approved stored model in use for scoring and selection (recorded in the decision log).
    A model without a recorded approval is refused."""
    from opspor.risk import governance, registry

    try:
        registry.model_record(model_id)
        entry = governance.select(model_id, governance.command_line_actor())
    except Exception as error:  # noqa: BLE001
        raise _fail(error) from None
    approved = _approval(governance.state(model_id).approved)
    Console(highlight=False).print(f"selected model {model_id} (approved: {approved}; in use before: "
                                   f"{entry['previous'] or 'none'})", soft_wrap=True)


@app.command("card")
def card(
    model: str = typer.Option(None, "--model", help="A model id (default: the selected model)."),
    out: Path = typer.Option(None, "--out", help="File to write: Markdown, or PDF when it ends in .pdf "
                             "(default: print the Markdown)."),
    lang: str = typer.Option("da", "--lang", help=LANG_HELP),
) -> None:
    """The model card: intended use, data and period, performance, by group, fairness at the
    capacity threshold, decisions, external validation, limits, who proposed and approved it.
    Written to --out (Markdown or PDF) or printed."""
    from opspor.risk import modelcard, registry

    lang = _lang(lang)
    try:
        model_id = model or registry.require_selected()
        text = modelcard.markdown(modelcard.card(model_id, lang), lang)
    except Exception as error:  # noqa: BLE001
        raise _fail(error) from None
    if out is None:
        Console(highlight=False).print(text, markup=False, soft_wrap=True)
        return
    out = out.expanduser()
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".pdf":
        from opspor.risk import modelcard_pdf

        modelcard_pdf.write(text, out, model_id)
    else:
        out.write_text(text, encoding="utf-8")
    Console(highlight=False).print(f"model card: {out}", soft_wrap=True)


@app.command("score")
def score(
    as_of: str = typer.Option(None, "--as-of", help="As-of date (YYYY-MM-DD). Default: today in Copenhagen."),
    model: str = typer.Option(None, "--model", help="A model id (default: the selected model)."),
    lang: str = typer.Option("da", "--lang", help=LANG_HELP),
    engine: str = engine_option(),
) -> None:
    """Score everybody alive on the as-of date with the selected model and store the scores.

    Refuses a model whose feature schema differs from the current configuration's.
    Exit code 0: stored; 1: nothing stored."""
    from opspor.risk import scoring

    lang = _lang(lang)
    day = _as_of(as_of)
    try:
        record = scoring.score(day, model, lang=lang, log=_log, engine=engine)
    except Exception as error:  # noqa: BLE001
        raise _fail(error) from None
    console = Console(highlight=False)
    console.print(f"[bold]Scored[/bold] {record['persons']:,} persons as of {record['as_of']} with "
                  f"{record['model_kind']} model {record['model_id']} on snapshot {record['snapshot_id']}: "
                  f"score set {record['score_id']}", soft_wrap=True)
    console.print("persons by region: " + ", ".join(f"{k} {v:,}" for k, v in record["regions"].items()),
                  soft_wrap=True)
    console.print(f"{record['explained']:,} explained; file {record['path']}", soft_wrap=True)
    console.print(f"[dim]{', '.join(f'{k} {v:.1f} s' for k, v in record['timings_seconds'].items())}[/dim]")


def _capacities(values: list[str], file: Path | None) -> dict[str, int]:
    out: dict[str, int] = {}
    items = [(v, "--capacity") for v in values or []]
    if file is not None:
        try:
            lines = file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise typer.BadParameter(f"{file} cannot be read ({exc.strerror})", param_hint="--capacity-file") from None
        for number, line in enumerate(lines, start=1):
            text = line.split("#", 1)[0].strip()
            if not text or (number == 1 and text.lower().replace(" ", "").startswith("region")):
                continue
            items.append((text, f"--capacity-file line {number}"))
    for value, where in items:
        m = _CAPACITY.match(value)
        if not m:
            raise typer.BadParameter(f"{value!r} is not REGION=N (a 4-digit region code and a whole number, "
                                     "e.g. 1083=200)", param_hint=where)
        if m.group(1) in out:
            raise typer.BadParameter(f"region {m.group(1)} is given twice", param_hint=where)
        out[m.group(1)] = int(m.group(2))
    if not out:
        raise typer.BadParameter("give each region's capacity: --capacity 1083=200 (repeat per region) or "
                                 "--capacity-file FILE", param_hint="--capacity")
    return out


def _exclusions(file: Path | None) -> set[str]:
    if file is None:
        return set()
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise typer.BadParameter(f"{file} cannot be read ({exc.strerror})", param_hint="--exclude-file") from None
    keys = set()
    for number, line in enumerate(lines, start=1):
        text = line.split("#", 1)[0].strip()
        if not text or (number == 1 and text.lower() == "person_key"):
            continue
        if not re.match(r"^[0-9a-f]{16}$", text):
            raise typer.BadParameter(f"line {number} is not a person key (16 hex digits, as in scores and "
                                     "lists); CPR numbers are not accepted here", param_hint="--exclude-file")
        keys.add(text)
    return keys


SELECT_COLUMNS = ["region_code", "rank", "cpr", "name", "person_key", "score", "rank_in_region", "routes",
                  "explanation"]


def write_selection_csv(path: Path, rows: list[dict]) -> None:
    """Write the selection (with CPR numbers) readable by the owner only, replacing ``path``."""
    path = path.expanduser().resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            writer = csv_safe.DictWriter(f, SELECT_COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@app.command("select")
def select(
    out: Path = typer.Option(..., "--out", help="CSV file to write (it holds CPR numbers; mode 0600)."),
    as_of: str = typer.Option(None, "--as-of", help="As-of date (YYYY-MM-DD). Default: today in Copenhagen."),
    capacity: list[str] = typer.Option(None, "--capacity", help="A region's places: REGION=N, e.g. "
                                       "1083=200. Repeat for each region; a region without one gets nobody."),
    capacity_file: Path = typer.Option(None, "--capacity-file", help="Capacities, one REGION,N (or "
                                       "REGION=N) per line; an optional header line."),
    exclude_file: Path = typer.Option(None, "--exclude-file", help="Person keys already in the programme, "
                                      "one per line."),
) -> None:
    """Select, per region, the highest-ranked eligible persons (Aktiv Patientstøtte eligibility,
    not excluded, not already in the programme) up to the region's capacity, and write them to
    OUT with CPR number and name, rank, score and a short explanation.

    Uses the stored scores of the selected model for the date (scores it first if there are
    none). Exit code 0: written; 1: nothing written; 2: bad options."""
    from opspor.risk import selection

    caps = _capacities(capacity, capacity_file)
    already = _exclusions(exclude_file)
    day = _as_of(as_of)
    if out.exists() and out.is_dir():
        raise typer.BadParameter(f"{out} is a folder; give a file name", param_hint="--out")
    try:
        result = selection.select(day, caps, already, log=_log)
        rows = _rows_with_identity(result)
        write_selection_csv(out, rows)
    except Exception as error:  # noqa: BLE001
        raise _fail(error) from None
    console = Console(highlight=False)
    console.print(f"[bold]Selected[/bold] {len(result.selected):,} persons as of {result.as_of} with model "
                  f"{result.model_id} (scores {result.score_id}, snapshot {result.snapshot_id})", soft_wrap=True)
    table = Table("region", "capacity", "eligible with a score", "already in programme", "selected")
    for region, c in result.by_region.items():
        table.add_row(region, str(c["capacity"]), f"{c['eligible_scored']:,}", f"{c['already_in_programme']:,}",
                      f"{c['selected']:,}")
    console.print(table)
    console.print(f"written to {out.expanduser().resolve()} (holds CPR numbers: readable by you only)",
                  soft_wrap=True)


def _rows_with_identity(result) -> list[dict]:
    import pyarrow as pa

    from opspor import engines

    keys = [s.person_key for s in result.selected]
    identity: dict[str, tuple[str, str]] = {}
    if keys:
        with engines.connect(snapshot=result.snapshot_id) as engine:
            engine.register("_opspor_selected", pa.table({"person_key": pa.array(keys, pa.string())}))
            for key, cpr, name in engine.rows(
                    "SELECT i.person_key, i.cpr, i.name FROM identity i JOIN _opspor_selected s "
                    "USING (person_key)"):
                identity[key] = (cpr, name)
    return [{"region_code": s.region_code, "rank": s.rank, "cpr": identity.get(s.person_key, ("", ""))[0],
             "name": identity.get(s.person_key, ("", ""))[1], "person_key": s.person_key,
             "score": f"{s.score:.4f}", "rank_in_region": s.rank_in_region, "routes": ";".join(s.routes),
             "explanation": s.explanation} for s in result.selected]


@app.command("monitor")
def monitor(
    month: str = typer.Option(..., "--month", help="The month whose scores are monitored (YYYY-MM); their outcome "
                              "must be known (the horizon inside the data)."),
    config: Path = typer.Option(None, "--config", exists=True, dir_okay=False,
                                help="Limits file (default: monitoring.yaml of OPSPOR_RISK_CONFIG or the shipped one)."),
    publish: bool = typer.Option(False, "--publish", help="Publish the run to the web app's monitoring page and "
                                 "alert the programme leads when a limit is passed."),
    engine: str = engine_option(),
) -> None:
    """Monitor the risk model after deployment: observed against expected by region,
    municipality, GP practice, sex, age band and residence type, AUROC over time and feature
    drift, for the scores made in MONTH; alerts where a limit of monitoring.yaml is passed.

    Writes $OPSPOR_HOME/risk/monitoring/<month>/<run>/monitoring.json and report.pdf.
    Exit code 0: stored (alerts or not); 1: nothing stored (the message says why); 2: bad options."""
    from opspor.risk import monitoring
    from opspor.risk.monitoring_pdf import alert_text

    try:
        first = monitoring.parse_month(month)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--month") from None
    try:
        record = monitoring.monitor(first, log=_log, engine=engine, config=config)
        published = _publish_monitoring(record) if publish else None
    except Exception as error:  # noqa: BLE001
        if isinstance(error, monitoring.MonitorError):
            _err().print(f"[red]{mask_cpr(str(error))}[/red]", soft_wrap=True)
            raise typer.Exit(1) from None
        raise _fail(error) from None
    console = Console(highlight=False)
    o = record["overall"]
    console.print(f"[bold]Monitored[/bold] {record['month']}: scores {record['score_id']} of {record['as_of']} "
                  f"(model {record['model_id']}), outcome within {record['horizon_days']} days; "
                  f"{record['persons']:,} persons, {o['observed']:,} admitted, {o['expected']:,.1f} expected "
                  f"(O/E {_f(o['ratio'], 2)} [{_f(o['ratio_low'], 2)}; {_f(o['ratio_high'], 2)}]); calibration "
                  f"slope {_f(o['slope'], 2)} [{_f(o['slope_low'], 2)}; {_f(o['slope_high'], 2)}]; AUROC "
                  f"{_f(o['auroc'])} [{_f(o['auroc_low'])}; {_f(o['auroc_high'])}]", soft_wrap=True)
    table = Table("month", "persons", "admitted", "AUROC [95 % CI]", title="AUROC over time", title_justify="left")
    for p in record["auroc_over_time"]:
        table.add_row(p["month"], f"{p['persons']:,}", f"{p['positives']:,}",
                      f"{_f(p['auroc'])} [{_f(p['auroc_low'])}; {_f(p['auroc_high'])}]")
    console.print(table)
    drift = ", ".join(f"{r['feature']} {r['psi']:.3f}" for r in record["drift"]["features"][:5])
    console.print(f"largest feature drift (PSI): {drift}", soft_wrap=True)
    for alert in record["alerts"]:
        console.print(f"[red]ALERT[/red] {alert_text(alert, 'en')}", soft_wrap=True)
    if not record["alerts"]:
        console.print("no limit passed")
    console.print(f"written: {record['path']}/monitoring.json, report.pdf", soft_wrap=True)
    if published is not None:
        console.print(f"published: run {published['run_id']}, {published['alerts']} alerts to "
                      f"{published['recipients']} programme leads", soft_wrap=True)
        _print_mailed(console, published)


def _print_mailed(console, published: dict) -> None:
    console.print(f"e-mailed {published['mailed']} programme leads the limits not e-mailed this month", soft_wrap=True)
    if published["without_address"]:
        console.print(f"[yellow]{published['without_address']} programme leads have no e-mail address: set it "
                      "in the admin (Users)[/yellow]", soft_wrap=True)
    for error in published["mail_errors"]:
        console.print(f"[yellow]not e-mailed: {error}; tried again at the next publish of the month[/yellow]",
                      soft_wrap=True)


def _publish_monitoring(record: dict) -> dict:
    """Into the web app (``opspor.web.riskmonitor`` imports ``opspor.risk``, never the reverse)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opspor.web.settings")
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    from opspor.web.riskmonitor.actions import publish

    return publish(record)


@app.command("schedule")
def schedule_command(
    once_at: str = typer.Option(None, "--once-at", help="Run once at YYYY-MM-DDTHH:MM[:SS] (Copenhagen), "
                                "then stop; exit code 0 if the run succeeded."),
) -> None:
    """Every month (OPSPOR_RISK_DAY, _AT, _PUBLISH; default day 2 at 05:00 Copenhagen, publishing):
    score everybody with the selected model, then monitor every scored month whose outcome has
    become known (published to the web app, alerts to the programme leads)."""
    from opspor.lists.scheduler import configure_logging
    from opspor.risk import schedule as sch

    try:
        s = sch.settings()
    except Exception as error:  # noqa: BLE001
        _err().print(f"[red]{error}[/red]", soft_wrap=True)
        raise typer.Exit(1) from None
    moment = None
    if once_at is not None:
        try:
            moment = dt.datetime.fromisoformat(once_at)
        except ValueError:
            raise typer.BadParameter(f"{once_at!r} is not YYYY-MM-DDTHH:MM[:SS]", param_hint="--once-at") from None
    configure_logging()
    raise typer.Exit(sch.serve(s, moment, publish=_publish_monitoring if s.publish else None))


def _capacity_options():
    return (typer.Option(None, "--capacity", help="A region's places: REGION=N, e.g. 1083=200. Repeat for each "
                         "region; the capacity threshold is the score of the last person a region invites."),
            typer.Option(None, "--capacity-file", help="Capacities, one REGION,N per line."),
            typer.Option(None, "--model", help="A model id (default: the selected model)."))


@app.command("decision")
def decision(
    capacity: list[str] = _capacity_options()[0],
    capacity_file: Path = _capacity_options()[1],
    model: str = _capacity_options()[2],
    uptake: float = typer.Option(1.0, "--uptake", help="The share of the invited who take part (0-1], for the "
                                 "number needed to invite."),
    out: Path = typer.Option(None, "--out", help="JSON file with every figure (no person data)."),
    plot: Path = typer.Option(None, "--plot", help="PNG file with the decision curve."),
    engine: str = engine_option(),
) -> None:
    """Net benefit at the capacity threshold against inviting everybody eligible and inviting by
    the count of acute admissions, the decision curve and the number needed to invite per
    prevented admission under the published effect sizes, on the model's temporal test set
    (docs/risk.md, "Decisions"). Stored beside the model's other analyses (the model card)."""
    from opspor.risk import decision as decision_mod
    from opspor.risk import registry

    caps = _capacities(capacity, capacity_file)
    try:
        model_id = model or registry.require_selected()
        ts = decision_mod.test_set(model_id, engine=engine)
        result = decision_mod.analyse(ts, caps, uptake)
        result.pop("invited_mask")
        stored = registry.save_analysis("decision", result)
    except Exception as error:  # noqa: BLE001
        raise _fail(error) from None
    console = Console(highlight=False)
    console.print(f"[bold]Decision[/bold] on the test set of model {model_id} ({result['as_of']}): "
                  f"{result['eligible']:,} eligible of {result['persons']:,} persons, {result['admitted']:,} "
                  f"admitted ({_pct(result['prevalence'])}); capacity threshold {_f(result['threshold'])}",
                  soft_wrap=True)
    console.print("per region: " + ", ".join(f"{r} {v['invited']:,}/{v['eligible']:,} invited, threshold "
                                             f"{_f(v['threshold'])}" for r, v in result["by_region"].items()),
                  soft_wrap=True)
    table = Table("strategy", "invited", "admitted", "PPV", "sensitivity", "net benefit", "per 1,000 eligible",
                  title="At the capacity threshold", title_justify="left")
    for name, s in result["strategies"].items():
        table.add_row(name, f"{s['invited']:,}", f"{s['admitted']:,}", _pct(s["ppv"]), _pct(s["sensitivity"]),
                      _f(s["net_benefit"], 4), _f(1000 * s["net_benefit"], 1))
    console.print(table)
    for name, e in result["number_needed_to_invite"].items():
        cells = ", ".join(f"{k} {'∞ (no effect)' if e[k] is None else f'{e[k]:.0f}'}"
                          for k in ("model", "admissions_count", "everybody"))
        console.print(f"number needed to invite per prevented admission, {name} (rate ratio {e['rate_ratio']}, "
                      f"uptake {uptake:g}): {cells}", soft_wrap=True)
    _figures_written(console, stored, out, result)
    if plot is not None:
        _decision_plot(result, plot)
        console.print(f"decision curve: {plot}", soft_wrap=True)


@app.command("fairness")
def fairness(
    capacity: list[str] = _capacity_options()[0],
    capacity_file: Path = _capacity_options()[1],
    model: str = _capacity_options()[2],
    out: Path = typer.Option(None, "--out", help="JSON file with every figure (no person data)."),
    engine: str = engine_option(),
) -> None:
    """Sensitivity, PPV and calibration by sex, age band, municipality and residence type at the
    capacity threshold, with intervals, judged by governance.yaml's `fairness` limits, on the
    model's temporal test set (docs/risk.md, "Fairness"). Stored for the model card.
    Exit code 0 also when a group is flagged (the output names it)."""
    from opspor.risk import decision as decision_mod
    from opspor.risk import fairness as fairness_mod
    from opspor.risk import governance, registry, settings

    caps = _capacities(capacity, capacity_file)
    try:
        model_id = model or registry.require_selected()
        ts = decision_mod.test_set(model_id, engine=engine)
        invited = decision_mod.analyse(ts, caps)["invited_mask"]
        fair = fairness_mod.analyse(ts, invited, governance.load_policy().fairness, settings.load().model.confidence)
        fair["capacity"] = caps
        stored = registry.save_analysis("fairness", fair)
    except Exception as error:  # noqa: BLE001
        raise _fail(error) from None
    console = Console(highlight=False)
    o = fair["overall"]
    console.print(f"[bold]Fairness[/bold] of model {model_id} at the capacity threshold on its test set "
                  f"({fair['as_of']}): {o['invited']:,} invited of {o['eligible']:,} eligible; sensitivity "
                  f"{_pct(o['sensitivity'])}, PPV {_pct(o['ppv'])}, O/E {_f(o['calibration']['ratio'], 2)}",
                  soft_wrap=True)
    ftable = Table("group", "eligible", "invited", "admitted", "sensitivity [CI]", "PPV [CI]", "O/E [CI]",
                   "slope [CI]", "judgement", title=f"Fairness at the capacity threshold ({fair['confidence']:.0%} "
                   "intervals)", title_justify="left")
    for grouping, rows in fair["groups"].items():
        for label, r in rows.items():
            c = r["calibration"]
            ftable.add_row(f"{grouping} {label}", f"{r['eligible']:,}", f"{r['invited']:,}", f"{r['admitted']:,}",
                           f"{_pct(r['sensitivity'])} [{_pct(r['sensitivity_ci'][0])}; {_pct(r['sensitivity_ci'][1])}]",
                           f"{_pct(r['ppv'])} [{_pct(r['ppv_ci'][0])}; {_pct(r['ppv_ci'][1])}]",
                           _ci(c, "ratio", 2), _ci(c, "slope", 2),
                           r["judgement"] + (f": {r['why']}" if r["judgement"] == "flagged" else ""))
    console.print(ftable)
    console.print("flagged groups: " + ("; ".join(fair["flagged"]) if fair["flagged"] else "none"), soft_wrap=True)
    _figures_written(console, stored, out, fair)


@app.command("validate-external")
def validate_external(
    train_region: str = typer.Option(..., "--train-region", help="The region the model is developed on "
                                     "(a 4-digit region code, e.g. 1083); every other region validates it."),
    kind: str = typer.Option(None, "--kind", help="Model kind: logistic or boosted (default: model.yaml's select)."),
    test_as_of: str = typer.Option(None, "--test-as-of", help="Test as-of date (YYYY-MM-DD), as for train."),
    horizon: str = typer.Option(None, "--horizon", help="Outcome horizon: 3m, 6m or 12m (outcome.yaml)."),
    out: Path = typer.Option(None, "--out", help="JSON file with every figure (no person data)."),
    engine: str = engine_option(),
) -> None:
    """External validation as OHDSI PatientLevelPrediction does it: develop a model on one region
    and validate it on each other region's test as-of date as developed and recalibrated (in the
    large; logistic) on that region's own earlier data (docs/risk.md, "External validation").
    Nothing is registered; the figures are stored in $OPSPOR_HOME/risk/external/."""
    from opspor.risk import external
    from opspor.risk.models.estimators import KINDS

    if not re.fullmatch(r"\d{4}", train_region):
        raise typer.BadParameter(f"{train_region!r} is not a 4-digit region code (e.g. 1083)", param_hint="--train-region")
    if kind is not None and kind not in KINDS:
        raise typer.BadParameter(f"{kind!r}: use {' or '.join(KINDS)}", param_hint="--kind")
    day = cli_date(test_as_of, "--test-as-of")
    try:
        record = external.validate(train_region, kind, day, horizon, log=_log, engine=engine)
    except Exception as error:  # noqa: BLE001
        raise _fail(error) from None
    console = Console(highlight=False)
    console.print(f"[bold]External validation[/bold] of a {record['kind']} model developed on region "
                  f"{record['train_region']} ({record['development']['rows']:,} rows, "
                  f"{record['development']['positives']:,} admitted; training as-of "
                  f"{', '.join(record['schedule']['train_as_of'])}), validated on {record['schedule']['test_as_of']}",
                  soft_wrap=True)

    def cells(f: dict | None) -> list[str]:
        if f is None:
            return ["–"] * 4
        return [_ci(f, "auroc"), _ci(f, "ratio", 2), _ci(f, "intercept", 2), _ci(f, "slope", 2)]

    table = Table("region", "validation", "persons", "admitted", "AUROC [CI]", "O/E [CI]", "cal. in the large [CI]",
                  "slope [CI]", title=f"By region ({record['confidence']:.0%} intervals)", title_justify="left")
    for r in record["regions"]:
        f = r["as_developed"]
        table.add_row(r["region"], "internal (development)" if r["role"] == "development" else "as developed",
                      f"{f['persons']:,}", f"{f['observed']:,}", *cells(f))
        for name, label in (("in_the_large", "recalibrated in the large"), ("logistic", "recalibrated (logistic)")):
            if name in r:
                table.add_row("", label, "", "", *cells(r[name]))
    console.print(table)
    console.print(f"recalibration fitted on each region's persons of {record['schedule']['train_as_of'][-1]}",
                  soft_wrap=True)
    _figures_written(console, record["path"], out, record)


def _figures_written(console: Console, stored, out: Path | None, record: dict) -> None:
    """Say where the figures are stored, and write them to ``--out`` too when given."""
    import json

    console.print(f"stored: {stored}", soft_wrap=True)
    if out is None:
        return
    if out.is_dir():
        raise typer.BadParameter(f"{out} is a folder; give a file name", param_hint="--out")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    console.print(f"figures: {out}", soft_wrap=True)


def _ci(f: dict, key: str, digits: int = 3) -> str:
    """``value [low; high]`` of ``f[key]``, ``f[key + '_low']``, ``f[key + '_high']``."""
    return f"{_f(f[key], digits)} [{_f(f[key + '_low'], digits)}; {_f(f[key + '_high'], digits)}]"


def _decision_plot(result: dict, path: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4.2))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    xs = [c["threshold"] for c in result["curve"]]
    for key, colour in (("model", "#1b6ca8"), ("admissions_count", "#e08a1e"), ("everybody", "#777"),
                        ("nobody", "#bbb")):
        ax.plot(xs, [c[key] for c in result["curve"]], label=key, color=colour)
    ax.axvline(result["threshold"], color="#1b6ca8", ls=":", lw=1)
    top = max(c["model"] for c in result["curve"])
    ax.set(xlabel="threshold probability", ylabel="net benefit", ylim=(-0.1 * top, 1.15 * top),
           title=f"Decision curve, test as-of {result['as_of']} (dotted: capacity threshold)")
    ax.legend(fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
