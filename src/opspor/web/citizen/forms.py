from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from opspor.web.audit.forms import CprField
from opspor.web.core import date_fields
from opspor.web.signin.models import RelativeGrant


class GrantForm(forms.Form):
    """The citizen gives a relative access to parts of their page until a day."""

    name = forms.CharField(label=_("Your relative's name"), max_length=200)
    cpr = CprField(label=_("Your relative's CPR number"),
                   help_text=_("So that your relative can log in with their own MitID. We keep only a code made from it."),
                   widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}))
    parts = forms.MultipleChoiceField(label=_("What may your relative see?"), widget=forms.CheckboxSelectMultiple,
                                      choices=list(RelativeGrant.PARTS.items()))
    until = date_fields.DateField(label=_("Until and including"))
