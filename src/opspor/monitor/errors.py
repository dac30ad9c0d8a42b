"""The errors of the monitoring package that an operator can act on (the message says how)."""

from __future__ import annotations


class MonitorError(ValueError):
    """Bad input to a monitoring function: names the place and the fix."""
