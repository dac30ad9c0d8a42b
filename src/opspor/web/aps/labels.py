"""Texts of the programme pages and exports that state a configured number (concepts.yaml)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from opspor.rules import concepts
from opspor.web.core import language


def _period() -> str:
    return concepts.shipped().label("last_year", language.current())


def admissions_column() -> str:
    """The pool's count of acute admissions (web/aps/publish.py counts them in ``last_year``)."""
    return _("Acute admissions (%(period)s)") % {"period": _period()}


def ranked_by_admissions() -> str:
    return _("Ranked by the number of acute admissions (%(period)s): no risk scores are available yet.") % {
        "period": _period()}
