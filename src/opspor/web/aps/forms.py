"""The forms of the programme pages. They check the shape of the input; the rules of the
programme are checked once, in ``actions``."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from opspor.web.aps import instruments, rules
from opspor.web.aps.instruments import Instrument
from opspor.web.aps.models import Case, Goal, QuestionnaireRequest, QuestionnaireResponse, Session
from opspor.web.audit.forms import CprField
from opspor.web.core import date_fields, params


def _datetime_field(label, **kwargs) -> date_fields.DateTimeField:
    return date_fields.DateTimeField(label=label, **kwargs)


def _now_local() -> dt.datetime:
    return timezone.localtime().replace(second=0, microsecond=0)


class IdForm(forms.Form):
    """A form whose ids are unique on a page with several copies of it (one per row), or with
    other forms that have fields of the same name (the case page: ``text``, ``note``)."""

    id_prefix = ""
    # an empty form renders the same every time (no initial values, choices fixed in the code):
    # aps_tags.form_fields renders it once per process
    same_when_empty = False

    def __init__(self, *args, id_prefix: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        id_prefix = id_prefix or self.id_prefix
        if id_prefix:
            self.auto_id = f"id_{id_prefix}_%s"


# --- programme lead ---------------------------------------------------------------------------

class CapacityForm(IdForm):
    capacity = forms.IntegerField(label=_("Capacity (patients)"), min_value=0, max_value=rules.MAX_CAPACITY)


class ReferralForm(IdForm):
    """A person referred by a GP or a hospital department, taken in outside the criteria."""

    id_prefix = "referral"

    cpr = CprField(label=_("CPR number of the referred person"),
                   widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric"}))
    source = forms.ChoiceField(label=_("Referred by"), choices=[("", "—"), *Case.ReferralSource.choices])
    referrer = forms.CharField(label=_("Referrer (practice or department)"), max_length=200)
    referred_on = date_fields.DateField(label=_("Date of the referral"))
    reason = forms.CharField(label=_("Reason for the referral"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}))
    nurse = forms.ChoiceField(label=_("Support nurse"), error_messages={"required": _("Choose a support nurse.")})

    def __init__(self, *args, nurse_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nurse"].choices = [("", "—"), *nurse_choices]


class CaseloadForm(forms.Form):
    """Search and order of "My caseload" (GET): a name, CPR number or person code; a column."""

    SORTS = {"name": _("Name"), "age": _("Age"), "state": _("State"), "invited": _("Invited"),
             "started": _("Support started"), "next": _("Next session"), "last": _("Last contact")}

    q = forms.CharField(label=_("Search name or CPR number"), max_length=100, required=False,
                        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}))


class InviteForm(forms.Form):
    """Persons ticked on the programme page (any number, by public id) and one nurse."""

    nurse = forms.ChoiceField(label=_("Support nurse"), error_messages={"required": _("Choose a support nurse.")})

    def __init__(self, *args, nurse_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nurse"].choices = [("", "—"), *nurse_choices]

    def clean(self):
        data = super().clean()
        data["persons"] = params.public_id_list(self.data, "persons")  # junk is a 400, not "choose one"
        if not data["persons"]:
            raise forms.ValidationError(_("Choose at least one person to invite."))
        return data


class RevealForm(IdForm):
    reason = forms.CharField(label=_("Reason for showing CPR and name"), max_length=200,
                             widget=forms.TextInput(attrs={"list": "reveal-reasons", "autocomplete": "off"}))


class PoolFilterForm(forms.Form):
    municipality = forms.ChoiceField(label=_("Municipality"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[
        ("", _("All")), ("new", _("Not invited yet")), ("open", _("Invited or in the programme")),
        ("closed", _("Refused or ended")),
    ])

    def __init__(self, *args, municipalities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["municipality"].choices = [("", _("All"))] + [(m.code, m.name) for m in municipalities]


class ReassignForm(forms.Form):
    nurse = forms.ChoiceField(label=_("Give the case to"))

    def __init__(self, *args, nurses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["nurse"].choices = [("", "—")] + [(str(n.pk), n.get_full_name() or n.username) for n in nurses]


# --- the nurse's case -------------------------------------------------------------------------

class RefusalForm(IdForm):
    same_when_empty = True
    id_prefix = "refusal"

    # "could not be reached" is no refusal (kept for earlier rows): the answer section has "Not reached"
    reason = forms.ChoiceField(label=_("Reason for refusal"), choices=[
        ("", "—"), *((v, label) for v, label in Case.RefusalReason.choices if v != Case.RefusalReason.NO_CONTACT)])
    note = forms.CharField(label=_("Note (required when the reason is \"other\")"), max_length=2000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        data = super().clean()
        if data.get("reason") == Case.RefusalReason.OTHER and not (data.get("note") or "").strip():
            self.add_error("note", _("Describe the reason in the note when the reason is \"other\"."))
        return data


class NotReachedForm(IdForm):
    same_when_empty = True
    id_prefix = "not_reached"

    note = forms.CharField(label=_("Note (optional)"), max_length=2000, required=False,
                           widget=forms.Textarea(attrs={"rows": 1}))


class StartupForm(IdForm):
    id_prefix = "startup"

    held_at = _datetime_field(_("Held at"))
    note = forms.CharField(label=_("Note from the start-up session"), max_length=4000, required=False,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"held_at": _now_local()})
        super().__init__(*args, **kwargs)


class PlanSessionForm(IdForm):
    same_when_empty = True
    planned_for = _datetime_field(_("Planned for"))


class RecordSessionForm(IdForm):
    status = forms.ChoiceField(label=_("Outcome"), widget=forms.RadioSelect, choices=[
        (Session.Status.HELD, _("Held")), (Session.Status.MISSED, _("Not reached")),
        (Session.Status.CANCELLED, _("Cancelled"))])
    held_at = _datetime_field(_("Held at (when held)"), required=False)
    note = forms.CharField(label=_("Note"), max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class GoalForm(IdForm):
    same_when_empty = True
    text = forms.CharField(label=_("New goal"), max_length=500)


class GoalStatusForm(IdForm):
    status = forms.ChoiceField(label=_("Status"), choices=Goal.Status.choices)


class PlanForm(IdForm):
    id_prefix = "plan"

    text = forms.CharField(label=_("Self-management plan"), max_length=8000, widget=forms.Textarea(attrs={"rows": 8}))


class NoteForm(IdForm):
    same_when_empty = True
    id_prefix = "note"

    text = forms.CharField(label=_("Note"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


class MessageForm(IdForm):
    """A message between the citizen and the nurse (both sides use it)."""
    same_when_empty = True

    id_prefix = "message"

    text = forms.CharField(label=pgettext_lazy("citizen", "Message"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}))


class EndForm(IdForm):
    same_when_empty = True
    id_prefix = "end"

    reason = forms.ChoiceField(label=_("Reason for ending support"), choices=[("", "—"), *Case.EndReason.choices])
    note = forms.CharField(label=_("Note (required when the reason is \"other\")"), max_length=2000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        data = super().clean()
        if data.get("reason") == Case.EndReason.OTHER and not (data.get("note") or "").strip():
            self.add_error("note", _("Describe the reason in the note when the reason is \"other\"."))
        return data


class InstrumentChoiceForm(IdForm):
    id_prefix = "choose"

    instrument = forms.ChoiceField(label=_("Questionnaire"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["instrument"].choices = [(i.id, i.name()) for i in instruments.instruments().values()]


def item_field_name(item_id: str) -> str:
    return f"item_{item_id}"


class QuestionnaireForm(forms.Form):
    """The form of one instrument, generated from its configuration: one radio group per item
    (unanswered is allowed; the instrument's missing-answer rule decides whether it scores)."""

    instrument = forms.CharField(widget=forms.HiddenInput)
    timepoint = forms.ChoiceField(label=_("Time point"), choices=[("", "—"), *QuestionnaireResponse.Timepoint.choices])
    taken_on = date_fields.DateField(label=_("Date answered"))

    def __init__(self, instrument: Instrument, *args, **kwargs):
        kwargs.setdefault("initial", {"instrument": instrument.id, "taken_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.spec = instrument  # not ``self.instrument``: templates would find the field of that name
        for item in instrument.items:
            self.fields[item_field_name(item.id)] = forms.TypedChoiceField(
                label=item.label(), required=False, coerce=int, empty_value=None, widget=forms.RadioSelect,
                choices=[(c.value, f"{c.value} – {c.text()}") for c in item.scale.choices])

    def item_fields(self):
        return [self[item_field_name(item.id)] for item in self.spec.items]

    def when_fields(self):
        return [self["timepoint"], self["taken_on"]]

    def answers(self) -> dict[str, int | None]:
        return {item.id: self.cleaned_data.get(item_field_name(item.id)) for item in self.spec.items}


class ScheduleQuestionnaireForm(IdForm):
    """The programme's questionnaire sent to the citizen at the configured time points (the
    nurse may leave some out), by e-mail or SMS. The address is checked by the action. Given the
    ``person``, the channel and address start as the citizen chose them (their own page), else
    e-mail to the address known, else SMS to the number known."""

    id_prefix = "schedule"

    channel = forms.ChoiceField(label=_("Send by"), widget=forms.RadioSelect,
                                choices=QuestionnaireRequest.Channel.choices, initial=QuestionnaireRequest.Channel.EMAIL)
    address = forms.CharField(label=_("The citizen's e-mail address or mobile number"), max_length=200)
    first_day = date_fields.DateField(label=_("First questionnaire on"))
    timepoints = forms.MultipleChoiceField(label=_("Time points (months after the first)"),
                                           widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, person=None, **kwargs):
        configured = rules.QUESTIONNAIRES
        points = configured.timepoints if configured else ()
        kwargs.setdefault("initial", {"first_day": timezone.localdate(), "timepoints": [t for t, _m in points],
                                      **(self.reach(person) if person is not None else {})})
        super().__init__(*args, **kwargs)
        labels = dict(QuestionnaireResponse.Timepoint.choices)
        self.fields["timepoints"].choices = [(t, f"{labels[t]} ({months})") for t, months in points]

    @staticmethod
    def reach(person) -> dict:
        Channel = QuestionnaireRequest.Channel
        own = person.own_contact()
        address = {Channel.EMAIL: person.contact_email, Channel.SMS: person.contact_phone}
        channel = own.channel if own and own.channel else Channel.EMAIL if address[Channel.EMAIL] else \
            Channel.SMS if address[Channel.SMS] else Channel.EMAIL
        return {"channel": channel, "address": address[channel]}


class CitizenQuestionnaireForm(forms.Form):
    """The citizen's form of one instrument: one radio group per question, each question asked
    answered (at home every question is asked; the error names the question). A conditional
    question (``enable_when``) is asked only when the answer it depends on was given: hidden, it
    is neither required nor kept, whatever the browser sent."""

    def __init__(self, instrument: Instrument, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.spec = instrument
        self.numbers = {}
        for n, item in enumerate(instrument.items, start=1):
            self.numbers[item.id] = n
            self.fields[item_field_name(item.id)] = forms.TypedChoiceField(
                label=f"{n}. {item.label()}", coerce=int, empty_value=None, widget=forms.RadioSelect,
                required=False, choices=[(c.value, c.text()) for c in item.scale.choices])
            if item.enable_when is not None:  # for the page's script (citizen/enable_when.js)
                self.fields[item_field_name(item.id)].when = {
                    "field": item_field_name(item.enable_when.item),
                    "values": " ".join(map(str, item.enable_when.answers))}

    def clean(self):
        data = super().clean()
        given = {item.id: data.get(item_field_name(item.id)) for item in self.spec.items}
        asked = {i.id for i in self.spec.enabled(given)}
        for item in self.spec.items:
            name = item_field_name(item.id)
            if item.id not in asked:
                data[name] = None  # hidden: not kept
            elif data.get(name) is None and name not in self.errors:
                self.add_error(name, _("Answer question %(n)s.") % {"n": self.numbers[item.id]})
        return data

    def answers(self) -> dict[str, int | None]:
        return {item.id: self.cleaned_data.get(item_field_name(item.id)) for item in self.spec.items}
