"""The monthly committee report on a schedule (APScheduler, Copenhagen time), like the lists'.

=================================  ==========================================  ===============
environment variable               meaning                                     default
=================================  ==========================================  ===============
``OPSPOR_MONITOR_REPORT_AT``       local time of the monthly run               ``07:00``
``OPSPOR_MONITOR_REPORT_DAY``      day of the month (1-28)                     ``1``
``OPSPOR_MONITOR_REPORT_REGION``   region code of the report                   ``1083``
``OPSPOR_MONITOR_REPORT_LANG``     ``da`` or ``en``                            ``da``
``OPSPOR_MONITOR_REPORT``          ``1``: ``opspor lists schedule`` runs it too   ``0``
=================================  ==========================================  ===============

Each run writes ``$OPSPOR_HOME/monitor/reports/<YYYY-MM-DD>-<region>/report.{html,pdf}`` for the
latest complete year the current snapshot covers (the year before the run's, unless the data
reach its end) and logs the outcome without any personal data.

Wiring: :func:`add_report_job` adds the job to any APScheduler scheduler — the lists' scheduler
(``opspor.lists.scheduler.serve``) can call it before ``scheduler.start()``; ``opspor monitor
schedule`` runs it alone (:func:`serve`).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import traceback
from dataclasses import dataclass
from pathlib import Path

from opspor import paths, scheduling
from opspor.cpr import mask as mask_cpr
from opspor.lists.schedule import ScheduleError, now, parse_time
from opspor.monitor.register import load_register

log = logging.getLogger("opspor.monitor.schedule")

AT_ENV = "OPSPOR_MONITOR_REPORT_AT"
DAY_ENV = "OPSPOR_MONITOR_REPORT_DAY"
REGION_ENV = "OPSPOR_MONITOR_REPORT_REGION"
LANG_ENV = "OPSPOR_MONITOR_REPORT_LANG"
JOB_ID = "monitor-report-monthly"
ENABLE_ENV = "OPSPOR_MONITOR_REPORT"  # 1: `opspor lists schedule` runs the monthly report too


def enabled(environ: dict[str, str] | None = None) -> bool:
    """Does the production scheduler (`opspor lists schedule`) also run the monthly report?"""
    env = os.environ if environ is None else environ
    value = env.get(ENABLE_ENV, "").strip() or "0"
    if value not in ("0", "1"):
        raise ScheduleError(f"{ENABLE_ENV}: {value!r} is not 0 or 1. Fix: write 1 to run the monthly committee "
                            "report in `opspor lists schedule`, 0 (the default) not to")
    return value == "1"


@dataclass(frozen=True)
class ReportSettings:
    at: dt.time = dt.time(7, 0)
    day: int = 1
    region: str = "1083"
    lang: str = "da"


def settings(environ: dict[str, str] | None = None) -> ReportSettings:
    env = os.environ if environ is None else environ
    at = env.get(AT_ENV, "").strip()
    day = env.get(DAY_ENV, "").strip() or "1"
    if not day.isdigit() or not 1 <= int(day) <= 28:
        raise ScheduleError(f"{DAY_ENV}: {day!r} is not a day 1-28. Fix: write e.g. 1 (every month has it)")
    lang = env.get(LANG_ENV, "").strip() or "da"
    if lang not in ("da", "en"):
        raise ScheduleError(f"{LANG_ENV}: {lang!r}. Fix: write da or en")
    from opspor import reference as ref

    region = env.get(REGION_ENV, "").strip() or "1083"
    if region not in {r.code for r in ref.regions()}:
        raise ScheduleError(f"{REGION_ENV}: unknown region {region!r}. Fix: write one of "
                            f"{', '.join(r.code for r in ref.regions())}")
    return ReportSettings(parse_time(at, AT_ENV) if at else dt.time(7, 0), int(day), region, lang)


def reports_dir() -> Path:
    return paths.home() / "monitor" / "reports"


def report_year(today: dt.date, data_end: dt.datetime | None) -> int:
    """The latest complete year the data cover (at most last year)."""
    if data_end is None:
        return today.year - 1
    year = data_end.year if data_end.date() >= dt.date(data_end.year, 12, 31) else data_end.year - 1
    return min(year, today.year - 1)


def run_report(s: ReportSettings, today: dt.date | None = None, register: Path | None = None):
    """Make the month's report; returns its result, or None after logging a failure (the
    scheduler keeps going)."""
    from opspor import engines
    from opspor.monitor.report import make_report
    from opspor.monitor.report_build import Inputs

    today = today or now().date()
    try:
        with engines.connect() as con:
            [end] = con.row('SELECT max("start") FROM contacts')
        year = report_year(today, end)
        out = reports_dir() / f"{today.isoformat()}-{s.region}"
        inputs = Inputs(register=load_register(register)) if register else None
        result = make_report(s.region, year, out, s.lang, inputs)
    except Exception as error:  # noqa: BLE001 - the scheduler must survive any failure
        log.error("the monthly report for %s failed: %s\n%s", s.region, mask_cpr(f"{type(error).__name__}: {error}"),
                  mask_cpr("".join(traceback.format_tb(error.__traceback__))))
        return None
    log.info("the monthly report for region %s, year %d, is in %s (snapshot %s, %.1f s)", s.region, year,
             result.out_dir, result.snapshot_id, result.seconds)
    return result


def add_report_job(scheduler, s: ReportSettings, job=None) -> None:
    """Add the monthly report job to an APScheduler scheduler (not started here)."""
    scheduling.add_monthly_job(scheduler, job or (lambda: run_report(s)), job_id=JOB_ID,
                               name="opspor monitor report (monthly)", day=s.day, at=s.at)
    log.info("the monthly committee report job is registered: day %d at %s (Copenhagen), region %s", s.day,
             f"{s.at:%H:%M:%S}", s.region)


def serve(s: ReportSettings, once_at: dt.datetime | None = None, job=None) -> int:
    """Run the monthly job until stopped (or once at ``once_at``; exit code 0 if it succeeded)."""

    def register(scheduler, run) -> None:
        add_report_job(scheduler, s, run)
        log.info("scheduler started: the committee report runs on day %d of each month at %s (Copenhagen), "
                 "region %s", s.day, f"{s.at:%H:%M}", s.region)

    return scheduling.serve(register, job or (lambda: run_report(s)), once_at)
