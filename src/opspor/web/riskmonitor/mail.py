"""The e-mail telling a programme lead that the monitoring of the risk model passed a limit:
plain text in the site's language (Danish by default), the limits as the page words them, figures
per unit and no person, and the link to the monitoring page (``OPSPOR_PUBLIC_URL``, else the
page's path)."""

from __future__ import annotations

import os

from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils.translation import gettext as _

from opspor import reference
from opspor.risk.monitoring_pdf import alert_text
from opspor.web.core import language


def message(run, lead, alerts, sender: str, connection) -> EmailMessage:
    """The e-mail to ``lead`` about ``alerts`` (MonitoringAlert rows) of ``run``."""
    lang = language.current()
    link = os.environ.get("OPSPOR_PUBLIC_URL", "").rstrip("/") + reverse("riskmonitor:page") + f"?maaned={run.month}"
    subject = _("Risk model: a monitoring limit was passed in %(month)s") % {"month": run.month}
    body = "\n\n".join([
        _("Hello %(name)s") % {"name": lead.get_full_name() or lead.username},
        _("The monitoring of the risk model for %(month)s (model %(model)s) passed these limits of "
          "monitoring.yaml:") % {"month": run.month, "model": run.model_id},
        "\n".join(f"- {alert_text(a.detail, lang)}" for a in alerts),
        _("See the monitoring page: %(link)s") % {"link": link},
        _("You receive this e-mail as programme lead of %(region)s. Each limit is e-mailed once a month; "
          "the e-mail holds figures per unit, no person.") % {"region": reference.region_name(lead.region_code, lang)},
        _("Kind regards\nopspor"),
    ]) + "\n"
    return EmailMessage(subject, body, sender, [lead.email], connection=connection)
