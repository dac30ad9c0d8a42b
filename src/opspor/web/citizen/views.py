"""The citizen's own page (``/borger/``): their status in Aktiv Patientstøtte or the package for
repeated admissions, the contact person, the next planned call, their goals and plan (with a
comment), messages with the nurse with read receipts, "who has looked at my data", and the
relatives they give access to. A relative sees the parts of a citizen's page the citizen granted
them, while the grant is in force (``relative``).

Only the user's own person, or a person whose grant names the relative
(``people.scope.visible_persons``); no id of a person or a case is taken from the URL or a
form (a relative's URL names the grant, which must be theirs and in force). Every read is
audited; every change goes through ``aps.actions`` or ``signin.actions``."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opspor.web.accounts.decorators import role_required
from opspor.web.accounts.roles import Role
from opspor.web.aps import actions as aps_actions
from opspor.web.aps import consent, instruments
from opspor.web.aps.forms import CitizenQuestionnaireForm
from opspor.web.aps.models import (
    Case,
    ConsentRecord,
    QuestionnaireRequest,
    QuestionnaireResponse,
    Session,
)
from opspor.web.aps.views import consent_pdf_response
from opspor.web.audit import actions as audit
from opspor.web.audit.models import AuditEntry
from opspor.web.citizen import actions
from opspor.web.citizen.forms import ContactForm, GrantForm
from opspor.web.people.scope import visible_persons
from opspor.web.signin import actions as signin
from opspor.web.signin.models import RelativeGrant
from opspor.web.worklists.models import Screening

citizen_only = role_required(Role.CITIZEN)
relative_only = role_required(Role.RELATIVE)

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


def _page(person, parts) -> dict:
    """What the page shows of ``person``: only ``parts`` (a relative's grant), each queried only
    when shown."""
    case = _case(person)
    context = {"person": person, "case": case, "parts": set(parts)}
    if "course" in parts:
        context["state_text"] = STATE_TEXTS.get(case.state, "") if case else ""
        context["package"] = (Screening.objects.filter(person=person, decision=Screening.Decision.INCLUDE)
                              .select_related("department").order_by("-decided_at").first())
    if case is None:
        return context
    if "calls" in parts:
        context["next_call"] = (case.sessions.filter(status=Session.Status.PLANNED, planned_for__gte=timezone.now())
                                .order_by("planned_for").first())
    if "plan" in parts:
        context["goals"] = list(case.goals.all())
        context["plan"] = case.plans.first()
    if "messages" in parts:
        context["thread"] = list(case.messages.select_related("sender"))
    return context


@role_required(Role.CITIZEN, Role.RELATIVE)
@require_GET
def home(request):
    if request.user.role == Role.RELATIVE:
        return _relative_home(request)
    person = own_person(request.user)
    case = _case(person)
    if case is not None:
        aps_actions.mark_read(request.user, case)  # the nurse's messages: read receipts
    context = _page(person, RelativeGrant.PARTS)
    context["can_write"] = case is not None and case.state in aps_actions.MESSAGE_STATES
    context["relatives"] = [g for g in person.relative_grants.all() if g.in_force(timezone.localdate())]
    context["questionnaires"] = _open_questionnaires(person)
    context["answered"] = _answered(person)
    context["contact_choice"] = person.own_contact()
    context.update(_consent_context(case))
    audit.record(request, audit.Event.CITIZEN_PAGE, action=audit.READ, why=_("Citizen's own page"),
                 persons=[person.person_key], detail={"case": case.pk if case else None})
    return render(request, "citizen/home.html", context)


@citizen_only
@require_POST
def send(request):
    """A message to the nurse, or (``plan`` given) a comment on the plan in force."""
    person = own_person(request.user)
    case = _case(person)
    if case is None:
        raise PermissionDenied
    comment = "plan" in request.POST
    plan = case.plans.first() if comment else None
    if comment and (plan is None or str(plan.pk) != request.POST.get("plan")):
        messages.error(request, _("The plan has changed since you opened the page. Read it again and write your comment."))
        return redirect("citizen:home")
    text = request.POST.get("text", "")[:2000]
    try:
        aps_actions.send_message(request.user, case, text, plan=plan)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Your comment has been sent to your nurse.") if comment
                         else _("Your message has been sent to your nurse."))
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


# --- consent as a record, the written agreement -------------------------------------------------

def _consent_context(case) -> dict:
    if case is None:
        return {}
    return {"consent_texts": consent.texts(), "consent_records": list(case.consent_records.all()),
            "can_consent": case.state == Case.State.INVITED,
            "can_withdraw": case.state in (Case.State.CONSENTED, Case.State.ACTIVE)}


def _own_case(request) -> Case:
    case = _case(own_person(request.user))
    if case is None:
        raise PermissionDenied
    return case


@citizen_only
@require_POST
def give_consent(request):
    """The citizen says yes to the programme, to the version of the text their page showed."""
    try:
        aps_actions.citizen_consent(request.user, _own_case(request), request.POST.get("text_version", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Thank you. You have said yes to Aktiv Patientstøtte. Your receipt is on this page."))
    return redirect("citizen:home")


@citizen_only
@require_POST
def withdraw_consent(request):
    try:
        aps_actions.citizen_withdraw(request.user, _own_case(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("You have withdrawn your consent. Your receipt is on this page."))
    return redirect("citizen:home")


@citizen_only
@require_GET
def consent_receipt(request, record_id):
    """The receipt of one of the citizen's own consent records (anyone else's: 404)."""
    person = own_person(request.user)
    try:
        record = (ConsentRecord.objects.select_related("case__person", "case__nurse", "recorded_by")
                  .get(public_id=record_id, case__person=person))
    except (ConsentRecord.DoesNotExist, ValueError, ValidationError):
        raise Http404("not found") from None
    return consent_pdf_response(request, record.case, record)


@citizen_only
@require_GET
def agreement_pdf(request):
    """The written agreement to print, while the citizen takes part."""
    case = _own_case(request)
    if case.state not in (Case.State.CONSENTED, Case.State.ACTIVE):
        raise Http404("not found")
    return consent_pdf_response(request, case)


# --- the citizen's phone, e-mail and channel ----------------------------------------------------

@citizen_only
@require_http_methods(["GET", "POST"])
def contact(request):
    """How the nurse and the invitations reach the citizen: their own phone number and e-mail
    address (shown as opspor has them: their own, else the region's), and e-mail or SMS."""
    person = own_person(request.user)
    choice = person.own_contact()
    initial = {"phone": person.contact_phone_display, "email": person.contact_email,
               "channel": choice.channel if choice else ""}
    form = ContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            actions.update_contact(request.user, person, phone=d["phone"], email=d["email"], channel=d["channel"])
        except ValidationError as error:
            form.add_error(None, error)  # each message on its field
        else:
            messages.success(request, _("Thank you. Your contact details are saved."))
            return redirect("citizen:home")
    if request.method == "GET":
        audit.record(request, audit.Event.CITIZEN_PAGE, action=audit.READ, why=_("Citizen's own contact details"),
                     persons=[person.person_key], detail={"part": "contact"})
    return render(request, "citizen/contact.html", {"person": person, "form": form},
                  status=400 if form.errors else 200)


# --- questionnaires answered at home ------------------------------------------------------------

def _open_questionnaires(person) -> list[QuestionnaireRequest]:
    found = [r for r in QuestionnaireRequest.objects.filter(case__person=person, state=QuestionnaireRequest.State.SENT)
             .order_by("deadline", "id") if aps_actions.answerable(r)]
    for r in found:
        instrument = instruments.get(r.instrument)
        r.instrument_name = instrument.name() if instrument else r.instrument
    return found


def _answered(person) -> list[QuestionnaireResponse]:
    """The citizen's questionnaires answered, newest first: which, when, and who typed them in
    (the answers are kept where the citizen can see them; the scores and the triage are for the
    nurse to talk about)."""
    found = list(QuestionnaireResponse.objects.filter(case__person=person).order_by("-taken_on", "-id")[:50])
    for r in found:
        instrument = instruments.get(r.instrument)
        r.instrument_name = instrument.name() if instrument else r.instrument
    return found


@citizen_only
@require_http_methods(["GET", "POST"])
def questionnaire(request, request_id):
    """A questionnaire the citizen was invited to answer (the link of the e-mail or SMS names
    its random id): the form, and the answers through ``aps.actions.answer_questionnaire``.
    Anyone else's id answers 404, whether it exists or not."""
    person = own_person(request.user)
    try:
        invitation = (QuestionnaireRequest.objects.select_related("case__person", "response")
                      .get(public_id=request_id, case__person=person))
    except (QuestionnaireRequest.DoesNotExist, ValueError, ValidationError):
        raise Http404("not found") from None
    instrument = instruments.get(invitation.instrument)
    if instrument is None or invitation.state in (QuestionnaireRequest.State.SCHEDULED,
                                                  QuestionnaireRequest.State.CANCELLED):
        raise Http404("not found")
    open_now = aps_actions.answerable(invitation)
    form = CitizenQuestionnaireForm(instrument, request.POST if request.method == "POST" and open_now else None)
    if request.method == "POST" and open_now and form.is_valid():
        try:
            aps_actions.answer_questionnaire(request.user, invitation, form.answers())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Thank you. Your answers have been sent to your nurse."))
            return redirect("citizen:home")
    if request.method == "GET":
        audit.record(request, audit.Event.CITIZEN_QUESTIONNAIRE, action=audit.READ, why=_("Citizen's questionnaire opened"),
                     persons=[person.person_key], detail={"request": str(invitation.public_id), "state": invitation.state})
    return render(request, "citizen/questionnaire.html", {
        "invitation": invitation, "instrument": instrument, "form": form, "open_now": open_now,
    }, status=400 if form.errors else 200)


# --- relatives ---------------------------------------------------------------------------------

@citizen_only
@require_http_methods(["GET", "POST"])
def relatives(request):
    """The relatives the citizen gives access to: who, what, until when; give and take back."""
    person = own_person(request.user)
    form = GrantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            signin.grant_relative(request.user, person, key=signin.relative_key(d["cpr"]), name=d["name"],
                                  parts=d["parts"], until=d["until"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("%(name)s can now see what you chose.") % {"name": d["name"]})
            return redirect("citizen:relatives")
    today = timezone.localdate()
    grants = list(person.relative_grants.all())
    return render(request, "citizen/relatives.html", {
        "person": person, "form": form,
        "in_force": [g for g in grants if g.in_force(today)],
        "ended": [g for g in grants if not g.in_force(today)],
    }, status=400 if form.errors else 200)


@citizen_only
@require_POST
def revoke(request, grant_id):
    person = own_person(request.user)
    try:
        grant = person.relative_grants.get(public_id=grant_id)
    except (RelativeGrant.DoesNotExist, ValueError, ValidationError):
        raise Http404("not found") from None
    signin.revoke_relative(request.user, grant)
    messages.success(request, _("%(name)s can no longer see your page.") % {"name": grant.relative_name})
    return redirect("citizen:relatives")


def _grants_of(user):
    account = getattr(user, "relative_account", None)
    if account is None:
        return RelativeGrant.objects.none()
    return (RelativeGrant.objects.filter(relative_key=account.relative_key, revoked_at__isnull=True,
                                         until__gte=timezone.localdate(), person__in=visible_persons(user))
            .select_related("person"))


def _relative_home(request):
    grants = list(_grants_of(request.user))
    return render(request, "citizen/relative_home.html", {"grants": grants})


@relative_only
@require_GET
def relative_view(request, grant_id):
    """A citizen's page as a relative sees it: only the parts of the grant, while in force."""
    try:
        grant = _grants_of(request.user).get(public_id=grant_id)
    except (RelativeGrant.DoesNotExist, ValueError, ValidationError):
        raise Http404("not found") from None
    context = _page(grant.person, grant.parts)
    context.update({"grant": grant, "as_relative": True})
    audit.record(request, audit.Event.RELATIVE_READ, action=audit.READ, why=_("Relative's view of the citizen's page"),
                 persons=[grant.person.person_key], detail={"grant": str(grant.public_id), "parts": grant.parts})
    return render(request, "citizen/home.html", context)
