from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from opspor.web.core import date_fields
from opspor.web.worklists.models import Category, MdtConference, Screening


class ScreeningForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=Screening.Decision.choices, widget=forms.RadioSelect)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices, widget=forms.RadioSelect, required=False)
    note = forms.CharField(label=_("Short note"), max_length=2000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, prefix_id: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.auto_id = f"id_{prefix_id}_%s" if prefix_id else "id_%s"

    @classmethod
    def for_block(cls, block) -> ScreeningForm:
        """The form as the patient's block shows it: the saved decision, category and note."""
        s = block.screening
        return cls(prefix_id=str(block.person.pk), initial={
            "decision": s.decision if s else None,
            "category": s.category if s else None,
            "note": s.note if s else "",
        })

    def clean(self):
        data = super().clean()
        if data.get("decision") == Screening.Decision.INCLUDE and not data.get("category"):
            self.add_error("category", _("Choose the category the patient is included in."))
        if data.get("decision") == Screening.Decision.NO_ACTION:
            data["category"] = ""
        return data


class MdtForm(forms.ModelForm):
    conclude = forms.BooleanField(label=_("Conclude the conference (the recommendation goes into the record)"),
                                  required=False)

    class Meta:
        model = MdtConference
        fields = ["conference_date", "participants", "age", "history", "comorbidity", "clinical_findings",
                  "paraclinical_findings", "functional_level", "social_conditions", "recommendation",
                  "action_by_gp", "action_by_municipality"]
        field_classes = {"conference_date": date_fields.DateField}
        widgets = {
            "conference_date": date_fields.DateInput(),
            **{f: forms.Textarea(attrs={"rows": 3}) for f in (
                "history", "comorbidity", "clinical_findings", "paraclinical_findings",
                "functional_level", "social_conditions", "recommendation")},
        }

    def clean(self):
        data = super().clean()
        if data.get("conclude"):
            for name in MdtConference.REQUIRED_TO_CONCLUDE:
                if not (data.get(name) or "").strip():
                    self.add_error(name, _("Fill this in before the conference is concluded (minimum content)."))
            if not data.get("conference_date"):
                self.add_error("conference_date", _("Give the date of the conference."))
        return data
