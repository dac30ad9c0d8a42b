"""The citizen's own page (``/borger/``): their status in Aktiv Patientstøtte or the package for
repeated admissions, the contact person, the next planned call, their goals and plan (with a
comment), messages with the nurse with read receipts, and "who has looked at my data".

Only the citizen's own person (``people.scope.visible_persons``: the person their account is
linked to); no id of a person or a case is taken from the URL or a form. Every read is audited;
every change goes through ``aps.actions``."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from opspor.web.accounts.decorators import role_required
from opspor.web.accounts.roles import Role
from opspor.web.aps import actions as aps_actions
from opspor.web.aps.forms import MessageForm
from opspor.web.aps.models import Case, Session
from opspor.web.audit import actions as audit
from opspor.web.audit.models import AuditEntry
from opspor.web.people.scope import visible_persons
from opspor.web.worklists.models import Screening

citizen_only = role_required(Role.CITIZEN)

# What each state of the case means, in plain words.
STATE_TEXTS = {
    Case.State.INVITED: gettext_lazy("You have been invited to Aktiv Patientstøtte. A nurse will call you to tell you about it."),
    Case.State.CONSENTED: gettext_lazy("You have said yes to Aktiv Patientstøtte. Your nurse will agree a first meeting with you."),
    Case.State.ACTIVE: gettext_lazy("You are taking part in Aktiv Patientstøtte. Your nurse calls you as agreed."),
    Case.State.REFUSED: gettext_lazy("You have said no thank you to Aktiv Patientstøtte."),
    Case.State.ENDED: gettext_lazy("Your time in Aktiv Patientstøtte has ended."),
}


def own_person(user):
    """The citizen's own person; 403 for an account linked to none."""
    person = visible_persons(user).first()
    if person is None:
        raise PermissionDenied
    return person


def _case(person) -> Case | None:
    return person.aps_cases.select_related("nurse").order_by("-invited_at").first()


@citizen_only
@require_GET
def home(request):
    person = own_person(request.user)
    case = _case(person)
    context = {"person": person, "case": case, "form": MessageForm(), "comment_form": MessageForm(id_prefix="comment")}
    if case is not None:
        aps_actions.mark_read(request.user, case)  # the nurse's messages: read receipts
        plans = list(case.plans.all()[:1])
        context.update({
            "state_text": STATE_TEXTS.get(case.state, ""),
            "next_call": case.sessions.filter(status=Session.Status.PLANNED, planned_for__gte=timezone.now())
            .order_by("planned_for").first(),
            "goals": list(case.goals.all()),
            "plan": plans[0] if plans else None,
            "thread": list(case.messages.select_related("sender")),
            "can_write": case.state in aps_actions.MESSAGE_STATES,
        })
    context["package"] = (Screening.objects.filter(person=person, decision=Screening.Decision.INCLUDE)
                          .select_related("department").order_by("-decided_at").first())
    audit.record(request, audit.Event.CITIZEN_PAGE, action=audit.READ, why=_("Citizen's own page"),
                 persons=[person.person_key], detail={"case": case.pk if case else None})
    return render(request, "citizen/home.html", context)


@citizen_only
@require_POST
def send(request):
    """A message to the nurse, or (``plan`` given) a comment on the plan in force."""
    person = own_person(request.user)
    case = _case(person)
    comment = "plan" in request.POST
    form = MessageForm(request.POST, id_prefix="comment" if comment else "message")
    if case is None:
        raise PermissionDenied
    plan = case.plans.first() if comment else None
    if comment and (plan is None or str(plan.pk) != request.POST.get("plan")):
        messages.error(request, _("The plan has changed since you opened the page. Read it again and write your comment."))
        return redirect("citizen:home")
    if form.is_valid():
        try:
            aps_actions.send_message(request.user, case, form.cleaned_data["text"], plan=plan)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Your comment has been sent to your nurse.") if comment
                             else _("Your message has been sent to your nurse."))
        return redirect("citizen:home")
    messages.error(request, _("Write a message."))
    return redirect("citizen:home")


@citizen_only
@require_GET
def access(request):
    """"Who has looked at my data": the auditor's access report of the citizen's own person,
    less what the citizen did themselves."""
    person = own_person(request.user)
    entries = list(AuditEntry.objects.access_report(person.person_key).exclude(user=request.user)[:500])
    audit.record(request, audit.Event.CITIZEN_ACCESS_REPORT, action=audit.READ, why=_("Citizen's own access report"),
                 persons=[person.person_key], detail={"results": len(entries)})
    return render(request, "citizen/access.html", {"person": person, "entries": entries})
