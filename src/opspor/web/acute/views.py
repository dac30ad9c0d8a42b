"""The acute function's pages: the team's list, the referrer's list and form, and the case page
with the team's actions. Thin: who reaches what is ``access`` (``people.scope``), changes are
``actions``; every read of person data is audited here."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from opspor.i18n import localized
from opspor.web.accounts.decorators import role_required
from opspor.web.accounts.roles import Role
from opspor.web.acute import actions, routing
from opspor.web.acute.access import get_referral, visible_referrals
from opspor.web.acute.forms import ChangeForm, CloseForm, DecisionForm, ReferralForm
from opspor.web.acute.models import Referral
from opspor.web.audit import actions as audit
from opspor.web.core import language
from opspor.web.directory.models import Offer
from opspor.web.people.scope import shows_identity

REFERRERS = (Role.MUNICIPALITY, Role.SPECIALIST, Role.DOCTOR)


@dataclass(frozen=True)
class Doctor:
    title: str
    name: str
    phone: str
    rule: str
    holiday: str | None


def _doctor(referral: Referral, responsible: str, route: routing.Route | None = None) -> Doctor:
    """Whom the team contacts: the referring doctor (name, practice or department, direct
    phone) or the region's on-call service (name, phone) from the routing file."""
    rules = routing.rules()
    da, en = rules.titles[responsible]
    title = localized({"title_da": da, "title_en": en}, "title", language.current())
    if responsible == "on_call":
        on_call = rules.on_call_of(referral.region_code)
        name, phone = (on_call.name, on_call.phone) if on_call else (title, "")
    else:
        name, phone = f"{referral.referrer_display}, {referral.referrer_org.name}", referral.referrer_phone
    return Doctor(title, name, phone, route.rule if route else referral.responsible_rule,
                  route.holiday if route else None)


def _label(request, referral: Referral) -> str:
    person = referral.person
    return f"{person.name} ({person.cpr_display})" if shows_identity(request, person) else person.short_key


def _add_errors(form, error: ValidationError) -> None:
    """An action's refusal shown on the form: by field where it names one, else above it."""
    pairs = error.message_dict.items() if hasattr(error, "error_dict") else [(None, error.messages)]
    for field, errors in pairs:
        for message in errors:
            form.add_error(field, message)


def _rows(request, referrals) -> list[dict]:
    now = timezone.now()
    return [{"r": r, "label": _label(request, r), "overdue": r.state == Referral.State.CLARIFICATION
             and r.clarification_deadline <= now} for r in referrals]


@role_required(Role.ACUTE_NURSE)
@require_GET
def team(request):
    """The acute team's referrals: those in clarification first (soonest deadline first), then
    the accepted ones; the ended ones of the last days below."""
    referrals = list(visible_referrals(request.user).select_related("person", "referrer_org")
                     .order_by("clarification_deadline"))
    open_ = [r for r in referrals if r.open]
    open_.sort(key=lambda r: (r.state != Referral.State.CLARIFICATION, r.clarification_deadline))
    ended = sorted((r for r in referrals if not r.open), key=lambda r: r.closed_at or r.decided_at, reverse=True)[:20]
    audit.record(request, audit.Event.ACUTE_TEAM, action=audit.READ, why=_("The acute team's referrals"),
                 persons=[r.person.person_key for r in open_ + ended])
    return render(request, "acute/team.html", {"open": _rows(request, open_), "ended": _rows(request, ended)})


@role_required(*REFERRERS)
@require_GET
def mine(request):
    """The referrals a GP practice or department reaches (its own, and its patients')."""
    referrals = list(visible_referrals(request.user).select_related("person", "referrer_org")[:200])
    audit.record(request, audit.Event.ACUTE_REFERRALS, action=audit.READ, why=_("Referrals to the acute function"),
                 persons=[r.person.person_key for r in referrals])
    return render(request, "acute/mine.html", {"rows": _rows(request, referrals),
                                               "may_refer": actions.referrer_kind(request.user) is not None})


@role_required(*REFERRERS)
@require_http_methods(["GET", "POST"])
def new(request):
    if actions.referrer_kind(request.user) is None:
        raise PermissionDenied
    clar = routing.rules().clarification
    form = ReferralForm(request.POST or None, horizon_default=clar.horizon_days_default)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        person = actions.find_patient(request.user, data["cpr"])
        if person is None:
            form.add_error("cpr", _("No patient of yours with this CPR number is known to opspor."))
        else:
            try:
                referral = actions.refer(request.user, person, called_at=data["called_at"], reason=data["reason"],
                                         horizon_days=data["horizon_days"], phone=data["phone"])
            except ValidationError as e:
                _add_errors(form, e)
            else:
                messages.success(request, _("The referral has been sent to %(team)s.") % {"team": referral.team_name})
                return redirect("acute:referral", public_id=referral.public_id)
    return render(request, "acute/new.html", {"form": form}, status=400 if form.errors else 200)


def _page(request, referral: Referral, *, forms=None, status=200):
    forms = forms or {}
    now = timezone.now()
    route_now = routing.rules().responsible(referral.referrer_kind, now)
    team = actions.is_team(request.user, referral)
    booked = list(actions.bookings(referral))
    return render(request, "acute/referral.html", {
        "referral": referral, "label": _label(request, referral), "person": referral.person,
        "identity": shows_identity(request, referral.person),
        "at_call": _doctor(referral, referral.responsible), "now": _doctor(referral, route_now.responsible, route_now),
        "overdue": referral.state == Referral.State.CLARIFICATION and referral.clarification_deadline <= now,
        "changes": list(referral.changes.select_related("message", "recorded_by")),
        "bookings": booked, "team": team,
        "team_offer": actions.team_offer(referral.municipality_code),
        "offers": actions.bookable_offers(request.user, referral) if team and referral.state == "accepted" else [],
        "decision_form": forms.get("decision") or DecisionForm(),
        "change_form": forms.get("change") or ChangeForm(), "close_form": forms.get("close") or CloseForm(),
        "book_error": forms.get("book_error"),
        # errors not about a field (the referral's state changed meanwhile): shown at the top
        "page_errors": forms[name].non_field_errors() if (name := next((k for k in ("decision", "change", "close")
                                                                         if k in forms), None)) else [],
    }, status=status)


@role_required(Role.ACUTE_NURSE, *REFERRERS)
@require_GET
def referral(request, public_id):
    referral = get_referral(request.user, public_id)
    audit.record(request, audit.Event.ACUTE_REFERRAL, action=audit.READ, why=_("Referral to the acute function"),
                 persons=[referral.person.person_key], detail={"referral": str(referral.public_id)})
    return _page(request, referral)


def _post(request, public_id, name, form_class, act):
    """Run ``act(referral, cleaned_data)`` for a valid form; the page again with the errors."""
    referral = get_referral(request.user, public_id)
    if not actions.is_team(request.user, referral):
        raise PermissionDenied
    form = form_class(request.POST)
    if form.is_valid():
        try:
            done = act(referral, form.cleaned_data)
        except ValidationError as e:
            _add_errors(form, e)
        else:
            messages.success(request, done)
            return redirect("acute:referral", public_id=referral.public_id)
    audit.record(request, audit.Event.ACUTE_REFERRAL, action=audit.READ, why=_("Referral to the acute function"),
                 persons=[referral.person.person_key], detail={"referral": str(referral.public_id)})
    return _page(request, referral, forms={name: form}, status=400)


@role_required(Role.ACUTE_NURSE)
@require_POST
def decide(request, public_id):
    def act(referral, data):
        accept = data["decision"] == "accept"
        actions.decide(request.user, referral, accept=accept, reason=data["reason"])
        return _("Referral accepted.") if accept else _("Referral declined.")
    return _post(request, public_id, "decision", DecisionForm, act)


@role_required(Role.ACUTE_NURSE)
@require_POST
def change(request, public_id):
    def act(referral, data):
        done = actions.record_change(request.user, referral, data["text"])
        return _("Change recorded and sent to %(doctor)s.") % {"doctor": done.recipient_name}
    return _post(request, public_id, "change", ChangeForm, act)


@role_required(Role.ACUTE_NURSE)
@require_POST
def close(request, public_id):
    def act(referral, data):
        actions.close(request.user, referral, outcome=data["outcome"], note=data["note"])
        return _("The stay has ended; the GP is told.")
    return _post(request, public_id, "close", CloseForm, act)


@role_required(Role.ACUTE_NURSE)
@require_POST
def book(request, public_id):
    referral = get_referral(request.user, public_id)
    if not actions.is_team(request.user, referral):
        raise PermissionDenied
    offer = get_object_or_404(Offer, key=request.POST.get("offer", ""), active=True)
    try:
        booking = actions.book_place(request.user, referral, offer)
    except ValidationError as e:
        audit.record(request, audit.Event.ACUTE_REFERRAL, action=audit.READ, why=_("Referral to the acute function"),
                     persons=[referral.person.person_key], detail={"referral": str(referral.public_id)})
        return _page(request, referral, forms={"book_error": e.messages[0]}, status=400)
    messages.success(request, _("Place booked in %(offer)s.") % {"offer": booking.offer.name})
    return redirect("acute:referral", public_id=referral.public_id)
