"""The monthly alert run on a schedule (APScheduler, Copenhagen time), like the committee report.

=================================  ==========================================  ===============
environment variable               meaning                                     default
=================================  ==========================================  ===============
``OPSPOR_ALERTS_AT``               local time of the monthly run               ``07:00``
``OPSPOR_ALERTS_DAY``              day of the month (1-28)                     ``3``
``OPSPOR_ALERTS_PUBLISH``          ``1``: publish and queue messages, ``0``:   ``1``
                                   only write the files
=================================  ==========================================  ===============

Each run computes the last complete month of the current snapshot, writes
``$OPSPOR_HOME/alerts/<YYYY-MM>/alerts-<YYYY-MM>.{csv,json}`` and (by default) publishes the
results and queues a message for every new alert; it logs counts only, never a person.
:func:`add_alerts_job` adds the job to any APScheduler scheduler; ``opspor alerts schedule`` runs
it alone (:func:`serve`).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import traceback
from dataclasses import dataclass

from opspor import scheduling
from opspor.cpr import mask as mask_cpr
from opspor.lists.schedule import ScheduleError, parse_time

log = logging.getLogger("opspor.alerts.schedule")

AT_ENV = "OPSPOR_ALERTS_AT"
DAY_ENV = "OPSPOR_ALERTS_DAY"
PUBLISH_ENV = "OPSPOR_ALERTS_PUBLISH"
JOB_ID = "alerts-monthly"


@dataclass(frozen=True)
class AlertSchedule:
    at: dt.time = dt.time(7, 0)
    day: int = 3
    publish: bool = True


def settings(environ: dict[str, str] | None = None) -> AlertSchedule:
    env = os.environ if environ is None else environ
    at = env.get(AT_ENV, "").strip()
    day = env.get(DAY_ENV, "").strip() or "3"
    if not day.isdigit() or not 1 <= int(day) <= 28:
        raise ScheduleError(f"{DAY_ENV}: {day!r} is not a day 1-28. Fix: write e.g. 3 (every month has it)")
    publish = env.get(PUBLISH_ENV, "").strip() or "1"
    if publish not in ("0", "1"):
        raise ScheduleError(f"{PUBLISH_ENV}: {publish!r}. Fix: write 1 (publish and send) or 0 (files only)")
    return AlertSchedule(parse_time(at, AT_ENV) if at else dt.time(7, 0), int(day), publish == "1")


def run_job(s: AlertSchedule, publish=None):
    """The month's run, published with ``publish`` (:data:`opspor.alerts.jobs.Publish`) when the
    schedule says so; returns its result, or None after logging a failure (the scheduler goes on)."""
    from opspor.alerts import jobs

    if s.publish and publish is None:
        raise ValueError("the schedule publishes: hand in the web app's publish function")
    try:
        result = jobs.run(publish=publish if s.publish else None)
    except Exception as error:  # noqa: BLE001 - the scheduler must survive any failure
        log.error("the monthly data alerts failed: %s\n%s", mask_cpr(f"{type(error).__name__}: {error}"),
                  mask_cpr("".join(traceback.format_tb(error.__traceback__))))
        return None
    t = result.table
    sent = result.published.messages if result.published is not None else 0
    log.info("data alerts for %s: %d units, %d alerts, %d new messages (snapshot %s, config version %s)",
             ", ".join(t.months), len(t.results), len(t.alerts()), sent, t.snapshot_id, t.config.version)
    return result


def add_alerts_job(scheduler, s: AlertSchedule, job) -> None:
    """Add the monthly alert job to an APScheduler scheduler (not started here)."""
    scheduling.add_monthly_job(scheduler, job, job_id=JOB_ID,
                               name="opspor data alerts (monthly)", day=s.day, at=s.at)


def serve(s: AlertSchedule, once_at: dt.datetime | None = None, job=None, publish=None) -> int:
    """Run the monthly job until stopped (or once at ``once_at``; exit code 0 if it succeeded);
    ``publish`` as for :func:`run_job`."""
    job = job or (lambda: run_job(s, publish))

    def register(scheduler, run) -> None:
        add_alerts_job(scheduler, s, run)
        log.info("scheduler started: data alerts run on day %d of each month at %s (Copenhagen), publish %s",
                 s.day, f"{s.at:%H:%M}", "on" if s.publish else "off")

    return scheduling.serve(register, job, once_at)
