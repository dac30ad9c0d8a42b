"""opspor: case-finding, worklists and monitoring for proactive cross-sector care."""

__version__ = "0.1.0"
