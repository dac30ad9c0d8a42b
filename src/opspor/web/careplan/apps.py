from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareplanConfig(AppConfig):
    name = "opspor.web.careplan"
    label = "careplan"
    verbose_name = _("After the MDT: tasks and the shared plan")
