"""The risk model's monthly run on a schedule (APScheduler, Copenhagen time), like the data alerts
and the committee report (:mod:`opspor.scheduling`).

=================================  ==========================================  ===============
environment variable               meaning                                     default
=================================  ==========================================  ===============
``OPSPOR_RISK_AT``                 local time of the monthly run               ``05:00``
``OPSPOR_RISK_DAY``                day of the month (1-28)                     ``2``
``OPSPOR_RISK_PUBLISH``            ``1``: publish the monitoring runs to the   ``1``
                                   web app (alerts to the programme leads),
                                   ``0``: only write the files
=================================  ==========================================  ===============

Each run (:func:`run_job`):

1. scores everybody alive with the selected model (:func:`opspor.risk.scoring.score`) as of
   today, or as of the end of the current snapshot's data when the extract is older than today
   (scores never look past the data). The web app reads the newest scores of the selected model
   (:func:`opspor.risk.api.latest_scores`: the programme's ranking), so storing them publishes them;
2. monitors every scored month whose outcome has become known and that has no monitoring run yet
   (:func:`opspor.risk.monitoring.monitor`), publishing each (``publish``) when the schedule says so.

It logs ids and counts only, never a person. ``opspor risk schedule`` runs it (:func:`serve`).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import traceback
from dataclasses import dataclass
from datetime import timedelta

from opspor import scheduling
from opspor.cpr import mask as mask_cpr
from opspor.lists.schedule import ScheduleError, parse_time

log = logging.getLogger("opspor.risk.schedule")

AT_ENV, DAY_ENV, PUBLISH_ENV = "OPSPOR_RISK_AT", "OPSPOR_RISK_DAY", "OPSPOR_RISK_PUBLISH"
JOB_ID = "risk-monthly"
DEFAULT_AT, DEFAULT_DAY = dt.time(5, 0), 2


@dataclass(frozen=True)
class RiskSchedule:
    at: dt.time = DEFAULT_AT
    day: int = DEFAULT_DAY
    publish: bool = True


def settings(environ: dict[str, str] | None = None) -> RiskSchedule:
    env = os.environ if environ is None else environ
    at = env.get(AT_ENV, "").strip()
    day = env.get(DAY_ENV, "").strip() or str(DEFAULT_DAY)
    if not day.isdigit() or not 1 <= int(day) <= 28:
        raise ScheduleError(f"{DAY_ENV}: {day!r} is not a day 1-28. Fix: write e.g. 2 (every month has it)")
    publish = env.get(PUBLISH_ENV, "").strip() or "1"
    if publish not in ("0", "1"):
        raise ScheduleError(f"{PUBLISH_ENV}: {publish!r}. Fix: write 1 (publish to the web app) or 0 (files only)")
    return RiskSchedule(parse_time(at, AT_ENV) if at else DEFAULT_AT, int(day), publish == "1")


def due_months() -> list[dt.date]:
    """Scored months whose outcome is known on the current snapshot and that have no monitoring run."""
    from opspor import engines
    from opspor.risk import monitoring, registry, scoring
    from opspor.risk.outcome import data_period

    with engines.connect() as con:
        period = data_period(con)
    if period is None:
        return []
    months: dict[dt.date, bool] = {}
    for s in scoring.stored():
        try:
            days = int(registry.model_record(s.model_id)["training"]["schedule"]["horizon_days"])
        except (registry.RegistryError, KeyError):
            continue
        first = s.as_of.replace(day=1)
        if s.as_of + timedelta(days=days) <= period.end_day and not monitoring.runs(f"{first:%Y-%m}"):
            months[first] = True
    return sorted(months)


def run_job(s: RiskSchedule, publish=None, today: dt.date | None = None) -> dict | None:
    """The month's run; returns what it did, or None after logging a failure (the scheduler goes on)."""
    from opspor import engines
    from opspor.lists.schedule import today as copenhagen_today
    from opspor.risk import monitoring, scoring
    from opspor.risk.outcome import data_period

    if s.publish and publish is None:
        raise ValueError("the schedule publishes: hand in the web app's publish function")
    try:
        day = today or copenhagen_today()
        with engines.connect() as con:
            period = data_period(con)
        if period is not None and period.end_day < day:
            log.info("the data end on %s: scoring as of that day, not %s", period.end_day, day)
            day = period.end_day
        record = scoring.score(day)
        log.info("scored %d persons as of %s with model %s: score set %s", record["persons"], record["as_of"],
                 record["model_id"], record["score_id"])
        monitored = []
        for month in due_months():
            run = monitoring.monitor(month)
            published = publish(run) if s.publish else {}
            monitored.append(run["month"])
            log.info("monitored %s: %d alerts (run %s)%s", run["month"], len(run["alerts"]), run["run_id"],
                     f", published, e-mailed {published['mailed']} programme leads" if s.publish else "")
            for error in published.get("mail_errors", []):
                log.warning("alert e-mail not sent: %s; tried again at the next publish of the month", error)
    except Exception as error:  # noqa: BLE001 - the scheduler must survive any failure
        log.error("the monthly risk run failed: %s\n%s", mask_cpr(f"{type(error).__name__}: {error}"),
                  mask_cpr("".join(traceback.format_tb(error.__traceback__))))
        return None
    return {"score_id": record["score_id"], "as_of": record["as_of"], "monitored": monitored}


def add_risk_job(scheduler, s: RiskSchedule, job) -> None:
    """Add the monthly risk job to an APScheduler scheduler (not started here)."""
    scheduling.add_monthly_job(scheduler, job, job_id=JOB_ID, name="opspor risk scores and monitoring (monthly)",
                               day=s.day, at=s.at)


def serve(s: RiskSchedule, once_at: dt.datetime | None = None, publish=None) -> int:
    """Run the monthly job until stopped (or once at ``once_at``; exit code 0 if it succeeded)."""

    def register(scheduler, run) -> None:
        add_risk_job(scheduler, s, run)
        log.info("scheduler started: risk scores and monitoring on day %d of each month at %s (Copenhagen), "
                 "publish %s", s.day, f"{s.at:%H:%M}", "on" if s.publish else "off")

    return scheduling.serve(register, lambda: run_job(s, publish), once_at)
