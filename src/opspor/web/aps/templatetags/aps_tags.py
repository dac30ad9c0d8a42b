"""Template helpers of the programme pages: labels of routes, state badges, the pool's reveal
forms, and the programme's part of a person's page."""

from __future__ import annotations

import functools
import uuid

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from opspor.rules import load_aps_eligibility
from opspor.web.accounts.roles import Role
from opspor.web.aps import labels, queries
from opspor.web.aps.models import Case
from opspor.web.people.models import Person

register = template.Library()

# The ids of rules/config/aps_eligibility.yaml, as users read them; the numbers are the rule's.
ROUTE_LABELS = {
    "diagnosis": _("chronic disease diagnosis"),
    "repeated_admissions": _("%(at_least)s+ acute admissions in %(months)s months"),
    "elderly_preventable_or_readmission": _("%(min_age)s+ with a preventable admission or readmission"),
}
DAYS_PER_MONTH = 365.25 / 12  # calendar: a window in days read as months


@functools.cache
def _route_values() -> dict[str, dict[str, int]]:
    """Per route of the shipped eligibility rule: its age and its first condition's count and
    window (in months), the numbers its label states."""
    out = {}
    for route in load_aps_eligibility().routes:
        first = route.any_of[0]
        out[route.id] = {"min_age": route.min_age or 0, "at_least": first.at_least,
                         "months": round((first.window_days or 0) / DAYS_PER_MONTH)}
    return out


def route_label(route: str) -> str:
    label = ROUTE_LABELS.get(route)
    return route if label is None else str(label) % _route_values().get(route, {})
STATE_BADGES = {"invited": "new", "consented": "ok", "active": "ok", "refused": "muted", "ended": "muted"}


register.simple_tag(labels.admissions_column, name="admissions_column")
register.simple_tag(labels.ranked_by_admissions, name="ranked_by_admissions")


@register.filter
def route_labels(routes) -> str:
    return "; ".join(route_label(r) for r in routes or ())


@register.filter
def state_badge(state: str) -> str:
    return STATE_BADGES.get(state, "muted")


# a person no one has: public id and key that no stored person can have (a uuid4's version digit is 4)
_STAND_IN = Person(public_id=uuid.UUID("ffffffff-ffff-ffff-ffff-ffffffffffff"), person_key="~" * 8)


@register.simple_tag(takes_context=True)
def reveal_form(context, person) -> str:
    """``aps/_reveal.html`` for ``person`` not revealed: the template rendered once per page for a
    stand-in, then each person's public id and key put in (the only parts of the person the form
    shows), so a page of rows pays a text replacement a row instead of a template."""
    made = context.render_context.dicts[0].get(reveal_form)
    if made is None:
        with context.push(person=_STAND_IN, revealed=False, form=None):
            made = context.template.engine.get_template("aps/_reveal.html").render(context)
        context.render_context.dicts[0][reveal_form] = made
    return mark_safe(made.replace(str(_STAND_IN.public_id), str(person.public_id))  # ids only: nothing to escape
                     .replace(_STAND_IN.short_key, person.short_key))


@register.inclusion_tag("aps/_person_cases.html", takes_context=True)
def aps_person_cases(context, person):
    """The person's cases as the user may see them: nurses their own, leads their region's,
    municipalities and GPs the included ones (state and nurse only); nobody else anything."""
    user = context["request"].user
    show_links = user.has_role(Role.NURSE, Role.PROGRAMME_LEAD)
    if show_links:
        cases = queries.cases_visible_to(user).filter(person=person)
    elif user.has_role(Role.MUNICIPALITY):
        cases = Case.objects.included().filter(person=person)
    else:
        cases = Case.objects.none()
    cases = list(cases.select_related("nurse").order_by("-invited_at", "-id"))
    eligibility = queries.eligibility_of(person, user.region_code) if user.has_role(Role.PROGRAMME_LEAD) else None
    if eligibility is not None and eligibility.excluded:  # exclusion reasons are never shown to the lead
        eligibility = None
    return {"cases": cases, "show_links": show_links, "eligibility": eligibility, "user": user,
            "detailed": show_links}


_EMPTY_FORMS: dict[tuple[type, str, str], str] = {}


@register.simple_tag
def form_fields(form) -> str:
    """``aps/_fields.html`` of ``form``. An empty form of a class that renders the same every time
    it is empty (``same_when_empty``: no initial values, choices fixed in the code) is rendered
    once per process, ids and language: nothing it shows can change while the process runs. A
    form given initial values is rendered each time, whatever its class says."""
    if form.is_bound or form.initial or not getattr(form, "same_when_empty", False):
        return render_to_string("aps/_fields.html", {"form": form})
    key = (type(form), form.auto_id, get_language())
    html = _EMPTY_FORMS.get(key)
    if html is None:
        html = _EMPTY_FORMS[key] = render_to_string("aps/_fields.html", {"form": form})
    return html
