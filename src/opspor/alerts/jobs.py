"""One alert run: compute on the current snapshot, write the files, optionally publish.

Shared by ``opspor alerts run`` and the monthly schedule (:mod:`opspor.alerts.schedule`). The
files go to ``$OPSPOR_HOME/alerts/<month>/`` unless another folder is given. Publishing (into the
web app's database, a message queued for every new alert: :func:`opspor.web.alerts.actions.publish`)
is handed in by the caller, the command line: the web app depends on this package, never the
other way round.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from opspor import paths
from opspor.alerts import output
from opspor.alerts.compute import AlertTable, compute
from opspor.alerts.settings import AlertConfig


@dataclass
class RunResult:
    table: AlertTable
    files: list[Path]
    published: object | None = None  # opspor.web.alerts.actions.Published


Publish = Callable[[AlertTable], object]  # puts a computed table into the web app


def alerts_dir() -> Path:
    return paths.home() / "alerts"


def run(*, months: list[str] | None = None, out: Path | None = None, publish: Publish | None = None,
        region: str | None = None, config: AlertConfig | None = None,
        snapshot: str | None = None, outside_region: bool = False,
        engine: str | None = None) -> RunResult:
    from opspor import engines

    with engines.connect(engine, snapshot=snapshot) as con:
        table = compute(con, months=months, config=config, region=region)
    files = output.write(table, out if out is not None else alerts_dir() / table.label, outside_region=outside_region)
    result = RunResult(table, files)
    if publish is not None:
        result.published = publish(table)
    return result
