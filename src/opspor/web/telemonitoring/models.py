"""Telemonitoring in the web database: the senders' tokens and every measurement received.

A measurement is never changed: a correction is a new row with the same identifier (system and
value) and the next ``version``; a resend of content already stored under that identifier is
not stored again (docs/telemonitoring.md). The current value of an identifier is its highest
version.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from opspor.web.accounts.models import Organisation
from opspor.web.people.models import Person


class Source(models.TextChoices):
    API = "api", _("Device or system (REST)")
    FILE = "file", _("File import (NDJSON)")
    PATIENT = "patient", _("Entered by the patient")


class SenderToken(models.Model):
    """A device hub's or system's key to a REST endpoint. Only the SHA-256 of the token is
    kept; the token itself is shown once, when made (``opspor telemonitoring token``, or
    ``opspor messages token`` for a sender of MedCom messages). A token opens the one endpoint of
    its ``channel``: a device hub's token is no key to the message endpoint, nor the reverse."""

    class Channel(models.TextChoices):
        TELEMONITORING = "telemonitoring", _("Home measurements")
        MEDCOM = "medcom", _("MedCom messages")

    name = models.CharField(_("name"), max_length=100, unique=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.TELEMONITORING)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("organisation"))
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("sender token")
        verbose_name_plural = _("sender tokens")

    def __str__(self) -> str:
        return self.name


class Measurement(models.Model):
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="telemonitoring_measurements",
                               verbose_name=_("person"))
    kind = models.CharField(_("measurement"), max_length=30)
    value = models.FloatField(_("value"))
    value2 = models.FloatField(_("second value"), null=True, blank=True)  # the diastolic pressure
    effective = models.DateTimeField(_("measured"))
    status = models.CharField(_("status"), max_length=20)
    identifier_system = models.CharField(max_length=200)
    identifier_value = models.CharField(max_length=200)
    version = models.PositiveIntegerField(_("version"))
    digest = models.CharField(max_length=20)
    received_at = models.DateTimeField(_("received"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    sender = models.CharField(_("sender"), max_length=100)
    device = models.CharField(_("device"), max_length=100, blank=True)
    catalogue_version = models.CharField(max_length=20)
    # the triage at arrival by the patient's protocol and thresholds then in force; "" = not
    # triaged (a kind outside the patient's plan, or entered-in-error)
    colour = models.CharField(_("colour"), max_length=10, blank=True)
    rule = models.CharField(_("rule"), max_length=60, blank=True)
    threshold = models.FloatField(_("threshold"), null=True, blank=True)
    protocol_version = models.CharField(max_length=20, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["identifier_value", "identifier_system", "version"],
                                               name="tm_measurement_identifier_version")]
        indexes = [models.Index(fields=["person", "kind", "effective"], name="tm_person_kind_effective")]
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")

    def __str__(self) -> str:
        return f"{self.kind} {self.value:g} ({self.identifier_value} v{self.version})"


class Condition(models.TextChoices):
    """The conditions of ``telemonitoring/config/protocols.yaml`` (tests check they agree)."""

    COPD = "copd", _("COPD")
    HEART_FAILURE = "heart_failure", _("Heart failure")


class EnrolmentSource(models.TextChoices):
    APS_CASE = "aps_case", _("Aktiv Patientstøtte case")
    DEPARTMENT_LIST = "department_list", _("Department list")
    DIRECT = "direct", _("Directly")


class Enrolment(models.Model):
    """A patient in telemonitoring: the condition (its protocol), the equipment, the check that
    the patient can use it, and the plan (``PlanItem``). One active enrolment per patient."""

    class State(models.TextChoices):
        ACTIVE = "active", _("Active")
        ENDED = "ended", _("Ended")

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="telemonitoring_enrolments",
                               verbose_name=_("person"))
    condition = models.CharField(_("condition"), max_length=20, choices=Condition.choices)
    source = models.CharField(_("enrolled from"), max_length=20, choices=EnrolmentSource.choices)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("organisation"))
    region_code = models.CharField(_("region"), max_length=4, db_index=True)
    enrolled_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("enrolled by"))
    enrolled_at = models.DateTimeField(_("enrolled"))
    equipment = models.CharField(_("equipment"), max_length=300)
    usability_checked_at = models.DateTimeField(_("usability checked"))
    usability_note = models.CharField(_("usability check"), max_length=500)
    protocol_version = models.CharField(max_length=20)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.ACTIVE)
    # The hospital department responsible for the condition: an alarm may be escalated to it.
    department = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+", null=True, blank=True,
                                   verbose_name=_("responsible department"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    ended_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True,
                                 verbose_name=_("ended by"))
    end_reason = models.CharField(_("reason for ending"), max_length=500, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person"], condition=models.Q(state="active"),
                                               name="tm_one_active_enrolment")]
        verbose_name = _("telemonitoring enrolment")
        verbose_name_plural = _("telemonitoring enrolments")


class PlanItem(models.Model):
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="plan")
    kind = models.CharField(_("measurement"), max_length=30)
    every_days = models.PositiveIntegerField(_("every (days)"))
    missing_after_days = models.PositiveIntegerField(_("missing after (days)"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["enrolment", "kind"], name="tm_plan_kind")]
        ordering = ["id"]


class ThresholdAdjustment(models.Model):
    """A clinician's threshold for one rule of one patient: the patient's baseline plus an
    offset (negative below it). Never changed: a new adjustment supersedes the last one."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="adjustments")
    rule = models.CharField(_("rule"), max_length=60)
    baseline = models.FloatField(_("baseline"))
    offset = models.FloatField(_("offset from baseline"))
    threshold = models.FloatField(_("threshold"))
    reason = models.CharField(_("reason"), max_length=500)
    by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))
    at = models.DateTimeField(_("time"))

    class Meta:
        ordering = ["-at", "-id"]


class Colour(models.TextChoices):
    RED = "red", _("Red")
    YELLOW = "yellow", _("Yellow")
    GREEN = "green", _("Green")


class Alarm(models.Model):
    """A red or yellow measurement or questionnaire, or a missing measurement, for the
    monitoring centre."""

    class Category(models.TextChoices):
        MEASUREMENT = "measurement", _("Measurement")
        QUESTIONNAIRE = "questionnaire", _("Questionnaire")
        MISSING = "missing", _("Missing measurement")

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        ESCALATED = "escalated", _("Escalated")
        CLOSED = "closed", _("Closed")

    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="alarms")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="telemonitoring_alarms")
    category = models.CharField(_("kind of alarm"), max_length=15, choices=Category.choices)
    colour = models.CharField(_("colour"), max_length=10, choices=Colour.choices)
    kind = models.CharField(_("measurement"), max_length=30)
    rule = models.CharField(_("rule"), max_length=60)
    measurement = models.ForeignKey(Measurement, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    measured_at = models.DateTimeField(_("measured"))  # a missing one: since when
    raised_at = models.DateTimeField(_("raised"))
    state = models.CharField(_("state"), max_length=15, choices=State.choices, default=State.OPEN)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="+")
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "colour"], name="tm_alarm_state_colour")]
        constraints = [models.UniqueConstraint(fields=["enrolment", "kind"], condition=models.Q(
            category="missing", state__in=("open", "acknowledged", "escalated")), name="tm_one_open_missing")]


class AlarmEvent(models.Model):
    """What the monitoring centre did with an alarm: acknowledged, contacted the patient, a note,
    escalated (with the message queued), closed. Never changed."""

    class Kind(models.TextChoices):
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        CONTACT = "contact", _("Patient contacted")
        NOTE = "note", _("Note")
        ESCALATED = "escalated", _("Escalated to the GP")
        CLOSED = "closed", _("Closed")

    alarm = models.ForeignKey(Alarm, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("what"), max_length=15, choices=Kind.choices)
    text = models.CharField(_("note"), max_length=1000, blank=True)
    by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))
    at = models.DateTimeField(_("time"))
    message = models.ForeignKey("messaging.OutboundMessage", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+")

    class Meta:
        ordering = ["at", "id"]


class Evaluation(models.Model):
    """A published evaluation report of a region's telemonitoring (``opspor telemonitoring
    evaluate --publish``): the figures of :mod:`opspor.telemonitoring.evaluation` as JSON, no
    person data. The newest per region is shown."""

    region_code = models.CharField(_("region"), max_length=4, db_index=True)
    made_at = models.DateTimeField(_("made"))
    snapshot_id = models.CharField(_("snapshot"), max_length=40)
    report = models.JSONField(_("report"))

    class Meta:
        ordering = ["-made_at", "-id"]
        verbose_name = _("telemonitoring evaluation")
        verbose_name_plural = _("telemonitoring evaluations")
