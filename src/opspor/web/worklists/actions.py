"""Every change of screening and MDT state: validated here, audited here. Views stay thin."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from opspor.web.accounts.roles import Role
from opspor.web.audit import actions as audit
from opspor.web.messaging import actions as messaging
from opspor.web.worklists.models import ListEntry, ListRun, MdtConference, Screening


def _check_department(user, department) -> None:
    if not user.has_role(Role.SPECIALIST) or user.organisation_id != department.pk:
        raise PermissionDenied


@transaction.atomic
def screen(user, *, person, department, run: ListRun, decision: str, category: str = "", note: str = "") -> Screening:
    """Record a specialist's decision about a patient on ``run``'s list of ``department``."""
    _check_department(user, department)
    if not ListEntry.objects.filter(run=run, department=department, person=person).exists():
        raise ValidationError(_("The patient is not on this list."))
    if decision == Screening.Decision.INCLUDE and not category:
        raise ValidationError(_("Choose the category the patient is included in."))
    screening = Screening.objects.create(
        person=person, department=department, run=run, decision=decision,
        category=category if decision == Screening.Decision.INCLUDE else "", note=note, decided_by=user,
    )
    audit.record(user, audit.Event.SCREENING, action=audit.CHANGE, why=_("Screening of today's list"),
                 persons=[person.person_key], detail={"decision": decision, "category": screening.category,
                                                      "run": run.run_id, "screening": screening.pk})
    return screening


@transaction.atomic
def open_mdt(user, *, person, department, screening: Screening | None = None) -> MdtConference:
    """Open an MDT conference for a patient of the user's department (age filled in)."""
    _check_department(user, department)
    open_one = MdtConference.objects.filter(person=person, department=department,
                                            status=MdtConference.Status.OPEN).first()
    if open_one:
        return open_one
    conference = MdtConference.objects.create(
        person=person, department=department, screening=screening, opened_by=user,
        age=person.age_on(timezone.localdate()),
    )
    audit.record(user, audit.Event.MDT_OPEN, action=audit.CHANGE, why=_("MDT conference opened"),
                 persons=[person.person_key], detail={"mdt": conference.pk})
    return conference


@transaction.atomic
def save_mdt(user, conference: MdtConference, values: dict, conclude: bool) -> MdtConference:
    """Save the conference's content; ``conclude`` records the recommendation as final."""
    _check_department(user, conference.department)
    if conference.status == MdtConference.Status.CONCLUDED:
        raise ValidationError(_("The conference is concluded and can no longer be changed."))
    for field, value in values.items():
        setattr(conference, field, value)
    if conclude:
        missing = [f for f in MdtConference.REQUIRED_TO_CONCLUDE if not str(getattr(conference, f) or "").strip()]
        if missing or not conference.conference_date:
            raise ValidationError(_("Fill in the minimum content before the conference is concluded."))
        conference.status = MdtConference.Status.CONCLUDED
        conference.concluded_by = user
        conference.concluded_at = timezone.now()
    conference.save()
    audit.record(user, audit.Event.MDT_CONCLUDE if conclude else audit.Event.MDT_SAVE, action=audit.CHANGE,
                 why=_("MDT conference"), persons=[conference.person.person_key],
                 detail={"mdt": conference.pk, "action_by_gp": conference.action_by_gp,
                         "action_by_municipality": conference.action_by_municipality})
    if conclude:  # recommended action by the GP / municipality: tell them (transactional outbox)
        messaging.on_mdt_concluded(user, conference)
    return conference
