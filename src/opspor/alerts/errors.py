"""The data alerts' expected errors: the message says what to change."""

from opspor.monitor.errors import MonitorError


class AlertError(MonitorError):
    """Bad input to an alert computation."""


class PublishError(AlertError):
    """The alerts cannot be published into the web app."""
