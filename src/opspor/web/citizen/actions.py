"""The citizen's own changes that belong to no case: their phone number, e-mail address and the
way they want questionnaire invitations (seed 002 line 8516, "efter patienternes valg"). Each
audited in its transaction, without the values (they are personal data)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from opspor import contact_details
from opspor.web.accounts.roles import Role
from opspor.web.aps.models import QuestionnaireRequest
from opspor.web.audit import actions as audit
from opspor.web.people.models import ContactChoice, Person
from opspor.web.people.scope import visible_persons

Channel = ContactChoice.Channel


def _check_own(user, person: Person) -> None:
    if not (user.has_role(Role.CITIZEN) and visible_persons(user).filter(pk=person.pk).exists()):
        raise PermissionDenied


@transaction.atomic
def update_contact(user, person: Person, *, phone: str, email: str, channel: str) -> ContactChoice:
    """The citizen ``user`` sets their own phone number and e-mail address (empty: the data
    drop's, if any, is used) and how invitations reach them. Questionnaires not yet answered
    follow the choice at once: each is sent, and reminded, by the channel to the address now
    chosen."""
    _check_own(user, person)
    errors = {}
    own_phone = contact_details.phone(phone) if phone.strip() else ""
    if own_phone is None:
        errors["phone"] = _("Write your phone number with 8 digits, e.g. 20 12 34 56.")
    own_email = contact_details.email(email) if email.strip() else ""
    if own_email is None:
        errors["email"] = _("Write your e-mail address, e.g. navn@eksempel.dk.")
    if channel not in ("", *Channel.values):
        errors["channel"] = _("Choose e-mail or SMS.")
    if errors:
        raise ValidationError(errors)
    address = {Channel.EMAIL: own_email or person.email, Channel.SMS: own_phone or person.phone}.get(channel, "")
    if channel and not address:
        raise ValidationError({"channel": _("Write the e-mail address or the phone number the invitations "
                                            "should go to.")})
    choice = ContactChoice.objects.select_for_update().filter(person=person).first() or ContactChoice(person=person)
    before = {"phone": choice.phone, "email": choice.email, "channel": choice.channel}
    choice.phone, choice.email, choice.channel, choice.updated_by = own_phone, own_email, channel, user
    after = {"phone": choice.phone, "email": choice.email, "channel": choice.channel}
    changed = [field for field in after if after[field] != before[field]]
    if not changed and choice.pk:
        return choice
    choice.save()
    moved = []
    if channel:
        for request in (QuestionnaireRequest.objects.select_for_update(of=("self",))
                        .filter(case__person=person, state__in=QuestionnaireRequest.OPEN_STATES)):
            if (request.channel, request.address) != (channel, address):
                request.channel, request.address = channel, address
                request.save(update_fields=["channel", "address"])
                moved.append(str(request.public_id))
    # the fields changed and the channel, never a number or an address
    audit.record(user, audit.Event.CITIZEN_CONTACT, action=audit.CHANGE,
                 why=_("Citizen's phone, e-mail or choice of channel changed"), persons=[person.person_key],
                 detail={"changed": changed, "channel": channel, "questionnaires": moved})
    return choice
