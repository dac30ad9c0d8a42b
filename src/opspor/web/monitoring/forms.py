from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
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
    """The region's own intake plan for Aktiv Patientstøtte (set by its secretariat): its period
    and the patients planned in each year of it, one field ``year_<year>`` per year. The year
    fields follow the period written (another period: save, and the form asks for its years);
    a number written for a year outside the period is refused, not dropped."""

    MAX_YEARS = 10  # a plan of more years is a typing error in a date
    YEAR_FIELD = re.compile(r"year_(\d{4})")

    start = date_fields.DateField(label=_("From"))
    end = date_fields.DateField(label=_("To"))
    source = forms.CharField(label=_("Decided by (body and date)"), max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for year in self._years():
            self.fields[f"year_{year}"] = forms.IntegerField(
                label=_("Patients planned in %(year)s") % {"year": year}, min_value=0, max_value=1_000_000,
                required=year in self._period(), widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
        self.order_fields(["start", "end", *(f"year_{y}" for y in self._years()), "source"])

    def _date(self, name: str):
        if not self.is_bound:
            return self.initial.get(name)
        try:
            return self.fields[name].clean(self.data.get(name))
        except ValidationError:
            return None

    def _period(self) -> range:
        start, end = self._date("start"), self._date("end")
        if start is None or end is None or end < start or end.year - start.year >= self.MAX_YEARS:
            return range(0)
        return range(start.year, end.year + 1)

    def _years(self) -> list[int]:
        if not self.is_bound:  # a new plan: this year and the next three, as long as the published plan
            return list(self._period() or range(timezone.localdate().year, timezone.localdate().year + 4))
        written = {int(m[1]) for k, v in self.data.items() if (m := self.YEAR_FIELD.fullmatch(k)) and v.strip()}
        return sorted(set(self._period()) | written)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The plan's end must be on or after its start."))
        elif start and end and end.year - start.year >= self.MAX_YEARS:
            self.add_error("end", _("A plan covers at most %(n)s years.") % {"n": self.MAX_YEARS})
        elif start and end:
            for year in sorted(set(self._years()) - set(self._period())):
                self.add_error(f"year_{year}", _("%(year)s lies outside the plan's period: empty the field or "
                                                 "change the period.") % {"year": year})
        return data

    def by_year(self) -> dict[int, int]:
        """The patients planned per year, as written (valid form)."""
        return {y: self.cleaned_data[f"year_{y}"] for y in self._years()
                if self.cleaned_data.get(f"year_{y}") is not None}
