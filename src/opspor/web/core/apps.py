from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "opspor.web.core"
    label = "core"
    verbose_name = "opspor"
