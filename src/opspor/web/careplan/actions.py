"""Every change after the MDT: participants, tasks from the checklist or the recommendation, a
task's status, a new version of the shared plan. Rules checked, rows changed, audit entry
written, one transaction; views stay thin.

* **Participants** are added by the conference's department (its specialists) while the
  conference is open; a video link must be an https address.
* **Tasks** are made by the conference's department, from the checklist's items (each item once
  per conference; the due day counted from the conference day, or today) or by hand; the owner is
  the organisation of the task's sector for the citizen: the conference's department, the
  citizen's municipality, the citizen's GP practice.
* **A task's status** is changed by the owner organisation's users (start, done, back to not
  started); the conference's department may also cancel it.
* **Places from the service directory** are booked and released by the conference's department
  for the conference's citizen (offers of the citizen's municipality or region, a free place
  today); the booking names the conference as its source and is audited by ``directory.actions``.
* **The shared plan**: any user whose role is granted the ``shared_plan`` part and who reaches
  the citizen writes a new version (never changes one), changing only the sections its sector
  owns (``careplan.yaml`` ``owner``; the citizen theirs from ``/borger/``); the form names the
  version it was based on, and a plan changed meanwhile is refused with who changed it, so nothing
  is lost silently.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from opspor.i18n import localized
from opspor.web.accounts.models import Organisation
from opspor.web.accounts.roles import OrgKind, Role
from opspor.web.audit import actions as audit
from opspor.web.careplan import checklist
from opspor.web.careplan.access import visible_tasks
from opspor.web.careplan.models import Participant, PlanVersion, Sector, SharedPlan, Task
from opspor.web.core import language
from opspor.web.directory import actions as directory
from opspor.web.directory.models import Booking, Offer
from opspor.web.messaging import actions as messages
from opspor.web.people.policy import scope_of
from opspor.web.people.scope import visible_persons
from opspor.web.worklists.models import MdtConference

SECTION_MAX = 4000


def _check_conference(user, conference: MdtConference) -> None:
    if not user.has_role(Role.SPECIALIST) or user.organisation_id != conference.department_id:
        raise PermissionDenied


def owner_of(conference: MdtConference, sector: str) -> Organisation:
    """The organisation that owns a task of ``sector`` for the conference's citizen."""
    person = conference.person
    if sector == Sector.HOSPITAL:
        return conference.department
    if sector == Sector.MUNICIPALITY:
        org = Organisation.objects.filter(kind=OrgKind.MUNICIPALITY, code=person.municipality_code).first()
        if org is None:
            raise ValidationError(_("The citizen's municipality (%(code)s) is not registered as an organisation; "
                                    "ask the administrator to add it.") % {"code": person.municipality_code or "–"})
        return org
    if sector == Sector.GENERAL_PRACTICE:
        org = (Organisation.objects.filter(kind=OrgKind.GP_PRACTICE, code=person.gp_provider_number).first()
               if person.gp_provider_number else None)
        if org is None:
            raise ValidationError(_("The citizen's GP practice (%(code)s) is not registered as an organisation; "
                                    "ask the administrator to add it.") % {"code": person.gp_provider_number or "–"})
        return org
    raise ValidationError(_("Choose the sector that owns the task."))


@transaction.atomic
def add_participant(user, conference: MdtConference, *, kind: str, name: str, profession: str = "",
                    organisation: Organisation | None = None, by_video: bool = False, video_link: str = "") -> Participant:
    _check_conference(user, conference)
    if conference.status != MdtConference.Status.OPEN:
        raise ValidationError(_("The conference is concluded; participants can no longer be added."))
    if kind not in Participant.Kind.values:
        raise ValidationError(_("Choose who takes part."))
    if not name.strip():
        raise ValidationError(_("Write the participant's name."))
    video_link = video_link.strip()
    if video_link and not video_link.startswith("https://"):
        raise ValidationError(_("The video link must be an https:// address."))
    if video_link and not by_video:
        by_video = True
    if kind == Participant.Kind.MUNICIPALITY and organisation is None:
        organisation = owner_of(conference, Sector.MUNICIPALITY)
    if kind == Participant.Kind.GP and organisation is None:
        organisation = owner_of(conference, Sector.GENERAL_PRACTICE)
    participant = Participant.objects.create(
        conference=conference, kind=kind, name=name.strip(), profession=profession.strip(),
        organisation=organisation, by_video=by_video, video_link=video_link, added_by=user)
    audit.record(user, audit.Event.CAREPLAN_PARTICIPANT, action=audit.CHANGE, why=_("MDT conference"),
                 persons=[conference.person.person_key],
                 detail={"mdt": conference.pk, "participant": participant.pk, "kind": kind, "by_video": by_video})
    return participant


def _start_day(conference: MdtConference) -> dt.date:
    return conference.conference_date or timezone.localdate()


def _log_task(user, task: Task) -> None:
    """The new task's audit entry, and its message when it is given to the municipality or the GP
    practice (``messaging.on_care_task``: the policy decides whether it may go)."""
    profession = checklist.config().professions.get(task.profession)
    messages.on_care_task(user, task, profession=profession.title_da if profession else task.profession)
    audit.record(user, audit.Event.CAREPLAN_TASK_CREATE, action=audit.CHANGE, why=_("Tasks after the MDT"),
                 persons=[task.person.person_key],
                 detail={"task": task.pk, "mdt": task.conference_id, "item": task.checklist_item,
                         "sector": task.sector, "profession": task.profession, "owner": task.owner_org.code,
                         "due": task.due_on.isoformat(), "config": task.config_version})


@transaction.atomic
def tasks_from_checklist(user, conference: MdtConference, item_ids: Iterable[str]) -> tuple[list[Task], list[str]]:
    """The tasks of the chosen checklist items (made, and the ids of items that already had one)."""
    _check_conference(user, conference)
    config = checklist.config()
    items = []
    for item_id in item_ids:
        item = config.item(item_id)
        if item is None:
            raise ValidationError(_("Unknown checklist item %(item)s: reload the page (the checklist changed).")
                                  % {"item": item_id})
        items.append(item)
    if not items:
        raise ValidationError(_("Tick the checklist items that become tasks."))
    existing = set(conference.careplan_tasks.exclude(checklist_item="").values_list("checklist_item", flat=True))
    made, skipped = [], []
    for item in items:
        if item.id in existing:
            skipped.append(item.id)
            continue
        task = Task.objects.create(
            person=conference.person, conference=conference, checklist_item=item.id, config_version=config.version,
            title=item.title_da, sector=item.sector, profession=item.profession,
            owner_org=owner_of(conference, item.sector), due_on=_start_day(conference) + dt.timedelta(days=item.due_days),
            created_by=user)
        _log_task(user, task)
        made.append(task)
    return made, skipped


@transaction.atomic
def create_task(user, conference: MdtConference, *, title: str, sector: str, profession: str,
                due_on: dt.date, detail: str = "") -> Task:
    """A task of the conference's recommendation, written by hand."""
    _check_conference(user, conference)
    config = checklist.config()
    if not title.strip():
        raise ValidationError(_("Write the task."))
    if profession not in config.professions:
        raise ValidationError(_("Choose the profession that owns the task."))
    if due_on < timezone.localdate():
        raise ValidationError(_("The due day cannot be in the past."))
    task = Task.objects.create(
        person=conference.person, conference=conference, config_version=config.version, title=title.strip(),
        detail=detail.strip(), sector=sector, profession=profession, owner_org=owner_of(conference, sector),
        due_on=due_on, created_by=user)
    _log_task(user, task)
    return task


@transaction.atomic
def set_status(user, task: Task, status: str, note: str = "") -> Task:
    """Start, finish, reopen (the owner organisation) or cancel (also the conference's department)."""
    if status not in Task.Status.values:
        raise ValidationError(_("Choose the task's status."))
    if not visible_tasks(user).filter(pk=task.pk).exists():  # people.scope.care_tasks
        raise PermissionDenied
    locked = Task.objects.select_for_update().get(pk=task.pk)  # locked while it changes
    owner = user.organisation_id == locked.owner_org_id
    department = (locked.conference_id is not None and user.has_role(Role.SPECIALIST)
                  and MdtConference.objects.filter(pk=locked.conference_id, department=user.organisation).exists())
    if not owner and not (department and status == Task.Status.CANCELLED):
        raise PermissionDenied
    if not locked.is_open and status != Task.Status.OPEN:
        raise ValidationError(_("The task is closed; reopen it first."))
    if locked.status == status:
        raise ValidationError(_("The task already has this status."))
    before = locked.status
    locked.status = status
    locked.note = note.strip() or locked.note
    locked.changed_by = user
    locked.changed_at = timezone.now()
    locked.save(update_fields=["status", "note", "changed_by", "changed_at"])
    audit.record(user, audit.Event.CAREPLAN_TASK_STATUS, action=audit.CHANGE, why=_("Tasks after the MDT"),
                 persons=[locked.person.person_key], detail={"task": locked.pk, "from": before, "to": status})
    return locked


def mdt_source(conference: MdtConference) -> str:
    """What a place booked from the conference names as its source."""
    return f"worklists.mdt:{conference.pk}"


def _check_booking(user, conference: MdtConference) -> None:
    _check_conference(user, conference)
    if not visible_persons(user).filter(pk=conference.person_id).exists():
        raise PermissionDenied


@transaction.atomic
def book_place(user, conference: MdtConference, offer: Offer, note: str = "") -> Booking:
    """A free place of ``offer`` for the conference's citizen (refusals as ``directory.book``)."""
    _check_booking(user, conference)
    return directory.book(user, offer, person=conference.person, source=mdt_source(conference), note=note,
                          checked_by="careplan.mdt")


@transaction.atomic
def release_place(user, conference: MdtConference, booking: Booking) -> Booking:
    """Free a place booked from this conference."""
    _check_booking(user, conference)
    if booking.source != mdt_source(conference):
        raise PermissionDenied
    return directory.release(user, booking, why=_("Place released after the MDT"), checked_by="careplan.mdt")


def current_version(plan: SharedPlan | None) -> PlanVersion | None:
    return plan.versions.select_related("author").first() if plan else None


def owner_label(owner: str) -> str:
    """How the plan names ``owner`` (a sector or the citizen) in the request's language
    (``careplan.yaml`` ``owners``)."""
    titled = checklist.config().owners.get(owner)
    return localized(titled, "title", language.current()) if titled else owner


def sector_of(user) -> str | None:
    """The sector whose sections of the shared plan ``user`` changes (``careplan.yaml``)."""
    org = getattr(user, "organisation", None)
    return checklist.config().sector_of(org.kind if org else None)


@transaction.atomic
def save_plan(user, person, sections: Mapping[str, str], change_note: str, based_on: int) -> PlanVersion:
    """A new version of ``person``'s shared plan (the first one makes the plan) with the sections
    of the user's sector changed (``sections`` may hold others unchanged). ``based_on``: the
    version number the writer saw (0: none)."""
    if not scope_of(user).may("shared_plan") or not visible_persons(user).filter(pk=person.pk).exists():
        raise PermissionDenied
    return new_version(user, person, sections, change_note, based_on, owner=sector_of(user))


@transaction.atomic
def save_citizen_sections(user, person, sections: Mapping[str, str], based_on: int) -> PlanVersion:
    """The citizen writes their own sections (``owner: citizen``) from ``/borger/plan/``: a new
    version like any other, audited the same way."""
    if user.role != Role.CITIZEN or not visible_persons(user).filter(pk=person.pk).exists():
        raise PermissionDenied
    return new_version(user, person, sections, _("The citizen's own words changed"), based_on, owner=checklist.CITIZEN)


def new_version(user, person, sections: Mapping[str, str], change_note: str, based_on: int, *,
                owner: str | None) -> PlanVersion:
    """The new version written by ``user`` as ``owner`` (a sector, or ``checklist.CITIZEN``): a
    section owned by another is refused when its text differs from the version in force; sections
    not given keep their text. The caller has checked that ``user`` may write the plan."""
    config = checklist.config()
    unknown = set(sections) - set(config.section_ids)
    if unknown:
        raise ValidationError(_("Unknown section %(section)s: reload the page (the plan's sections changed).")
                              % {"section": ", ".join(sorted(unknown))})
    given = {}
    for section_id, text in sections.items():
        text = (text or "").strip()
        if len(text) > SECTION_MAX:
            raise ValidationError(_("A section may hold at most %(n)s characters.")
                                  % {"n": formats.number_format(SECTION_MAX, force_grouping=True)})
        given[section_id] = text
    change_note = change_note.strip()
    if not change_note:
        raise ValidationError(_("Say in a few words what you changed."))
    plan, _created = SharedPlan.objects.get_or_create(person=person)
    plan = SharedPlan.objects.select_for_update().get(pk=plan.pk)
    current = plan.versions.select_related("author").first()
    number = current.number if current else 0
    if based_on != number:
        raise ValidationError(_("The plan was changed meanwhile by %(who)s (%(org)s), version %(n)s. Your text is kept "
                                "below: compare it with the version in force and save again.")
                              % {"who": current.author.get_full_name() or current.author.username,
                                 "org": current.author_organisation or owner_label(checklist.CITIZEN), "n": number})
    before = {k: v for k, v in (current.sections if current else {}).items() if k in config.section_ids}
    for section_id, text in given.items():
        section = config.section(section_id)
        if text != before.get(section_id, "") and section.owner != owner:
            raise ValidationError(_("The section “%(section)s” is written by %(owner)s: you can read it but not "
                                    "change it.")
                                  % {"section": section.title_da, "owner": owner_label(section.owner)})
    texts = dict(before)
    for section_id, text in given.items():
        if text:
            texts[section_id] = text
        else:
            texts.pop(section_id, None)
    texts = {sid: texts[sid] for sid in config.section_ids if sid in texts}  # in the page's order
    if current is not None and current.sections == texts:
        raise ValidationError(_("The plan is unchanged; nothing was saved."))
    if current is None and not texts:
        raise ValidationError(_("Write at least one section of the plan."))
    try:
        with transaction.atomic():
            version = PlanVersion.objects.create(
                plan=plan, number=number + 1, sections=texts, change_note=change_note[:300],
                config_version=config.version, author=user, author_role=user.role,
                author_organisation=str(user.organisation or ""))
    except IntegrityError:  # a concurrent writer took the number
        raise ValidationError(_("The plan was changed meanwhile. Reload the page and save again.")) from None
    audit.record(user, audit.Event.SHARED_PLAN_CHANGE, action=audit.CHANGE, why=_("Shared plan"),
                 persons=[person.person_key],
                 detail={"plan": str(plan.public_id), "version": version.number,
                         "sections": sorted(k for k in set(texts) | set(current.sections if current else {})
                                            if texts.get(k) != (current.sections.get(k) if current else None)),
                         "owner": owner or "", "config": config.version})
    return version
