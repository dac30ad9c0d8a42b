"""What the server's log may hold: no CPR number, and no traceback for a client's error.

A CPR number can reach a log line through a request path someone typed (``Not Found:
/personer/0101011234/``, the access log's ``GET /…``) or through an exception's text. Every line
of Django's console handler and of gunicorn's logs is written through :class:`MaskingFormatter`,
which masks every CPR-shaped number (``opspor.cpr.mask``) in the finished line, traceback included.

An ordinary 403 or 400 is not a fault of the server: Django logs it with the exception's
traceback, which hides the real errors. :class:`NoTracebackForClientErrors` keeps the one line.
"""

from __future__ import annotations

import logging

from gunicorn import glogging

from opspor import cpr as cprlib


class MaskingFormatter(logging.Formatter):
    """A formatter (or a wrapper of ``inner``) whose every line has CPR-shaped numbers masked."""

    def __init__(self, *args, inner: logging.Formatter | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        return cprlib.mask(self.inner.format(record) if self.inner else super().format(record))


class NoTracebackForClientErrors(logging.Filter):
    """Drop the traceback of a record about a 4xx response (``django.request``, ``django.security``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if 400 <= getattr(record, "status_code", 0) < 500:
            record.exc_info, record.exc_text = None, None
        return True


class GunicornLogger(glogging.Logger):
    """gunicorn's logger (``--logger-class``) with every line of its error and access logs masked."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(MaskingFormatter(inner=handler.formatter or logging.Formatter()))
