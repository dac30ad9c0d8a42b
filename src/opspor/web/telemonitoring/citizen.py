"""The patient's own part of telemonitoring (``/borger/maalinger/``): the plan (what to measure
and how often) and a form to enter a measurement by hand, e.g. when the device cannot send.

An entry goes the way a device's does: it is written as a FHIR R4 Observation of the catalogue's
codes and units (``observation``), read and checked by ``telemonitoring.observations`` and stored
by ``actions.store`` (source *entered by the patient*), so the same plausibility checks, triage
and alarms apply. Only the citizen's own person (``people.scope``), only while
enrolled; every read and entry audited."""

from __future__ import annotations

import datetime as dt
import uuid

import msgspec
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from opspor.fhir.contract.systems import BASE, PERSON_PUBLIC_ID_SYSTEM
from opspor.i18n import localized
from opspor.telemonitoring import kinds, observations
from opspor.web.accounts.decorators import role_required
from opspor.web.accounts.roles import Role
from opspor.web.audit import actions as audit
from opspor.web.core.language import current
from opspor.web.people.scope import visible_persons
from opspor.web.telemonitoring import actions
from opspor.web.telemonitoring.models import Enrolment, Measurement, Source

ENTRY_SYSTEM = f"{BASE}/sid/patient-entry"  # the identifier system of measurements typed by the patient
SHOWN = 20


def observation(kind: kinds.Kind, values: list[float], public_id, at: dt.datetime, ucum: str) -> dict:
    """A FHIR R4 Observation of ``kind`` with ``values`` (one per part, in the catalogue's order)."""
    system, code = sorted(kind.codes)[0]
    ob = {"resourceType": "Observation", "status": "final",
          "identifier": [{"system": ENTRY_SYSTEM, "value": str(uuid.uuid4())}],
          "code": {"coding": [{"system": system, "code": code}]},
          "subject": {"identifier": {"system": PERSON_PUBLIC_ID_SYSTEM, "value": str(public_id)}},
          "effectiveDateTime": at.isoformat(timespec="seconds")}
    quantity = [{"value": v, "unit": p.unit, "system": ucum, "code": p.unit} for p, v in zip(kind.parts, values)]
    if kind.has_components:
        ob["component"] = [{"code": {"coding": [{"system": s, "code": c} for s, c in sorted(p.codes)[:1]]},
                            "valueQuantity": q} for p, q in zip(kind.parts, quantity)]
    elif kind.questionnaire or kind.parts[0].integer:
        ob["valueInteger"] = int(values[0])
    else:
        ob["valueQuantity"] = quantity[0]
    return ob


class EntryForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What did you measure?"))
    value = forms.FloatField(label=gettext_lazy("Value"))
    value2 = forms.FloatField(label=gettext_lazy("Second value (diastolic blood pressure)"), required=False)

    def __init__(self, *args, planned: list[kinds.Kind], lang: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kinds = {k.name: k for k in planned}
        self.fields["kind"].choices = [(k.name, _label(k, lang)) for k in planned]

    def clean(self):
        data = super().clean()
        kind = self.kinds.get(data.get("kind"))
        if kind is None or data.get("value") is None:
            return data
        values = [data["value"], data.get("value2")][:len(kind.parts)]
        for part, value, field in zip(kind.parts, values, ("value", "value2")):
            if value is None:
                self.add_error(field, _("Write the second number too."))
            elif not part.low <= value <= part.high:
                self.add_error(field, _("%(value)s is not possible here: a value between %(low)s and %(high)s. "
                                        "Check the number on the device.")
                               % {"value": _number(value), "low": _number(part.low), "high": _number(part.high)})
            elif part.integer and value != int(value):
                self.add_error(field, _("Write a whole number."))
        data["values"] = values
        return data


def _number(value: float) -> str:
    from opspor.i18n import decimal

    return decimal(value, 0 if value == int(value) else 1, current())


def _label(kind: kinds.Kind, lang: str) -> str:
    units = "/".join(dict.fromkeys(p.unit.replace("[Hg]", "Hg").replace("{score}", "") for p in kind.parts))
    title = localized(kind, "title", lang)
    return f"{title} ({units})" if units.strip() else title


@role_required(Role.CITIZEN)
@require_http_methods(["GET", "POST"])
def measurements(request):
    person = visible_persons(request.user).first()  # a citizen's own person (citizen.views.own_person)
    if person is None:
        raise PermissionDenied
    enrolment = Enrolment.objects.filter(person=person, state=Enrolment.State.ACTIVE).first()
    if enrolment is None:
        raise Http404("not enrolled")
    lang = current()
    catalogue = kinds.shipped()
    plan = [(catalogue.kinds[i.kind], i) for i in enrolment.plan.all() if i.kind in catalogue.kinds]
    form = EntryForm(request.POST or None, planned=[k for k, _i in plan], lang=lang)
    if request.method == "POST" and form.is_valid():
        kind = form.kinds[form.cleaned_data["kind"]]
        doc = observation(kind, form.cleaned_data["values"], person.public_id, timezone.localtime(), catalogue.ucum)
        readings = observations.read_body(catalogue, msgspec.json.encode(doc))
        actions.store(request.user, [readings], source=Source.PATIENT, sender="citizen",
                      catalogue_version=catalogue.version)
        messages.success(request, _("Thank you. Your measurement has been received, and the monitoring centre sees it."))
        return redirect("telemonitoring_citizen:measurements")
    rows = list(Measurement.objects.filter(person=person).order_by("-effective", "-version")[:SHOWN])
    for m in rows:
        m.title = _label(catalogue.kinds[m.kind], lang) if m.kind in catalogue.kinds else m.kind
    audit.record(request, audit.Event.CITIZEN_MEASUREMENTS, action=audit.READ, why=_("Citizen's own measurements"),
                 persons=[person.person_key], detail={"enrolment": enrolment.pk})
    return render(request, "telemonitoring/citizen.html", {
        "person": person, "enrolment": enrolment, "form": form, "rows": rows,
        "plan": [(_label(k, lang), i) for k, i in plan]})
