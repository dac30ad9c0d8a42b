"""``{% shared_plan_part person %}``: the person page's link to the shared plan with the open
tasks; ``{% citizen_shared_plan person %}``: the shared plan in force and the tasks on the
citizen's own page (``/borger/``). The views that render them audit the read."""

from __future__ import annotations

from django import template

from opspor.web.accounts.roles import Role
from opspor.web.careplan import access, queries

register = template.Library()


@register.inclusion_tag("careplan/_person_part.html")
def shared_plan_part(person):
    plan = access.plan_of(person)
    current = plan.versions.select_related("author").first() if plan else None
    tasks = queries.tasks_of_person(person)
    return {"person": person, "current": current, "open_tasks": tasks.filter(status__in=("open", "in_progress")).count()}


@register.inclusion_tag("careplan/_citizen_part.html", takes_context=True)
def citizen_shared_plan(context, person):
    from opspor.i18n import localized
    from opspor.web.careplan import checklist
    from opspor.web.core import language

    plan = access.plan_of(person)
    current = plan.versions.select_related("author").first() if plan else None
    lang = language.current()
    sections = [(localized(s, "title", lang), current.sections.get(s.id, "")) for s in checklist.config().plan_sections
                if current and current.sections.get(s.id)]
    citizen = getattr(context.get("user"), "role", "") == Role.CITIZEN
    return {"current": current, "sections": sections,
            # the citizen writes their own sections; a relative reads only
            "writes": citizen and bool(checklist.config().owned_by(checklist.CITIZEN)),
            "tasks": queries.labelled(queries.tasks_of_person(person).exclude(status="cancelled"))}
