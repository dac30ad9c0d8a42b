"""``opspor lists schedule``: run the day's lists Monday to Friday at the configured time.

A long-running process (APScheduler's ``BlockingScheduler``; no cron needed) with one job: at
``OPSPOR_LISTS_RUN_AT`` (default 06:30, Copenhagen time, :mod:`opspor.lists.schedule`) on
weekdays it calls :func:`opspor.lists.jobs.run_lists` for today. A start that was missed
(the process was busy or suspended) is made up until the deadline; and when the scheduler
starts on a weekday after the run time and today has no run yet (a restart, a reboot), it runs
at once (``catch_up``).

It logs to stderr, for journald or a log file: the day, run id, snapshot id and counts — never
a CPR number, a name or a file of the lists (errors are logged with CPR-like numbers masked).
SIGTERM (``systemctl stop``) and Ctrl-C stop it cleanly, letting a running job finish.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path

from apscheduler.events import EVENT_JOB_MISSED
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger

from opspor.cpr import mask as mask_cpr
from opspor.lists import jobs, runs, schedule
from opspor.lists.schedule import Settings

log = logging.getLogger("opspor.lists.scheduler")

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: int = logging.INFO) -> None:
    logging.basicConfig(level=level, format=LOG_FORMAT)
    logging.getLogger("apscheduler").setLevel(logging.INFO)


def publish_run(run_id: str) -> bool:
    """Publish a stored run into the web app (``opspor web publish RUN_ID`` in a child process,
    so the scheduler needs no Django of its own); log the outcome. Returns True when published."""
    opspor = str(Path(sys.executable).with_name("opspor"))
    done = subprocess.run([opspor, "web", "publish", run_id], capture_output=True, text=True)
    if done.returncode != 0:
        log.error("run %s was not published in the web app: %s", run_id, mask_cpr(done.stderr.strip()[-2000:]))
        return False
    log.info("run %s is published in the web app", run_id)
    return True


def run_today(day: dt.date | None = None, publish: bool = False) -> dict | None:
    """Run and store the lists for ``day`` (default: today in Copenhagen); log the outcome;
    with ``publish``, put the run into the web app. Returns the run's record, or None when it
    failed (the error is logged, not raised, so the scheduler keeps going and tries again on
    the next weekday)."""
    day = day or schedule.today()
    log.info("running the lists for %s", day.isoformat())
    try:
        result = jobs.run_lists(day)
    except Exception as error:  # noqa: BLE001 - the scheduler must survive any failure
        log.error(
            "the lists for %s failed: %s\n%s",
            day.isoformat(),
            mask_cpr(f"{type(error).__name__}: {error}"),
            mask_cpr("".join(traceback.format_tb(error.__traceback__))),
        )
        return None
    lists, elig = result["lists"], result["eligibility"]
    log.info(
        "the lists for %s are stored: run %s on snapshot %s, %d department list(s), %d patient(s) "
        "(%d new today), %d line(s); eligibility %d listed, %d eligible, %d excluded; %.1f s",
        day.isoformat(), result["run_id"], result["snapshot_id"], lists["departments"],
        lists["patient_entries"], lists["new_today"], lists["lines"], elig["listed"],
        elig["eligible"], elig["excluded"], result["duration_seconds"],
    )
    for warning in result["warnings"]:
        log.warning("run %s: %s", result["run_id"], warning)
    if publish:
        publish_run(result["run_id"])
    return result


def run_if_due(settings: Settings, job: Callable[[], dict | None], day: dt.date | None = None):
    """The scheduled job: run ``job`` unless ``day`` (default today) is a public holiday on which
    lists are not due (the trigger already keeps to Monday-Friday)."""
    day = day or schedule.today()
    if not settings.is_due_day(day):
        log.info("no lists on %s: %s is a public holiday (%s=1 makes such days due)",
                 day.isoformat(), schedule.public_holiday(day), schedule.HOLIDAYS_ENV)
        return None
    return job()


def needs_catch_up(settings: Settings, now: dt.datetime) -> bool:
    """A weekday, past the run time, and no run for today yet."""
    day = now.date()
    return (
        settings.is_due_day(day)
        and now >= settings.run_time_on(day)
        and not runs.runs_for_day(day)
    )


def serve(
    settings: Settings,
    once_at: dt.datetime | None = None,
    catch_up: bool = True,
    job: Callable[[], dict | None] = run_today,
    extra_jobs: tuple[Callable[[BlockingScheduler], None], ...] = (),
) -> int:
    """Run the scheduler until stopped; returns an exit code.

    With ``once_at`` (aware, or naive = Copenhagen), run the job once at that moment, then stop:
    exit code 0 when the run succeeded, 1 when it failed (for tests and manual checks).
    """
    scheduler = BlockingScheduler(timezone=schedule.TIMEZONE)
    outcome: dict[str, bool] = {}

    def _stop(signum, _frame) -> None:
        log.info("stopping (signal %d)", signum)
        threading.Thread(target=scheduler.shutdown, daemon=True).start()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop)

    def _missed(event) -> None:
        log.warning("the run planned for %s was missed", event.scheduled_run_time)

    scheduler.add_listener(_missed, EVENT_JOB_MISSED)

    if once_at is not None:
        if once_at.tzinfo is None:
            once_at = once_at.replace(tzinfo=schedule.TIMEZONE)

        def once() -> None:
            try:
                outcome["ok"] = job() is not None
            finally:
                scheduler.shutdown(wait=False)

        scheduler.add_job(once, DateTrigger(run_date=once_at, timezone=schedule.TIMEZONE),
                          id="lists-once", name="opspor lists run (once)", misfire_grace_time=None)
        log.info("will run the lists once at %s", once_at.isoformat(timespec="seconds"))
        scheduler.start()
        return 0 if outcome.get("ok") else 1

    run_at = settings.run_at
    trigger = CronTrigger(day_of_week=schedule.CRON_DAYS, hour=run_at.hour, minute=run_at.minute,
                          second=run_at.second, timezone=schedule.TIMEZONE)
    grace = int(
        (dt.datetime.combine(dt.date.min, settings.deadline)
         - dt.datetime.combine(dt.date.min, run_at)).total_seconds()
    )
    scheduler.add_job(run_if_due, trigger, args=(settings, job), id="lists-daily", name="opspor lists run",
                      coalesce=True, max_instances=1, misfire_grace_time=grace)
    for add in extra_jobs:  # e.g. the monthly committee report (opspor.monitor.schedule.add_report_job)
        add(scheduler)
    now = schedule.now()
    if catch_up and needs_catch_up(settings, now):
        log.info("no run for %s yet and it is past %s: running now", now.date().isoformat(),
                 f"{run_at:%H:%M}")
        scheduler.add_job(job, id="lists-catch-up", name="opspor lists run (catch-up)",
                          max_instances=1, misfire_grace_time=None)
    next_run = trigger.get_next_fire_time(None, now)
    log.info(
        "scheduler started: the lists run Monday-Friday at %s (Copenhagen time), due by %s; "
        "next run %s",
        f"{run_at:%H:%M}", f"{settings.deadline:%H:%M}",
        next_run.isoformat(timespec="minutes") if next_run else "never",
    )
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("stopped")
    return 0
