from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AcuteConfig(AppConfig):
    name = "opspor.web.acute"
    label = "acute"
    verbose_name = _("Municipal acute function")
