from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from opspor.web.accounts import throttle


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Code from your authenticator app"), max_length=8, min_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "autofocus": True}),
    )


class LoginForm(AuthenticationForm):
    """The log-in form; a user name with many recent failures must wait between attempts
    (``throttle.user_delay``). A refused attempt is not tried, so it is no failure of the address."""

    def clean(self):
        wait = throttle.user_delay(self.cleaned_data.get("username", ""))
        if wait:
            raise forms.ValidationError(
                _("There have been many failed log-ins for this user name. Wait %(seconds)s seconds and try again.")
                % {"seconds": wait}, code="delayed")
        return super().clean()
