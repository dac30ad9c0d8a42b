"""Published daily lists, the specialists' screening decisions and MDT conferences."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from opspor.web.accounts.models import Organisation
from opspor.web.people.models import Person


class ListRun(models.Model):
    """One run of ``opspor lists run`` published into the web app."""

    run_id = models.CharField(_("run"), max_length=40, unique=True)
    as_of = models.DateField(_("list day"), db_index=True)
    cutoff = models.DateTimeField(_("cut-off"), null=True)
    snapshot_id = models.CharField(_("snapshot"), max_length=40)
    rules = models.JSONField(_("rules"), default=dict)
    published_at = models.DateTimeField(_("published"), auto_now_add=True)

    class Meta:
        ordering = ["-as_of", "-published_at"]
        get_latest_by = "published_at"

    def __str__(self) -> str:
        return f"{self.as_of} ({self.run_id})"


class IntradayStay(models.Model):
    """A hospital stay as MedCom HospitalNotifications tell it during the day (issue 16 item 5):
    where the patient is now, between two snapshots. Changed only by ``worklists.intraday``."""

    class State(models.TextChoices):
        ADMITTED = "admitted", _("Admitted")
        ON_LEAVE = "on_leave", _("On leave")
        DISCHARGED = "discharged", _("Discharged")
        CANCELLED = "cancelled", _("Cancelled (sent in error)")

    # the sender's department (UNIT/DEPARTMENT) and Encounter.episodeOfCare: one row per stay
    sender = models.CharField(max_length=80)
    episode = models.CharField(max_length=120)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="intraday_stays")
    hospital_unit = models.CharField(max_length=40)
    department = models.CharField(max_length=80)
    encounter_class = models.CharField(max_length=10)
    state = models.CharField(_("state"), max_length=12, choices=State.choices)
    start = models.DateTimeField(_("arrived"))
    end = models.DateTimeField(_("discharged"), null=True)
    leave_start = models.DateTimeField(_("leave from"), null=True)
    leave_end = models.DateTimeField(_("leave until"), null=True)
    last_activity = models.CharField(max_length=40)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sender", "episode"], name="intraday_stay_once")]

    @property
    def contact_id(self) -> str:
        """The stay's contact id on a list (the snapshot's contact ids are the region's own)."""
        return f"intraday-{self.pk}"


class ListEntry(models.Model):
    """One line of a department's list: one contact of a target-group patient. A line added
    during the day (``added_at``) comes from the rule evaluated on the run's snapshot plus the
    stays received since (``worklists.intraday``); ``stay`` is set on the line of that stay."""

    run = models.ForeignKey(ListRun, on_delete=models.CASCADE, related_name="entries")
    department = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="list_entries")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="list_entries")
    position = models.PositiveIntegerField()  # reading order within the department's list
    contact_id = models.CharField(max_length=80)
    action_diagnosis = models.CharField(max_length=20, blank=True)
    course_department = models.CharField(max_length=80, blank=True)
    contact_department = models.CharField(max_length=80, blank=True)
    contact_start = models.DateTimeField()
    contact_end = models.DateTimeField(null=True)
    counted = models.BooleanField()
    new_today = models.BooleanField()
    added_at = models.DateTimeField(null=True)
    stay = models.ForeignKey(IntradayStay, on_delete=models.PROTECT, null=True, related_name="entries")
    # the contact's hospital unit and, when it does not count, why: [[condition, value], ...]
    # (opspor.rules.explain.not_counted); empty for runs published before these were recorded
    hospital_unit = models.CharField(max_length=40, blank=True)
    not_counted = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["position"]
        indexes = [models.Index(fields=["department", "run", "position"], name="entry_dept_run")]


class Category(models.TextChoices):
    ELDERLY_MULTIMORBID = "elderly_multimorbid", _("Elderly and multimorbid")
    SOCIAL = "social", _("Social conditions contributing to readmission")
    SUBSTANCE = "substance", _("Substance abuse or dual diagnosis")


class Screening(models.Model):
    """A specialist's decision about a patient on a day's list. A later decision for the same
    patient and list does not overwrite: the newest one is in force, the others are history."""

    class Decision(models.TextChoices):
        NO_ACTION = "no_action", _("No action")
        INCLUDE = "include", _("Include")

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="screenings")
    department = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="screenings")
    run = models.ForeignKey(ListRun, on_delete=models.PROTECT, related_name="screenings")
    decision = models.CharField(_("decision"), max_length=12, choices=Decision.choices)
    category = models.CharField(_("category"), max_length=24, choices=Category.choices, blank=True)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [models.Index(fields=["department", "run"], name="screening_dept_run")]


class MdtConference(models.Model):
    """A multidisciplinary team conference with the minimum content of the package (003:5951)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CONCLUDED = "concluded", _("Concluded")

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="mdt_conferences")
    department = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="mdt_conferences")
    screening = models.ForeignKey(Screening, on_delete=models.PROTECT, null=True, related_name="mdt_conferences")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    conference_date = models.DateField(_("conference date"), null=True, blank=True)
    participants = models.CharField(_("participants"), max_length=500, blank=True)
    age = models.PositiveIntegerField(_("age"), null=True, blank=True)
    history = models.TextField(_("ultra-short history"), max_length=2000, blank=True)
    comorbidity = models.TextField(_("comorbidity"), max_length=2000, blank=True)
    clinical_findings = models.TextField(_("clinical findings"), max_length=2000, blank=True)
    paraclinical_findings = models.TextField(_("paraclinical findings"), max_length=2000, blank=True)
    functional_level = models.TextField(_("functional level"), max_length=2000, blank=True)
    social_conditions = models.TextField(_("social conditions"), max_length=2000, blank=True)
    recommendation = models.TextField(_("recommendation"), max_length=4000, blank=True)
    action_by_gp = models.BooleanField(_("recommends action by the GP"), default=False)
    action_by_municipality = models.BooleanField(_("recommends action by the municipality"), default=False)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(auto_now_add=True)
    concluded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    concluded_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["-opened_at"]

    # the fields the package requires before a conclusion can be recorded
    REQUIRED_TO_CONCLUDE = ("history", "comorbidity", "clinical_findings", "paraclinical_findings",
                            "functional_level", "social_conditions", "recommendation")
