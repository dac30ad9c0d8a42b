"""Which tasks and shared plans a user reaches: the conditions of ``people.scope`` (the one place
that decides it), applied to this app's rows."""

from __future__ import annotations

from django.http import Http404

from opspor.web.careplan.models import SharedPlan, Task
from opspor.web.people.policy import scope_of
from opspor.web.people.scope import care_tasks, get_person


def visible_tasks(user):
    condition = care_tasks(user)
    return Task.objects.none() if condition is None else Task.objects.filter(condition).distinct()


def get_task(user, pk: int) -> Task:
    """The task ``pk`` if ``user`` reaches it; 404 otherwise (the same answer whether it exists)."""
    try:
        return visible_tasks(user).select_related("person", "owner_org", "conference__department").get(pk=pk)
    except (Task.DoesNotExist, ValueError):
        raise Http404("not found") from None


def plan_person(user, public_id):
    """The person whose shared plan ``user`` asks for by the person's public id: one the user
    reaches (``people.scope``) and a role granted the ``shared_plan`` part; 404 otherwise."""
    if not scope_of(user).may("shared_plan"):
        raise Http404("not found")
    return get_person(user, public_id)


def plan_of(person) -> SharedPlan | None:
    return SharedPlan.objects.filter(person=person).first()
