"""The web app's calendar day. The app runs in Europe/Copenhagen (settings.TIME_ZONE); between
23:00 and 01:00 UTC ``date.today()`` on a UTC machine is the day before the app's, so a test that
fills in "today" with it plans in the past. Usable without Django (browser tests drive a server
in another process)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

APP_ZONE = ZoneInfo("Europe/Copenhagen")


def local_today() -> dt.date:
    return dt.datetime.now(APP_ZONE).date()
