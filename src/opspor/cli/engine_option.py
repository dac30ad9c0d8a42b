"""``--engine`` (or ``$OPSPOR_ENGINE``): the connection string of the engine a command reads the
snapshot with (:mod:`opspor.engines`), checked before the command does anything."""

from __future__ import annotations

import typer


def _check(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    from opspor.engines import EngineError, kind

    try:
        kind(value)
    except EngineError as error:
        raise typer.BadParameter(str(error)) from None
    return value.strip()


def engine_option():
    return typer.Option(
        None, "--engine", envvar="OPSPOR_ENGINE", callback=_check,
        help="Engine that reads the snapshot: duckdb:// (default), duckdb:///FILE, reference://, "
        "local[N], spark (local[*]), spark://HOST:PORT or sc://HOST:PORT (Spark Connect); "
        "docs/architecture.md#engines.",
    )
