"""Forms of the telemonitoring pages: enrolment (with the plan, defaults from the protocol) and a
patient's threshold adjustment."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from opspor.i18n import localized
from opspor.telemonitoring import kinds, protocols
from opspor.web.telemonitoring.models import Condition, EnrolmentSource


class EnrolForm(forms.Form):
    condition = forms.ChoiceField(label=_("Condition"), choices=Condition.choices)
    source = forms.ChoiceField(label=_("Enrolled from"), choices=EnrolmentSource.choices)
    equipment = forms.CharField(label=_("Equipment handed out"), max_length=300)
    usability_passed = forms.BooleanField(label=_("The patient measured and sent a measurement by themselves"),
                                          required=False)
    usability_note = forms.CharField(label=_("Usability check: what was checked"), max_length=500)
    department = forms.ModelChoiceField(label=_("Responsible department (alarms may be escalated to it)"),
                                        queryset=None, required=False)

    def __init__(self, *args, condition: str, lang: str, departments, initial_department=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["condition"].initial = condition
        self.fields["department"].queryset = departments
        self.fields["department"].initial = initial_department
        plan = protocols.shipped().conditions[condition].plan
        self.plan_rows = []
        for name, kind in kinds.shipped().kinds.items():
            default = plan.get(name)
            self.fields[f"plan_{name}"] = forms.BooleanField(label=localized(kind, "title", lang), required=False,
                                                             initial=default is not None)
            self.fields[f"every_{name}"] = forms.IntegerField(label=_("every (days)"), min_value=1, max_value=90,
                                                              initial=default.every_days if default else 7)
            self.fields[f"missing_{name}"] = forms.IntegerField(
                label=_("missing after (days)"), min_value=1, max_value=120,
                initial=default.missing_after_days if default else 10)
            self.plan_rows.append((self[f"plan_{name}"], self[f"every_{name}"], self[f"missing_{name}"]))

    def main_fields(self):
        return [self[n] for n in ("condition", "source", "equipment", "usability_passed", "usability_note", "department")]

    def plan(self) -> list[tuple[str, int, int]]:
        d = self.cleaned_data
        return [(k, d[f"every_{k}"], d[f"missing_{k}"]) for k in kinds.shipped().kinds if d.get(f"plan_{k}")]


class AdjustForm(forms.Form):
    rule = forms.ChoiceField(label=_("Rule"))
    baseline = forms.FloatField(label=_("The patient's baseline"))
    offset = forms.FloatField(label=_("Threshold relative to the baseline (negative: below it)"))
    reason = forms.CharField(label=_("Reason"), max_length=500)

    def __init__(self, *args, rules, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rule"].choices = rules


class EndForm(forms.Form):
    reason = forms.CharField(label=_("Why the telemonitoring ends"), max_length=500)
