"""The outbox page (administrator, secretariat) and the objection form's actions (nurse,
specialist). Thin: parse, call ``messaging.actions``, redirect or render."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from opspor.web.accounts.decorators import role_required
from opspor.web.accounts.roles import OrgKind, Role
from opspor.web.audit import actions as audit
from opspor.web.core import params
from opspor.web.messaging import actions, delivery
from opspor.web.messaging.models import InboundMessage, Objection, OutboundMessage, RecipientKind
from opspor.web.messaging.policy import policy
from opspor.web.people.scope import get_person, get_person_by_pk, visible_persons

outbox_users = role_required(Role.ADMIN, Role.SECRETARIAT)
objectors = role_required(Role.NURSE, Role.SPECIALIST)
inbox_users = role_required(Role.ADMIN, Role.SECRETARIAT, Role.NURSE, Role.MUNICIPALITY)


@outbox_users
@require_GET
def outbox(request):
    state = params.choice_param(request.GET, "state", OutboundMessage.State.values)
    rows = OutboundMessage.objects.select_related("person").order_by("-created_at", "-id")
    if state:
        rows = rows.filter(state=state)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    counts = delivery.counts()
    audit.record(request, audit.Event.OUTBOX, action=audit.READ, why=_("Outbox of messages"),
                 persons=[m.person.person_key for m in page if m.person_id], detail={"state": state})
    return render(request, "messaging/outbox.html", {
        "page": page, "state": state, "is_admin": request.user.role == Role.ADMIN,
        "states": [(value, label, counts.get(value, 0)) for value, label in OutboundMessage.State.choices],
    })


@outbox_users
@require_POST
def retry(request, pk: int):
    message = get_object_or_404(OutboundMessage, pk=pk)
    try:
        actions.retry(request.user, message)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, _("The message is queued again."))
    return redirect("messaging:outbox")


def _back(request, person):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return redirect(target)
    return redirect(person)


@objectors
@require_POST
def object_(request, public_id):
    person = get_person(request.user, public_id)
    try:
        actions.record_objection(request.user, person, request.POST.get("recipient_kind", ""),
                                 request.POST.get("note", ""))
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, _("The objection is recorded; no message about the patient goes to that recipient."))
    return _back(request, person)


@objectors
@require_POST
def withdraw(request, pk: int):
    objection = get_object_or_404(Objection, pk=pk)
    person = get_person_by_pk(request.user, objection.person_id)
    try:
        actions.withdraw_objection(request.user, objection)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, _("The objection is withdrawn."))
    return _back(request, person)


@inbox_users
@require_GET
def inbox(request):
    """Messages received. The region (administrator, secretariat): every message received, with
    its status and, when refused, why. A nurse: the replies about the persons she may see. A
    municipality or GP practice: the messages opspor sent to it (with their state) and what it
    sent back."""
    user = request.user
    # the payloads (the FHIR messages as received and sent) are never shown here: not read
    received = (InboundMessage.objects.select_related("person", "in_reply_to").defer("payload", "in_reply_to__payload")
                .order_by("-received_at", "-id"))
    sent_to_us = OutboundMessage.objects.none()
    if user.role == Role.NURSE:
        received = received.filter(person__in=visible_persons(user), status=InboundMessage.Status.ACCEPTED)
    elif user.role == Role.MUNICIPALITY:
        org = user.organisation
        kind = RecipientKind.MUNICIPALITY if org and org.kind == OrgKind.MUNICIPALITY else RecipientKind.GP_PRACTICE
        code = org.code if org else ""
        received = received.filter(sender_kind=kind, sender_id=code)
        sent_to_us = (OutboundMessage.objects.select_related("person").filter(recipient_kind=kind, recipient_id=code)
                      .exclude(state=OutboundMessage.State.BLOCKED).order_by("-created_at", "-id")
                      .only(*SENT_TO_US_FIELDS)[:200])
    status = params.choice_param(request.GET, "status", InboundMessage.Status.values)
    if status:
        received = received.filter(status=status)
    page = Paginator(received, 50).get_page(request.GET.get("page"))
    sent_to_us = list(sent_to_us)
    replied = set(InboundMessage.objects.filter(in_reply_to__in=sent_to_us, kind=InboundMessage.Kind.REPLY)
                  .values_list("in_reply_to_id", flat=True))
    today = timezone.localdate()
    rules = policy()
    for m in sent_to_us:  # what each message asks of them and by when (policy.yaml)
        m.asks, m.asked_by = _asked(m, rules)
        m.replied = m.pk in replied
        m.overdue = m.asked_by is not None and m.asked_by < today and not m.replied
    _label(sent_to_us, event=OutboundMessage.Event, state=OutboundMessage.State)
    _label(page, channel=InboundMessage.Channel, kind=InboundMessage.Kind, status=InboundMessage.Status)
    _label([r.in_reply_to for r in page if r.in_reply_to_id], event=OutboundMessage.Event)
    persons = {m.person.person_key for m in [*page, *sent_to_us] if m.person_id}
    audit.record(request, audit.Event.INBOX, action=audit.READ, why=_("Inbox of messages"), persons=sorted(persons),
                 detail={"status": status, "received": len(page.object_list), "sent_to_us": len(sent_to_us)})
    return render(request, "messaging/inbox.html", {
        "page": page, "status": status, "statuses": InboundMessage.Status.choices, "sent_to_us": sent_to_us,
        "is_municipality": user.role == Role.MUNICIPALITY, "shows_reasons": user.has_role(Role.ADMIN, Role.SECRETARIAT),
    })


# what the inbox shows of a message sent to the municipality or GP practice, and what _asked reads
SENT_TO_US_FIELDS = ("event", "state", "recipient_kind", "purpose", "created_at", "sent_at",
                     "person__public_id", "person__person_key")


def _label(messages, **fields) -> None:
    """``<field>_label``: the label of each message's choice in ``fields`` (field: its choices),
    and ``person_url`` of its person, set once here rather than by ``get_<field>_display`` and a
    URL per row in the template."""
    labels = {name: {value: str(label) for value, label in choices.choices} for name, choices in fields.items()}
    for m in messages:
        for name, by_value in labels.items():
            value = getattr(m, name)
            setattr(m, f"{name}_label", by_value.get(value, value))
        if getattr(m, "person_id", None):
            m.person_url = m.person.get_absolute_url()


def _asked(message: OutboundMessage, rules) -> tuple[str, dt.date | None]:
    rule = rules.rule(message.event, message.recipient_kind)
    if rule is None:
        return "", None
    return rule.asks, rule.asked_by(timezone.localdate(message.sent_at or message.created_at))
