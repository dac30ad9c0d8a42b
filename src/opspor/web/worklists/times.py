"""The store's timestamps are Danish wall-clock times without offset: the zone and the one
conversion to an aware time, shared by the publisher and the intraday additions."""

from __future__ import annotations

import datetime as dt
import zoneinfo

LOCAL = zoneinfo.ZoneInfo("Europe/Copenhagen")


def aware(value: dt.datetime | None) -> dt.datetime | None:
    """The store's timestamps are Danish wall-clock times without offset."""
    return None if value is None else value.replace(tzinfo=LOCAL)
