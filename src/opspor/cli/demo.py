"""``opspor demo``: the main job on the embedded default.

Generates a synthetic region, loads it into the analytical store, runs today's lists on it,
trains and scores the risk model, publishes the lists into the web app, creates one demo user per role and serves the web app on
http://127.0.0.1:8000 (plain HTTP on loopback only; the demo's secret key is made once under
$OPSPOR_HOME).
"""

from __future__ import annotations

import datetime as dt
import os

import typer
from rich.console import Console

from opspor import paths
from opspor.lists import schedule

# The demo's municipality user belongs to Odense (accounts/demo.py); the demo puts an excess of
# acute contacts there (synth --excess) so that user sees a data alert (docs/alerts.md).
DEMO_ALERT_REGION, DEMO_ALERT_MUNICIPALITY = "1083", "461"


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
    serve: bool = typer.Option(True, help="Serve the web app when everything is ready."),
    port: int = typer.Option(8000, help="Port of the web app (loopback only)."),
) -> None:
    """The main job on the embedded default: synthetic region, load, today's lists, the web app
    with demo users (everything under $OPSPOR_HOME)."""
    console = Console()
    end = schedule.today() - dt.timedelta(days=1)  # data up to yesterday, as a nightly extract
    start = end.replace(year=end.year - years)
    drop = paths.home() / "demo" / "drop"
    console.rule(f"1. Synthetic region {region}: {persons:,} persons, {start} to {end}")
    # a put-in excess in the demo municipality user's municipality, so its data alert shows
    excess = ["--excess", f"{DEMO_ALERT_MUNICIPALITY}=2.0"] if region == DEMO_ALERT_REGION else []
    _invoke(["synth", "--persons", str(persons), "--region", region, "--seed", str(seed),
             "--start", start.isoformat(), "--end", end.isoformat(), "--out", str(drop), *excess])
    console.rule("2. Load into the analytical store")
    _invoke(["ingest", str(drop)])
    console.rule("3. Today's lists: repeated acute contacts and Aktiv Patientstøtte eligibility")
    _invoke(["lists", "run"])
    console.rule("4. Risk model: train on the snapshot, select the boosted model, score everybody")
    from opspor.risk.api import demo_step

    summary = demo_step(schedule.today())
    console.print(f"Model {summary['model_id']}: AUROC {summary['auroc']:.3f} on {summary['test_as_of']} "
                  f"(the generator's true probabilities: {summary['truth_auroc']:.3f}); calibration slope "
                  f"{summary['calibration_slope']:.2f}; {summary['persons_scored']:,} persons scored; report "
                  f"{summary['report']}")
    console.rule("5. The web app: database, today's lists, demo users")
    _demo_web_environment()
    _invoke(["web", "migrate"])
    _invoke(["web", "publish"])
    _invoke(["monitor", "publish"])  # the indicator dashboard's results
    _invoke(["monitor", "import-register"])  # the example monitoring-task register
    _invoke(["alerts", "run", "--publish"])  # last month's data alerts, messages queued
    _invoke(["web", "directory-load", "--example"])  # the example service directory (Odense)
    _invoke(["web", "demo-users", "--region", region, "--citizen-course"])
    console.rule("Done")
    console.print(f"Everything is under {paths.home()}  ·  see `opspor lists status`, "
                  "`opspor snapshots list` and `opspor --help`.")
    if serve:
        console.print(f"Web app: [bold]http://127.0.0.1:{port}[/bold]  (Ctrl-C stops it)")
        _invoke(["web", "serve", "--port", str(port)])


def _demo_web_environment() -> None:
    """Plain HTTP on loopback and a per-installation secret key, unless the caller set them."""
    from opspor.web.settings_demo import demo_secret_key

    os.environ.setdefault("OPSPOR_HTTPS", "0")
    os.environ.setdefault("OPSPOR_SECRET_KEY", demo_secret_key())
