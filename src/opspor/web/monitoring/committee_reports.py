"""The committee reports: the ones in ``$OPSPOR_HOME/monitor/reports`` (made by the monthly job,
:mod:`opspor.monitor.schedule`, or by the secretariat on the Rapporter page) and :func:`make`, the
action that makes one from the web app.

A report made here is the scheduler's report (:func:`opspor.monitor.report.make_report`) on the
current snapshot, with the web app's own rollout rows (lists screened, the programme's cases and
sessions) and task register as its optional parts. It is written to a hidden folder first and
renamed into place inside the transaction that writes its audit entry, so the page never offers a
half-written report and no report exists without its entry. One is made at a time (a lock file):
on a whole region it takes about a minute.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opspor.monitor import schedule as monitor_schedule
from opspor.web.audit import actions as audit

log = logging.getLogger("opspor.web.monitoring.reports")

FILES = {"report.html": "text/html; charset=utf-8", "report.pdf": "application/pdf"}
LANGUAGES = ("da", "en")


class ReportError(ValueError):
    """A report that cannot be made; the message says why in the user's language."""


@dataclass(frozen=True)
class Made:
    name: str
    year: int
    seconds: float


def folder() -> Path:
    return monitor_schedule.reports_dir()


def listing() -> list[dict]:
    """The finished reports, newest first (a folder being written starts with a dot: not shown)."""
    root = folder()
    if not root.is_dir():
        return []
    out = []
    for d in sorted(root.iterdir(), reverse=True):
        if d.is_dir() and not d.name.startswith("."):
            files = [f for f in FILES if (d / f).is_file()]
            if files:
                out.append({"name": d.name, "files": files,
                            "made": dt.datetime.fromtimestamp((d / files[0]).stat().st_mtime)})
    return out


def data_range() -> tuple[dt.datetime, dt.datetime] | None:
    """The first and last contact start of the current snapshot (None: no snapshot)."""
    from opspor import engines
    from opspor.monitor.indicator_sql import bounds_sql

    try:
        with engines.connect() as con:
            start, end, _latest = con.row(bounds_sql())
    except Exception:  # noqa: BLE001 - no snapshot loaded (the caller says so in the user's words)
        log.exception("the current snapshot cannot be read")
        return None
    return None if start is None else (start, end)


def default_year(data: tuple[dt.datetime, dt.datetime] | None, today: dt.date) -> int:
    """The latest complete year the data cover, as the monthly job chooses it."""
    if data is None:
        return today.year - 1
    return max(data[0].year, monitor_schedule.report_year(today, data[1]))


def _inputs(region: str, year: int):
    from opspor.monitor.register import Register
    from opspor.monitor.report_build import Inputs
    from opspor.web.monitoring import register as reg
    from opspor.web.monitoring import rollout as ro
    from opspor.web.monitoring.models import FollowUpGroup

    tasks = tuple(reg.all_tasks())
    register = None
    if tasks:
        register = Register("web", "db", year, tasks, {g.name: g.owner for g in FollowUpGroup.objects.all()},
                            {g: tuple(days) for g, days in reg.meetings().items()})
    return Inputs(screenings=ro.screening_rows(region), enrolments=ro.enrolment_rows(region),
                  sessions=ro.session_rows(region), register=register, plan=ro.own_plan(region))


def make(actor, region: str, year: int, lang: str) -> Made:
    """Make the committee report of ``region`` for ``year`` in ``lang`` on the current snapshot,
    audited as ``actor``. Raises :class:`ReportError` (nothing written) when it cannot be made."""
    from opspor.monitor.errors import MonitorError
    from opspor.monitor.report import make_report

    if lang not in LANGUAGES:
        raise ReportError(_("Choose Danish or English."))
    data = data_range()
    if data is None:
        raise ReportError(_("No data have been loaded yet, so no report can be made. Ask the administrator to load "
                            "the data."))
    if not data[0].year <= year <= data[1].year:
        raise ReportError(_("The data cover %(first)s to %(last)s: choose a year among them.")
                          % {"first": data[0].year, "last": data[1].year})
    root = folder()
    root.mkdir(parents=True, exist_ok=True)
    now = timezone.localtime()
    name = f"{now:%Y-%m-%d}-{region}-{year}-{lang}-{now:%H%M%S}"
    work = root / f".{name}"
    with open(root / ".making.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ReportError(_("A report is being made right now. Try again in a minute.")) from None
        try:
            result = make_report(region, year, work, lang, _inputs(region, year), as_of=min(now.date(),
                                                                                            dt.date(year, 12, 31)))
            with transaction.atomic():
                audit.record(actor, audit.Event.MONITORING_REPORT, action=audit.CHANGE,
                             why=_("Committee report made"),
                             detail={"report": name, "region": region, "year": year, "lang": lang,
                                     "snapshot": result.snapshot_id, "seconds": round(result.seconds, 1)})
                os.replace(work, root / name)
        except MonitorError as error:
            log.error("the committee report %s could not be made: %s", name, error)
            raise ReportError(_("The report could not be made from the data. The administrator can see why in "
                                "the log.")) from None
        finally:
            if work.exists():
                shutil.rmtree(work, ignore_errors=True)
    return Made(name, year, result.seconds)
