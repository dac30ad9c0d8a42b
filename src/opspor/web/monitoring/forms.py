from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from opspor.monitor import tasks as T
from opspor.web.core import date_fields, language
from opspor.web.monitoring.models import FollowUpGroup, MonitoringTask

STATES = (T.OVERDUE, T.DUE, T.UPCOMING, T.ONGOING, T.UNRESOLVED, T.DONE)


def enum_choices(enum, blank: str | None = None) -> list[tuple[str, str]]:
    """The domain's own Danish or English labels of an enum, in the request's language."""
    head = [("", blank)] if blank is not None else []
    return head + [(m.value, m.label(language.current())) for m in enum]


class TaskForm(forms.ModelForm):
    status = forms.MultipleChoiceField(label=_("Status codes"), required=False,
                                       choices=[(m.value, f"{m.value} – {m.da}") for m in T.StatusCode],
                                       widget=forms.CheckboxSelectMultiple)
    anchor_month = forms.TypedChoiceField(label=_("Month of measurement"), required=False, coerce=int,
                                          empty_value=None, choices=[("", "–")] + [(m, m) for m in range(1, 13)])

    class Meta:
        model = MonitoringTask
        fields = ["status", "monitoring", "weight", "owner", "frequency", "data_source", "indicators",
                  "anchor_month", "first_year", "due_date", "last_done", "start", "note"]
        field_classes = {"due_date": date_fields.DateField, "last_done": date_fields.DateField,
                         "start": date_fields.DateField}
        widgets = {"due_date": date_fields.DateInput(), "last_done": date_fields.DateInput(),
                   "start": date_fields.DateInput(), "note": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, enum in (("monitoring", T.Monitoring), ("frequency", T.Frequency), ("data_source", T.DataSource)):
            self.fields[name].choices = enum_choices(enum)
        self.fields["weight"].choices = enum_choices(T.Weight, "–")
        self.fields["status"].choices = [(m.value, f"{m.value} – {m.label(language.current())}") for m in T.StatusCode]
        if self.instance and self.instance.pk and not self.is_bound:
            self.initial["status"] = [s for s in self.instance.status.split("/") if s]

    def clean_status(self) -> str:
        return "/".join(self.cleaned_data["status"])

    def changes(self) -> dict:
        return {f: self.cleaned_data[f] for f in self.Meta.fields}


class RegisterFilter(forms.Form):
    group = forms.ModelChoiceField(label=_("Follow-up group"), queryset=FollowUpGroup.objects.all(), required=False,
                                   empty_label=_("All"))
    status = forms.ChoiceField(label=_("Status code"), required=False,
                               choices=[("", _("All"))] + [(m.value, m.value) for m in T.StatusCode])
    weight = forms.ChoiceField(label=_("Weight"), required=False,
                               choices=lambda: [("", _("All"))] + enum_choices(T.Weight))
    state = forms.ChoiceField(label=_("Due"), required=False, choices=lambda: [("", _("All"))] + [
        (s, T.state_labels(language.current())[s]) for s in STATES])


class ReportForm(forms.Form):
    """The committee report to make: its year and its language."""

    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100,
                              widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    lang = forms.ChoiceField(label=_("Language"), choices=(("da", _("Danish")), ("en", _("English"))))


class IntakePlanForm(forms.Form):
    """The region's own intake plan for Aktiv Patientstøtte (set by its secretariat)."""

    total = forms.IntegerField(label=_("Patients planned"), min_value=1, max_value=1_000_000,
                               widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    start = date_fields.DateField(label=_("From"))
    end = date_fields.DateField(label=_("To"))
    source = forms.CharField(label=_("Decided by (body and date)"), max_length=200)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The plan's end must be on or after its start."))
        return data
