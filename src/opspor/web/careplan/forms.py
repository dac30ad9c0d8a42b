from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from opspor.i18n import localized
from opspor.web.careplan import checklist
from opspor.web.careplan.actions import SECTION_MAX
from opspor.web.careplan.models import Participant, Sector, Task
from opspor.web.core import date_fields, language


def _lang() -> str:
    return language.current()


class ParticipantForm(forms.Form):
    kind = forms.ChoiceField(label=_("Participant"), choices=Participant.Kind.choices)
    name = forms.CharField(label=_("Name"), max_length=200)
    profession = forms.CharField(label=_("Profession or relation"), max_length=120, required=False)
    by_video = forms.BooleanField(label=_("Takes part by video"), required=False)
    video_link = forms.URLField(label=_("Video link"), max_length=500, required=False, assume_scheme="https")


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Task"), max_length=300)
    sector = forms.ChoiceField(label=_("Owner (sector)"), choices=Sector.choices)
    profession = forms.ChoiceField(label=_("Owner (profession)"))
    due_on = date_fields.DateField(label=_("Due"), widget=date_fields.DateInput())
    detail = forms.CharField(label=_("Detail"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["profession"].choices = [(k, localized(p, "title", _lang()))
                                             for k, p in checklist.config().professions.items()]


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Task.Status.choices)
    note = forms.CharField(max_length=2000, required=False)


class PlanForm(forms.Form):
    """The sections ``owned`` by the writer (a sector's, or the citizen's: ``careplan.yaml``),
    the change note (not asked of the citizen) and the version the writer saw."""

    based_on = forms.IntegerField(min_value=0, widget=forms.HiddenInput())
    change_note = forms.CharField(label=_("What did you change?"), max_length=300)

    def __init__(self, *args, owned: tuple[str, ...] = (), rows: int = 3, change_note: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not change_note:
            del self.fields["change_note"]
        sections = {}
        for s in checklist.config().plan_sections:
            if s.id not in owned:
                continue
            sections[f"section_{s.id}"] = forms.CharField(
                label=localized(s, "title", _lang()), max_length=SECTION_MAX, required=False,
                widget=forms.Textarea(attrs={"rows": rows}))
        self.fields = {**sections, **self.fields}

    def sections(self) -> dict[str, str]:
        """The owned sections' texts, and any other section sent (the action refuses a change of
        a section the writer does not own, rather than dropping it unseen)."""
        sent = {k.removeprefix("section_"): str(v) for k, v in self.data.items() if k.startswith("section_")}
        return sent | {k.removeprefix("section_"): v for k, v in self.cleaned_data.items() if k.startswith("section_")}


def citizen_form(*args, **kwargs) -> PlanForm:
    """The citizen's own sections (``owner: citizen``) and the version they saw."""
    return PlanForm(*args, owned=checklist.config().owned_by(checklist.CITIZEN), rows=5, change_note=False, **kwargs)
