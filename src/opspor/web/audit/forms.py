from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from opspor import cpr as cprlib
from opspor.web.core import date_fields


class CprField(forms.CharField):
    """A CPR number typed by a user: ``DDMMYY-SSSS`` or ten digits, checked like the contract."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        digits = value.replace("-", "").replace(" ", "")
        if cprlib.birth_date(digits) is None:
            raise forms.ValidationError(_("Type the CPR number as DDMMYY-SSSS (ten digits, a valid date)."))
        return digits


class AuditSearchForm(forms.Form):
    cpr = CprField(label=_("Person's CPR number"), required=False,
                   widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}))
    username = forms.CharField(label=_("User name"), required=False)
    date_from = date_fields.DateField(label=_("From"), required=False)
    date_to = date_fields.DateField(label=_("To"), required=False)
    reason = forms.CharField(label=_("Reason for the search (case number or request)"), max_length=200)

    def clean(self):
        data = super().clean()
        if not data.get("cpr") and not data.get("username"):
            raise forms.ValidationError(_("Give a CPR number or a user name."))
        return data


class AccessReportForm(forms.Form):
    cpr = CprField(label=_("Person's CPR number"),
                   widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}))
    reason = forms.CharField(label=_("Reason (e.g. the citizen's request, case number)"), max_length=200)
