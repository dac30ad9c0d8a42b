from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApsConfig(AppConfig):
    name = "opspor.web.aps"
    label = "aps"
    verbose_name = _("Aktiv Patientstøtte")
