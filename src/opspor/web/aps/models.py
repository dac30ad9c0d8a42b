"""Aktiv Patientstøtte: who is eligible, and the support nurses' cases from invitation to end."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opspor.web.aps import rules
from opspor.web.people.models import ContactChoice, Person
from opspor.web.worklists.models import ListRun


class EligibilityEntry(models.Model):
    """A person with an inclusion route on a run's day (``aps-eligible`` of the lists run)."""

    run = models.ForeignKey(ListRun, on_delete=models.CASCADE, related_name="eligibility")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="eligibility")
    region_code = models.CharField(max_length=4, db_index=True)
    municipality_code = models.CharField(max_length=3, blank=True)
    routes = models.JSONField(default=list)
    excluded = models.BooleanField(default=False)
    exclusion_reasons = models.JSONField(default=list)
    acute_admissions_12m = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["run", "region_code", "excluded"], name="elig_run_region")]


class CaseQuerySet(models.QuerySet):
    # The patient said yes: consented, in support, or ended after it. The one definition of
    # "included in the programme" (messages' consent, the municipality's and GP's view, the
    # trial's consent, questionnaires).
    INCLUDED = ("consented", "active", "ended")

    def included(self):
        return self.filter(state__in=self.INCLUDED)


class Case(models.Model):
    """One person's course in the programme. State changes only through ``aps.actions``."""

    class State(models.TextChoices):
        INVITED = "invited", _("Invited")
        CONSENTED = "consented", _("Consented")
        REFUSED = "refused", _("Refused")
        ACTIVE = "active", _("Active (start-up session held)")
        ENDED = "ended", _("Ended")

    class RefusalReason(models.TextChoices):
        NOT_INTERESTED = "not_interested", _("Not interested")
        TOO_ILL = "too_ill", _("Too ill or terminally ill")
        ALREADY_SUPPORTED = "already_supported", _("Already has enough support")
        LANGUAGE = "language", _("Does not speak Danish / hearing impairment")
        COGNITIVE = "cognitive", _("Cognitive impairment")
        NO_CONTACT = "no_contact", _("Could not be reached")  # earlier rows only: "not reached" is no refusal now
        OTHER = "other", _("Other")

    class EndReason(models.TextChoices):
        COMPLETED = "completed", _("Support completed")
        WITHDREW = "withdrew", _("Patient withdrew")
        DIED = "died", _("Died")
        MOVED = "moved", _("Moved out of the region")
        LONG_TERM_CARE = "long_term_care", _("Moved to a nursing home")
        OTHER = "other", _("Other")

    class Intake(models.TextChoices):
        ALGORITHM = "algorithm", _("Found by the programme's criteria")
        REFERRAL = "referral", _("Referred")

    class ReferralSource(models.TextChoices):
        GP = "gp", _("General practitioner")
        DEPARTMENT = "department", _("Hospital department")

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="aps_cases")
    region_code = models.CharField(max_length=4, db_index=True)
    nurse = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="aps_cases")
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.INVITED)
    risk_score = models.FloatField(_("risk score"), null=True, blank=True)
    risk_model_id = models.CharField(max_length=80, blank=True)
    invited_at = models.DateTimeField(_("invited"), auto_now_add=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    refusal_reason = models.CharField(_("reason for refusal"), max_length=20, choices=RefusalReason.choices, blank=True)
    refusal_note = models.TextField(_("note on the refusal"), max_length=2000, blank=True)
    started_at = models.DateTimeField(_("start-up session"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    end_reason = models.CharField(_("reason for ending"), max_length=20, choices=EndReason.choices, blank=True)
    end_note = models.TextField(_("note on ending"), max_length=2000, blank=True)
    # The trial allocation made at invitation (programme run as a trial); its arm is concealed
    # until consent: read it through ``trial.actions.shown_arm``, never ``allocation.arm``.
    allocation = models.ForeignKey("trial.Allocation", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="cases")
    # How the person came into the programme: the eligibility criteria (the pool), or a referral by
    # a GP or a hospital department outside them, with its source, referrer, date and reason.
    intake = models.CharField(_("intake"), max_length=10, choices=Intake.choices, default=Intake.ALGORITHM)
    referral_source = models.CharField(_("referred by"), max_length=10, choices=ReferralSource.choices, blank=True)
    referrer = models.CharField(_("referrer"), max_length=200, blank=True)
    referred_on = models.DateField(_("date of the referral"), null=True, blank=True)
    referral_reason = models.TextField(_("reason for the referral"), max_length=2000, blank=True)

    class Meta:
        ordering = ["-invited_at"]
        constraints = [
            # at most one open case per person
            models.UniqueConstraint(fields=["person"], condition=models.Q(state__in=["invited", "consented", "active"]),
                                    name="one_open_case_per_person"),
        ]

    OPEN_STATES = ("invited", "consented", "active")

    objects = CaseQuerySet.as_manager()

    def __str__(self) -> str:  # never the CPR number
        return f"case {self.pk} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES

    @property
    def start_date(self) -> dt.date | None:
        return timezone.localdate(self.started_at) if self.started_at else None

    @property
    def end_due_on(self) -> dt.date | None:
        """From this day "support completed" may be recorded (6 months after the start)."""
        return rules.end_due_on(self.start_date) if self.started_at else None

    @property
    def end_overdue_on(self) -> dt.date | None:
        """From this day the end is overdue (9 months after the start)."""
        return rules.end_overdue_on(self.start_date) if self.started_at else None


class Session(models.Model):
    class Kind(models.TextChoices):
        STARTUP = "startup", _("Physical start-up session")
        PHONE = "phone", _("Telephone session")
        INVITATION = "invitation", _("Call about the invitation")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        HELD = "held", _("Held")
        MISSED = "missed", _("Not reached")
        CANCELLED = "cancelled", _("Cancelled")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="sessions")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    planned_for = models.DateTimeField(_("planned for"), db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    held_at = models.DateTimeField(_("held"), null=True, blank=True)
    # when the outcome (held, not reached, cancelled) was recorded: the timeline's order
    recorded_at = models.DateTimeField(_("recorded"), null=True, blank=True)
    note = models.TextField(_("note"), max_length=4000, blank=True)
    # the new try planned when the patient was not reached
    retry_of = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="retry")

    class Meta:
        ordering = ["planned_for"]


class Goal(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Working on it")
        ACHIEVED = "achieved", _("Achieved")
        DROPPED = "dropped", _("Dropped")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="goals")
    text = models.CharField(_("goal"), max_length=500)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]


class Plan(models.Model):
    """A version of the self-management plan; the newest is in force."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="plans")
    text = models.TextField(_("self-management plan"), max_length=8000)
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-written_at", "-id"]


class Note(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notes")
    text = models.TextField(_("note"), max_length=4000)
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-written_at", "-id"]


class QuestionnaireResponse(models.Model):
    """Answers to an instrument of ``aps/instruments/config/*.yaml``, with the score and the
    interpretation band the instrument's version computed when the answers were recorded."""

    class Timepoint(models.TextChoices):
        BASELINE = "baseline", _("Baseline (start-up)")
        MONTH_3 = "3m", _("3 months")
        MONTH_6 = "6m", _("6 months")
        END = "end", _("End of support")
        MONTH_12 = "12m", _("12 months")
        OTHER = "other", _("Other")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="responses")
    instrument = models.CharField(_("instrument"), max_length=40)
    instrument_version = models.CharField(max_length=20)
    timepoint = models.CharField(_("time point"), max_length=20, choices=Timepoint.choices)
    answers = models.JSONField(default=dict)
    score = models.FloatField(_("score"), null=True)
    band = models.CharField(_("interpretation"), max_length=40, blank=True)
    taken_on = models.DateField(_("date"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Source(models.TextChoices):
        CITIZEN = "citizen", _("Answered by the citizen")
        PAPER = "paper", _("Typed in by the nurse (paper or phone)")

    class Triage(models.TextChoices):
        RED = "red", _("Red")
        YELLOW = "yellow", _("Yellow")
        GREEN = "green", _("Green")

    # who gave the answers: the citizen on their own page, or the nurse typing them in
    source = models.CharField(_("answered by"), max_length=10, choices=Source.choices, default=Source.PAPER)
    # the colour by the triage rules (config/triage.yaml) in force when stored, and the rule that fired
    triage = models.CharField(_("triage"), max_length=10, choices=Triage.choices, blank=True)
    triage_rule = models.CharField(max_length=60, blank=True)
    triage_version = models.CharField(max_length=20, blank=True)
    # a red or yellow answer stays on the nurse's day view until she has seen it
    reviewed_at = models.DateTimeField(_("seen by the nurse"), null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")

    class Meta:
        ordering = ["-taken_on", "-id"]

    @property
    def triage_text(self) -> str:
        """The text of the rule that fired, in the request's language (the id if the rule has
        since left the triage file)."""
        if not self.triage_rule:
            return ""
        from opspor.web.aps.triage import triage

        rule = triage().rule(self.instrument, self.triage_rule)
        return rule.label if rule else self.triage_rule

    @property
    def needs_review(self) -> bool:
        return self.triage in ("red", "yellow") and self.reviewed_at is None


class QuestionnaireRequest(models.Model):
    """A questionnaire the citizen is asked to answer at home: scheduled by the nurse, its
    invitation sent by e-mail or SMS on ``send_on`` with a link to the citizen's page (the
    random ``public_id``, never a person's number), reminders until the ``deadline``, then
    answered or not. Changed only through ``aps.actions``."""

    class State(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        SENT = "sent", _("Invitation sent")
        ANSWERED = "answered", _("Answered")
        EXPIRED = "expired", _("Not answered by the deadline")
        CANCELLED = "cancelled", _("Cancelled")

    Channel = ContactChoice.Channel  # the ways a citizen can be reached: one definition

    OPEN_STATES = ("scheduled", "sent")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="questionnaire_requests")
    instrument = models.CharField(_("questionnaire"), max_length=40)
    timepoint = models.CharField(_("time point"), max_length=20, choices=QuestionnaireResponse.Timepoint.choices)
    send_on = models.DateField(_("send on"), db_index=True)
    deadline = models.DateField(_("answer by"))
    channel = models.CharField(_("send by"), max_length=10, choices=Channel.choices)
    address = models.CharField(_("e-mail address or mobile number"), max_length=200)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.SCHEDULED)
    scheduled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    scheduled_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    reminders = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    reminded_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)  # the last delivery that failed (retried)
    response = models.OneToOneField(QuestionnaireResponse, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="request")
    # not answered by the deadline: on the nurse's day view until she has seen it
    reviewed_at = models.DateTimeField(_("seen by the nurse"), null=True, blank=True)

    class Meta:
        ordering = ["send_on", "id"]

    def __str__(self) -> str:  # never the address
        return f"questionnaire request {self.pk} ({self.state})"


class CaseMessage(models.Model):
    """A message between the citizen (on their own page, web/citizen) and the case's support
    nurse (on the case page), with its read receipt; a comment of the citizen on the
    self-management plan is a message that names the plan."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="messages")
    from_citizen = models.BooleanField(_("from the citizen"))
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("message"), max_length=2000)
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, null=True, blank=True, related_name="comments")
    sent_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["sent_at", "id"]


class ConsentRecord(models.Model):
    """Consent to the programme given or withdrawn, as a record (as REDCap's e-Consent): which
    case, given or withdrawn, how (on the citizen's own page after MitID, or recorded by the
    nurse), by whom and when, and which version of the consent text (``aps/consent.py``; the
    file's digest pins the file, ``text`` keeps the Danish words for the receipt). Written only
    by ``aps.actions``; never changed."""

    class Kind(models.TextChoices):
        GIVEN = "given", _("Consent given")
        WITHDRAWN = "withdrawn", _("Consent withdrawn")

    class How(models.TextChoices):
        CITIZEN = "citizen", _("By the citizen on their own page (MitID)")
        NURSE = "nurse", _("Recorded by the nurse")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="consent_records")
    kind = models.CharField(_("consent"), max_length=10, choices=Kind.choices)
    how = models.CharField(_("how"), max_length=10, choices=How.choices)
    text_version = models.CharField(_("version of the consent text"), max_length=20)
    text_digest = models.CharField(max_length=64)
    text = models.TextField(_("the consent text"))  # in Danish, as the version said it: the receipt prints it
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"consent record {self.pk} ({self.kind})"
