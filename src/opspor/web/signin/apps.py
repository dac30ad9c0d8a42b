from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SigninConfig(AppConfig):
    name = "opspor.web.signin"
    label = "signin"
    verbose_name = _("OpenID Connect log-in")
