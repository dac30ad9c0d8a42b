from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opspor import cpr as cprlib
from opspor.web.acute.models import Outcome
from opspor.web.core import date_fields


class ReferralForm(forms.Form):
    cpr = forms.CharField(label=_("The citizen's CPR number"), max_length=11,
                          widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}))
    called = forms.BooleanField(label=_("I have phoned the acute team and agreed the referral"),
                                error_messages={"required": _("Phone the acute team before you refer (the "
                                                              "written referral follows the call).")})
    called_at = date_fields.DateTimeField(label=_("Time of the telephone call"))
    reason = forms.CharField(label=_("What the acute team is asked to do (orders, observations, plan)"),
                             widget=forms.Textarea(attrs={"rows": 4}), max_length=4000)
    horizon_days = forms.IntegerField(label=_("Agreed time horizon (days)"), min_value=1)
    phone = forms.CharField(label=_("Your direct phone number"), max_length=40)

    def __init__(self, *args, horizon_default: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["horizon_days"].initial = horizon_default
        self.fields["called_at"].initial = timezone.localtime().replace(second=0, microsecond=0)

    def clean_cpr(self):
        value = self.cleaned_data["cpr"].strip()
        if cprlib.birth_date(value) is None:
            raise forms.ValidationError(_("Write the CPR number as 10 digits (DDMMYY-XXXX)."))
        return cprlib.normalise(value)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=[("accept", _("Accept")), ("decline", _("Decline"))],
                                 widget=forms.RadioSelect)
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                             max_length=2000)


class ChangeForm(forms.Form):
    text = forms.CharField(label=_("Change in the citizen's condition (e.g. ISBAR)"),
                           widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(label=_("How the stay ends"), choices=Outcome.choices, widget=forms.RadioSelect)
    note = forms.CharField(label=_("Note to the GP"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                           max_length=2000)
