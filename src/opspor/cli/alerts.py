"""``opspor alerts``: data alerts to municipalities and GP practices (docs/alerts.md).

Thin shells over :mod:`opspor.alerts`. Everything printed or written is per unit and month —
counts, expected numbers, ratios, p-values — never a person.
"""

from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from opspor.cli.engine_option import engine_option
from opspor.cli.once_at import once_at_option
from opspor.cpr import mask as mask_cpr

app = typer.Typer(
    help="Data alerts: per month, municipalities and GP practices with significantly more patients "
    "with repeated acute contacts than expected for their age and sex mix. See docs/alerts.md.",
    no_args_is_help=True,
)


def _fail(error: BaseException) -> typer.Exit:
    from opspor.engines import EngineError
    from opspor.monitor.errors import MonitorError
    from opspor.rules import RuleConfigError
    from opspor.store import StoreError

    err = Console(stderr=True)
    if isinstance(error, (StoreError, RuleConfigError, MonitorError, EngineError)):
        err.print(f"[red]{mask_cpr(str(error))}[/red]", highlight=False, soft_wrap=True)
    else:
        err.print(f"[red]internal error: {mask_cpr(f'{type(error).__name__}: {error}')}[/red]",
                  highlight=False, soft_wrap=True)
    return typer.Exit(1)


def _publisher(messages: bool):
    """Publishing into the web app (results, and a queued message per new alert with
    ``messages``). The command joins the two: ``opspor.web.alerts`` imports ``opspor.alerts``,
    never the other way round."""

    def publish(table):
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opspor.web.settings")
        import django
        from django.apps import apps

        if not apps.ready:
            django.setup()
        from opspor.web.alerts.actions import publish as do_publish

        return do_publish(table, queue_messages=messages)

    return publish


def _num(value: float | None, fmt: str) -> str:
    return "–" if value is None else format(value, fmt)


@app.command("run")
def run(
    month: list[str] = typer.Option(None, "--month", help="Month YYYY-MM (repeatable). Default: the "
                                    "last complete month of the snapshot."),
    out: Path = typer.Option(None, "--out", help="Folder for alerts-<month>.csv/.json "
                             "(default $OPSPOR_HOME/alerts/<month>/)."),
    publish: bool = typer.Option(False, "--publish", help="Put the results into the web app and queue a "
                                 "message to the municipality / GP practice for every new alert."),
    messages: bool = typer.Option(True, "--messages/--no-messages", help="With --publish: queue the "
                                  "messages (default) or only show the results in the web app."),
    region: str = typer.Option(None, "--region", help="Only this region (default: every region of the snapshot)."),
    config: Path = typer.Option(None, "--config", help="Alert configuration (default: the shipped alerts.yaml)."),
    snapshot: str = typer.Option(None, "--snapshot", help="Snapshot id (default: the current one)."),
    outside_region: bool = typer.Option(False, "--outside-region", help="Suppress small numbers in the "
                                        "files (for a copy leaving the region)."),
    show: str = typer.Option("alerts", "--show", help="Rows printed: alerts, municipality, gp_practice or all."),
    engine: str = engine_option(),
) -> None:
    """Compute the month's data alerts on the current snapshot and write them as CSV and JSON."""
    from opspor.alerts import jobs
    from opspor.alerts.settings import load_config

    if show not in ("alerts", "municipality", "gp_practice", "all"):
        raise typer.BadParameter(f"{show!r}: use alerts, municipality, gp_practice or all", param_hint="--show")
    try:
        cfg = load_config(config) if config is not None else None
        result = jobs.run(months=month or None, out=out, publish=_publisher(messages) if publish else None,
                          region=region, config=cfg, snapshot=snapshot, outside_region=outside_region,
                          engine=engine)
    except Exception as error:  # noqa: BLE001 - _fail says what is expected and what is not
        raise _fail(error) from None
    t = result.table
    console = Console(highlight=False)
    rows = {"alerts": t.alerts(), "all": t.results}.get(show) or t.select(unit_kind=show)
    table = Table(title=f"Data alerts {', '.join(t.months)} (config version {t.config.version}, "
                  f"{t.config.multiple_testing}, alpha {t.config.alpha:g})")
    for column in ("month", "region", "kind", "unit", "citizens", "observed", "expected", "ratio",
                   f"{t.config.ci_level:.0%} interval", "p", "adjusted p", "alert"):
        table.add_column(column, justify="right" if column not in ("month", "kind", "unit") else "left")
    for r in rows:
        table.add_row(r.month, r.region_code, r.unit_kind, f"{r.unit_code} {r.unit_name}".strip(), f"{r.population:,}",
                      f"{r.observed:,}", f"{r.expected:.1f}", _num(r.ratio, ".2f"),
                      "–" if r.ci_low is None else f"{r.ci_low:.2f}-{r.ci_high:.2f}", _num(r.p_value, ".2g"),
                      _num(r.p_adjusted, ".2g") if r.tested else "not tested", "ALERT" if r.alert else "")
    console.print(table)
    by_kind = ", ".join(f"{k}: {sum(1 for r in t.alerts() if r.unit_kind == k)} of "
                        f"{sum(1 for r in t.results if r.unit_kind == k)}" for k in t.config.units)
    console.print(f"alerts: {len(t.alerts())} ({by_kind}); snapshot {t.snapshot_id}; {t.seconds:.1f} s")
    for note in t.notes:
        console.print(f"note: {note}", soft_wrap=True)
    for f in result.files:
        console.print(f"written: {f}", soft_wrap=True)
    if result.published is not None:
        p = result.published
        console.print(f"published: {p.results} results ({p.created} new, {p.changed} changed), "
                      f"{p.new_alerts} new alerts, {p.messages} messages queued")


@app.command("schedule")
def schedule_command(
    once_at: str = once_at_option("the run succeeded"),
) -> None:
    """Run the data alerts every month (OPSPOR_ALERTS_DAY, _AT, _PUBLISH; default day 3 at 07:00
    Copenhagen, publishing and queueing messages) for the last complete month of the snapshot."""
    from opspor.alerts import schedule as sch
    from opspor.lists.scheduler import configure_logging

    try:
        s = sch.settings()
    except Exception as error:  # noqa: BLE001
        Console(stderr=True).print(f"[red]{error}[/red]", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    configure_logging()
    raise typer.Exit(sch.serve(s, once_at, publish=_publisher(True) if s.publish else None))
