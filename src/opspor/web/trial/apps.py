from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrialConfig(AppConfig):
    name = "opspor.web.trial"
    label = "trial"
    verbose_name = _("Randomised trial")
