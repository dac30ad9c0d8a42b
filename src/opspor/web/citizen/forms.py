from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from opspor.web.audit.forms import CprField
from opspor.web.core import date_fields
from opspor.web.people.models import ContactChoice
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


class ContactForm(forms.Form):
    """The citizen's own phone number, e-mail address and way of getting invitations (checked by
    ``citizen.actions.update_contact``)."""

    phone = forms.CharField(label=_("Your phone number"), max_length=30, required=False,
                            help_text=_("8 digits, e.g. 20 12 34 56. Your nurse calls this number."),
                            widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}))
    email = forms.CharField(label=_("Your e-mail address"), max_length=254, required=False,
                            widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    channel = forms.ChoiceField(label=_("How do you want invitations to questionnaires?"), required=False,
                                widget=forms.RadioSelect,
                                choices=[("", _("As my nurse agrees with me")), *ContactChoice.Channel.choices])
