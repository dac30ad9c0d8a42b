"""``{% explained_lines lines %}``: a patient's lines of one list with why the patient was on it
and why each other contact did not count (worklists.explain), for pages of apps that may not
import the worklists app (the person page)."""

from __future__ import annotations

from django import template

from opspor.web.worklists import explain

register = template.Library()


@register.inclusion_tag("worklists/_explained_lines.html")
def explained_lines(lines):
    lines = list(lines)
    return {"why": explain.annotate(lines), "lines": lines}
