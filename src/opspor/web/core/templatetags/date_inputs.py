"""``{% date_input "dato" day %}``: the dd-mm-åååå text input of core/date_fields.py for a form
that is not a Django form (the day view's "go to day")."""

from __future__ import annotations

from django import template

from opspor.web.core.date_fields import DateInput

register = template.Library()


@register.simple_tag
def date_input(name: str, value, **attrs) -> str:
    return DateInput(attrs={"id": name, **attrs}).render(name, value)
