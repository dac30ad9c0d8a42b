from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RiskMonitorConfig(AppConfig):
    name = "opspor.web.riskmonitor"
    label = "riskmonitor"
    verbose_name = _("Risk model monitoring")
