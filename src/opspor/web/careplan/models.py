"""After the MDT: who took part in the conference, the tasks its recommendation became, and the
citizen's one shared plan with its versions. State changes only through ``careplan.actions``."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opspor.web.accounts.models import Organisation
from opspor.web.people.models import Person
from opspor.web.worklists.models import MdtConference


class Sector(models.TextChoices):
    """Whose task: the conference's department, the citizen's municipality or GP practice
    (``checklist.SECTORS``)."""

    HOSPITAL = "hospital", _("Hospital")
    MUNICIPALITY = "municipality", _("Municipality")
    GENERAL_PRACTICE = "general_practice", _("General practice")


class Participant(models.Model):
    """Someone at the MDT conference beyond the department's own staff: the GP, the
    municipality, the patient or a relative (003 5829-5870: patient and relatives may take part,
    a relative by video)."""

    class Kind(models.TextChoices):
        HOSPITAL = "hospital", _("Hospital staff")
        GP = "gp", _("GP")
        MUNICIPALITY = "municipality", _("Municipality")
        PATIENT = "patient", _("Patient")
        RELATIVE = "relative", _("Relative")

    conference = models.ForeignKey(MdtConference, on_delete=models.PROTECT, related_name="careplan_participants")
    kind = models.CharField(_("participant"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    profession = models.CharField(_("profession or relation"), max_length=120, blank=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    by_video = models.BooleanField(_("takes part by video"), default=False)
    video_link = models.URLField(_("video link"), max_length=500, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]

    # the sector each kind belongs to (patient and relatives: none)
    SECTORS = {Kind.HOSPITAL: Sector.HOSPITAL, Kind.GP: Sector.GENERAL_PRACTICE, Kind.MUNICIPALITY: Sector.MUNICIPALITY}

    @property
    def sector(self) -> str:
        return self.SECTORS.get(self.kind, "")

    def get_sector_display(self) -> str:
        return str(Sector(self.sector).label) if self.sector else ""


class Task(models.Model):
    """A task on the shared board: what, for whom, owned by a profession of an organisation
    (its sector's for the citizen), due on a day, with a status."""

    class Status(models.TextChoices):
        OPEN = "open", _("Not started")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="care_tasks")
    conference = models.ForeignKey(MdtConference, on_delete=models.PROTECT, null=True, related_name="careplan_tasks")
    checklist_item = models.CharField(_("checklist item"), max_length=60, blank=True)
    config_version = models.CharField(max_length=40, blank=True)
    title = models.CharField(_("task"), max_length=300)
    detail = models.TextField(_("detail"), max_length=2000, blank=True)
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices)
    profession = models.CharField(_("profession"), max_length=40)
    owner_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="care_tasks",
                                  verbose_name=_("owner"))
    due_on = models.DateField(_("due"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    changed_at = models.DateTimeField(null=True)
    note = models.TextField(_("note"), max_length=2000, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            # a checklist item becomes one task per conference
            models.UniqueConstraint(fields=["conference", "checklist_item"], condition=~models.Q(checklist_item=""),
                                    name="careplan_one_task_per_item"),
        ]
        indexes = [models.Index(fields=["owner_org", "status", "due_on"], name="careplan_task_owner")]

    OPEN_STATES = ("open", "in_progress")

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATES

    @property
    def overdue(self) -> bool:
        return self.is_open and self.due_on < timezone.localdate()


class SharedPlan(models.Model):
    """The one shared plan of a citizen; its content is in its versions, the newest in force."""

    person = models.OneToOneField(Person, on_delete=models.PROTECT, related_name="shared_plan")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)


class PlanVersion(models.Model):
    """One version of a shared plan: every change is a new version; none is ever changed."""

    plan = models.ForeignKey(SharedPlan, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    sections = models.JSONField(_("sections"), default=dict)  # section id -> text
    change_note = models.CharField(_("what changed"), max_length=300)
    config_version = models.CharField(max_length=40)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_role = models.CharField(max_length=20)
    author_organisation = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="careplan_version_unique")]
