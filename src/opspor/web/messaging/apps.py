from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "opspor.web.messaging"
    label = "messaging"
    verbose_name = _("Messages to GPs and municipalities")
    default_auto_field = "django.db.models.BigAutoField"
