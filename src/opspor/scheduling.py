"""Monthly jobs on APScheduler in Copenhagen time (the committee report, the data alerts): one
way to register them and one way to run them, until stopped or once at a given time."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from opspor.lists.schedule import TIMEZONE

log = logging.getLogger("opspor.scheduling")


def add_monthly_job(scheduler, job: Callable[[], object], *, job_id: str, name: str, day: int, at: dt.time) -> None:
    """Run ``job`` on ``day`` of each month at ``at``; a run missed by up to 6 hours still runs once."""
    from apscheduler.triggers.cron import CronTrigger

    trigger = CronTrigger(day=day, hour=at.hour, minute=at.minute, second=at.second, timezone=TIMEZONE)
    scheduler.add_job(job, trigger, id=job_id, name=name, coalesce=True, max_instances=1,
                      misfire_grace_time=6 * 3600, replace_existing=True)


def serve(register: Callable[[object, Callable[[], object]], None], run: Callable[[], object],
          once_at: dt.datetime | None = None) -> int:
    """Block running the jobs ``register(scheduler, run)`` adds, until SIGTERM or Ctrl-C (exit 0);
    with ``once_at``: run ``run`` once at that time instead (exit 0 if it returned a result)."""
    import signal
    import threading

    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.date import DateTrigger

    scheduler = BlockingScheduler(timezone=TIMEZONE)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=scheduler.shutdown, daemon=True).start())
    if once_at is not None:
        outcome: dict[str, bool] = {}
        if once_at.tzinfo is None:
            once_at = once_at.replace(tzinfo=TIMEZONE)

        def once() -> None:
            try:
                outcome["ok"] = run() is not None
            finally:
                scheduler.shutdown(wait=False)

        scheduler.add_job(once, DateTrigger(run_date=once_at, timezone=TIMEZONE), misfire_grace_time=None)
        scheduler.start()
        return 0 if outcome.get("ok") else 1
    register(scheduler, run)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("stopped")
    return 0
