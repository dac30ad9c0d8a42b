from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "opspor.web.alerts"
    label = "alerts"
    verbose_name = _("Data alerts")
