"""The citizen's own page: only their own person, every read audited."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from opspor.web.accounts.decorators import role_required
from opspor.web.accounts.roles import Role
from opspor.web.audit import actions as audit
from opspor.web.people.scope import visible_persons


def own_person(user):
    """The citizen's own person; 403 for an account linked to none."""
    person = visible_persons(user).first()
    if person is None:
        raise PermissionDenied
    return person


@role_required(Role.CITIZEN)
@require_GET
def home(request):
    person = own_person(request.user)
    audit.record(request, audit.Event.CITIZEN_PAGE, action=audit.READ, why=_("Citizen's own page"),
                 persons=[person.person_key])
    return render(request, "citizen/home.html", {"person": person})
