"""The citizen's own sections of the shared plan (``/borger/plan/``; ``owner: citizen`` in
``careplan.yaml``): read with the plan in force and written as a new version through
``actions.save_citizen_sections``. Only the citizen's own person (``people.scope``); a relative
reads the plan on the citizen's page with the "plan" part of a grant and writes nothing."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from opspor.i18n import localized
from opspor.web.accounts.decorators import role_required
from opspor.web.accounts.roles import Role
from opspor.web.audit import actions as audit
from opspor.web.careplan import access, actions, checklist
from opspor.web.careplan.forms import citizen_form
from opspor.web.core import language
from opspor.web.people.scope import visible_persons


@role_required(Role.CITIZEN)
@require_http_methods(["GET", "POST"])
def own_sections(request):
    person = visible_persons(request.user).first()
    if person is None:
        raise PermissionDenied
    plan = access.plan_of(person)
    current = actions.current_version(plan)
    number = current.number if current else 0
    if request.method == "POST":
        form = citizen_form(request.POST)
        if form.is_valid():
            try:
                actions.save_citizen_sections(request.user, person, form.sections(), form.cleaned_data["based_on"])
            except ValidationError as e:
                form.add_error(None, e)
            else:
                messages.success(request, _("Your words are saved in the shared plan."))
                return redirect(reverse("citizen:home") + "#shared-plan")
        status = 400
    else:
        form = citizen_form(initial={"based_on": number, **{
            f"section_{sid}": (current.sections.get(sid, "") if current else "")
            for sid in checklist.config().owned_by(checklist.CITIZEN)}})
        status = 200
    audit.record(request, audit.Event.SHARED_PLAN, action=audit.READ, why=_("Citizen's own page"),
                 persons=[person.person_key], detail={"version": number})
    lang = language.current()
    others = [(localized(s, "title", lang), current.sections.get(s.id, ""))
              for s in checklist.config().plan_sections
              if s.owner != checklist.CITIZEN and current and current.sections.get(s.id)]
    return render(request, "careplan/citizen_sections.html", {"form": form, "current": current, "others": others},
                  status=status)
