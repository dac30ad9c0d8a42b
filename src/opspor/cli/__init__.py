"""The ``opspor`` command line: thin shells over the package's functions.

Each area keeps its commands in its own module (``cli/ingest.py``, ``cli/synth.py``, ...);
this module only assembles them. ``main`` imports just the module of the command being run
(the areas pull in pandas, DuckDB, Django, FHIR models: seconds of start-up together), and
``opspor --help`` or an unknown command gets all of them. ``opspor.cli.app`` is the full app.
"""

from __future__ import annotations

import importlib
import sys

import typer

from opspor import paths

# (command name, module in opspor.cli, attribute, "command" | "group"), in --help order
COMMANDS: tuple[tuple[str, str, str, str], ...] = (
    ("demo", "demo", "demo", "command"),
    ("synth", "synth", "synth", "command"),
    ("ingest", "ingest", "ingest", "command"),
    ("snapshots", "ingest", "snapshots_app", "group"),
    ("reference", "reference", "app", "group"),
    ("lists", "lists", "app", "group"),
    ("risk", "risk", "app", "group"),
    ("monitor", "monitor", "app", "group"),
    ("alerts", "alerts", "app", "group"),
    ("fhir", "fhir", "app", "group"),
    ("messages", "messages", "app", "group"),
    ("telemonitoring", "telemonitoring", "app", "group"),
    ("manage", "web", "manage", "command"),
    ("web", "web", "app", "group"),
)


def _root() -> None:
    pass


def build_app(names: set[str] | None = None) -> typer.Typer:
    """The ``opspor`` app with the commands in ``names`` (all when None)."""
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
    app.callback()(_root)  # keeps a group when just one command is loaded (no single-command mode)
    for name, module_name, attr, kind in COMMANDS:
        if names is not None and name not in names:
            continue
        module = importlib.import_module(f"opspor.cli.{module_name}")
        target = getattr(module, attr)
        if kind == "group":
            app.add_typer(target, name=name)
        elif name == "manage":
            app.command(name, context_settings=module.MANAGE_SETTINGS)(target)
        else:
            app.command(name)(target)
    return app


def _requested(argv: list[str]) -> set[str] | None:
    """The command named on the command line, or None (help, options only, unknown name)."""
    known = {c[0] for c in COMMANDS}
    for arg in argv:
        if arg.startswith("-"):
            return None  # a top-level option (--help) comes before the command
        return {arg} if arg in known else None
    return None


def __getattr__(name: str):
    if name == "app":  # the full app, for tests and tools that drive it in-process
        globals()["app"] = full = build_app()
        return full
    raise AttributeError(name)


def main() -> None:
    paths.private_umask()  # before anything is written: files 0600, folders 0700 (docs/security.md)
    warning = paths.wide_modes_warning()
    if warning:
        print(warning, file=sys.stderr)
    build_app(_requested(sys.argv[1:]))()
