"""The ``opspor`` command line: thin shells over the package's functions.

Each area keeps its commands in its own module (``cli/ingest.py``, ``cli/synth.py``, ...);
this module only assembles them.
"""

from __future__ import annotations

import typer

from opspor.cli import demo, fhir, ingest, lists, monitor, reference, risk, synth, web

app = typer.Typer(
    name="opspor",
    help=(
        "opspor finds citizens whom proactive, cross-sector care can help, puts them on "
        "worklists and measures whether it helps. Files live under $OPSPOR_HOME (default ./var)."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

app.command("demo")(demo.demo)
app.command("synth")(synth.synth)
app.command("ingest")(ingest.ingest)
app.add_typer(ingest.snapshots_app, name="snapshots")
app.add_typer(reference.app, name="reference")
app.add_typer(lists.app, name="lists")
app.add_typer(risk.app, name="risk")
app.add_typer(monitor.app, name="monitor")
app.add_typer(fhir.app, name="fhir")
app.command("manage", context_settings=web.MANAGE_SETTINGS)(web.manage)
app.add_typer(web.app, name="web")


def main() -> None:
    app()
