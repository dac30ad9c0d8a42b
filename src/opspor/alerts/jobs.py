"""One alert run: compute on the current snapshot, write the files, optionally publish.

Shared by ``opspor alerts run`` and the monthly schedule (:mod:`opspor.alerts.schedule`). The
files go to ``$OPSPOR_HOME/alerts/<month>/`` unless another folder is given; publishing puts the
results into the web app's database and queues a message for every new alert
(:func:`opspor.web.alerts.actions.publish`).
"""

from __future__ import annotations

import os
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


def alerts_dir() -> Path:
    return paths.home() / "alerts"


def django_ready() -> None:
    """Set Django up with opspor's settings (once) so the web app's database can be written."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opspor.web.settings")
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()


def run(*, months: list[str] | None = None, out: Path | None = None, publish: bool = False,
        messages: bool = True, region: str | None = None, config: AlertConfig | None = None,
        snapshot: str | None = None, outside_region: bool = False) -> RunResult:
    from opspor.store import SnapshotStore

    with SnapshotStore().connect(snapshot) as con:
        table = compute(con, months=months, config=config, region=region)
    files = output.write(table, out if out is not None else alerts_dir() / table.label, outside_region=outside_region)
    result = RunResult(table, files)
    if publish:
        django_ready()
        from opspor.web.alerts.actions import publish as do_publish

        result.published = do_publish(table, queue_messages=messages)
    return result
