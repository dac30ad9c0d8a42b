"""``{% person_messages person %}``: the messages about a person (to whom, why, state), the
replies received to them (from whom, the text), the patient's objections, and for the nurse or specialist the form to record one. Included in the
case page, the person page and the MDT page, whose views audit the read of the person."""

from __future__ import annotations

from django import template

from opspor.web.accounts.roles import OrgKind, Role
from opspor.web.messaging.models import InboundMessage, Objection, OutboundMessage, RecipientKind

register = template.Library()


@register.inclusion_tag("messaging/_person_messages.html", takes_context=True)
def person_messages(context, person):
    request = context["request"]
    user = request.user
    rows = OutboundMessage.objects.filter(person=person).order_by("-created_at", "-id")
    replies = (InboundMessage.objects.filter(person=person, status=InboundMessage.Status.ACCEPTED,
                                             kind=InboundMessage.Kind.REPLY)
               .select_related("in_reply_to").order_by("-received_at", "-id"))
    org = getattr(user, "organisation", None)
    if user.role == Role.MUNICIPALITY:  # a municipality or practice sees only what was sent to it, and its replies
        kind = RecipientKind.MUNICIPALITY if org and org.kind == OrgKind.MUNICIPALITY else RecipientKind.GP_PRACTICE
        rows = rows.filter(recipient_kind=kind, recipient_id=org.code if org else "")
        replies = replies.filter(sender_kind=kind, sender_id=org.code if org else "")
    objections = Objection.objects.filter(person=person).select_related("recorded_by", "withdrawn_by")
    in_force = {o.recipient_kind for o in objections if o.withdrawn_at is None}
    may_object = user.has_role(Role.NURSE, Role.SPECIALIST)
    return {
        "person": person, "rows": list(rows), "replies": list(replies), "objections": list(objections), "may_object": may_object,
        "free_kinds": [(k, label) for k, label in RecipientKind.choices if k not in in_force],
        "next": request.get_full_path(), "csrf_token": context.get("csrf_token"),
    }
