"""The audit log: one row per person per read, change or export; append-only.

The application cannot edit or delete a row (``save`` of an existing row, ``delete`` and the
query set's ``update``/``delete`` raise), and the database refuses it too: the migration adds
triggers on SQLite and PostgreSQL that abort any UPDATE or DELETE of the table.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from opspor.web.accounts.roles import Role


class AppendOnlyError(Exception):
    pass


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit entries cannot be changed")

    def delete(self):
        raise AppendOnlyError("audit entries cannot be deleted")

    def access_report(self, person_key: str):
        """"Who has looked at my data": every entry about one person but the audit's own
        searches (the auditor's report and the citizen's own page show the same)."""
        return self.filter(person_key=person_key).exclude(what__startswith="audit.")


class Event(models.TextChoices):
    """What happened: the closed list of audited events. :func:`opspor.web.audit.actions.record`
    refuses anything else. The values are what the log has always stored (a new event gets a new
    value; an old one is never renamed, so the append-only log needs no rewriting)."""

    # reads of person data
    CITIZENS = "citizens", _("Our citizens in the programmes")
    PERSON = "person", _("Person's page")
    WORKLIST = "worklist", _("Department worklist")
    MDT = "mdt", _("MDT conference")
    OUTBOX = "messages.outbox", _("Outbox of messages")
    APS_PROGRAMME = "aps.programme", _("Programme pool (pseudonymised)")
    APS_REVEAL = "aps.reveal", _("Identity shown in the programme pool")
    APS_DAY = "aps.day", _("My day: who to call")
    APS_CASELOAD = "aps.caseload", _("My caseload")
    APS_WEEK = "aps.week", _("My week: planned calls")
    APS_CASE = "aps.case", _("Aktiv Patientstøtte case")
    AUDIT_SEARCH = "audit.search", _("Search of the audit log")
    AUDIT_ACCESS_REPORT = "audit.access_report", _("Access report")
    AUDIT_ACCESS_REPORT_PDF = "audit.access_report.pdf", _("Access report exported (PDF)")
    CITIZEN_PAGE = "citizen.page", _("Citizen's own page")
    CITIZEN_MEASUREMENTS = "citizen.measurements", _("Citizen's own measurements")
    CITIZEN_ACCESS_REPORT = "citizen.access_report", _("Citizen's own access report")
    CITIZEN_QUESTIONNAIRE = "citizen.questionnaire", _("Citizen's questionnaire opened")
    # exports (one event per offered format)
    WORKLIST_CSV = "worklist.csv", _("Department list exported (CSV)")
    WORKLIST_XLSX = "worklist.xlsx", _("Department list exported (Excel)")
    APS_PROGRAMME_CSV = "aps.programme.csv", _("Programme pool exported (CSV)")
    APS_PROGRAMME_XLSX = "aps.programme.xlsx", _("Programme pool exported (Excel)")
    APS_CASELOAD_CSV = "aps.caseload.csv", _("Caseload exported (CSV)")
    APS_QUESTIONNAIRE_FHIR = "aps.questionnaire.fhir", _("Questionnaire answer exported (FHIR QuestionnaireResponse)")
    APS_CASELOAD_XLSX = "aps.caseload.xlsx", _("Caseload exported (Excel)")
    TRIAL_EXPORT = "trial.export", _("Trial data for the ITT analysis")
    # log-in and accounts
    LOGIN = "login", _("Log-in")
    SECOND_FACTOR_KEY = "second_factor.key", _("Key for a second factor made")
    SECOND_FACTOR = "second_factor", _("Second factor set up")
    LOGIN_REFUSED = "login.refused", _("Log-in refused")
    SIGNIN_STAFF = "signin.staff", _("Account set from the identity provider's claims")
    SIGNIN_CITIZEN = "signin.citizen", _("Citizen's account linked to the person")
    SIGNIN_RELATIVE = "signin.relative", _("Relative's account made")
    ADMIN_ADD = "admin.add", _("Added by an administrator")
    ADMIN_CHANGE = "admin.change", _("Changed by an administrator")
    ADMIN_DELETE = "admin.delete", _("Deleted by an administrator")
    # the department's list and the MDT conference
    SCREENING = "screening", _("Screening of today's list")
    MDT_OPEN = "mdt.open", _("MDT conference opened")
    MDT_SAVE = "mdt.save", _("MDT conference saved")
    MDT_CONCLUDE = "mdt.conclude", _("MDT conference concluded")
    # Aktiv Patientstøtte
    APS_CAPACITY = "aps.capacity", _("Nurse capacity set")
    APS_INVITE = "aps.invite", _("Invitation assigned to a nurse")
    APS_REASSIGN = "aps.reassign", _("Case given to another nurse")
    APS_CONSENT = "aps.consent", _("Consent to Aktiv Patientstøtte")
    APS_REFUSAL = "aps.refusal", _("Refusal of Aktiv Patientstøtte")
    APS_STARTUP = "aps.startup", _("Start-up session held; support started")
    APS_SESSION_PLAN = "aps.session.plan", _("Session planned")
    APS_SESSION_RECORD = "aps.session.record", _("Session recorded")
    APS_GOAL_ADD = "aps.goal.add", _("Goal set")
    APS_GOAL_UPDATE = "aps.goal.update", _("Goal updated")
    APS_PLAN = "aps.plan", _("Self-management plan saved")
    APS_NOTE = "aps.note", _("Note written")
    APS_QUESTIONNAIRE = "aps.questionnaire", _("Questionnaire recorded")
    APS_END = "aps.end", _("Support ended")
    APS_NOT_REACHED = "aps.not_reached", _("Not reached; a new try is planned")
    APS_REFERRAL = "aps.referral", _("Referred person taken into the programme")
    APS_ELIGIBILITY = "aps.eligibility", _("Programme pool replaced by a lists run")
    # the citizen's own part
    CITIZEN_MESSAGE = "citizen.message", _("Message between citizen and nurse")
    CITIZEN_MESSAGE_READ = "citizen.message.read", _("Message read")
    CITIZEN_COMMENT = "citizen.comment", _("Citizen's comment on the plan")
    RELATIVE_GRANT = "citizen.relative.grant", _("Relative given access by the citizen")
    RELATIVE_REVOKE = "citizen.relative.revoke", _("Relative's access revoked by the citizen")
    RELATIVE_READ = "citizen.relative.read", _("Relative's view of the citizen's page")
    CITIZEN_CONTACT = "citizen.contact", _("Citizen's phone, e-mail or choice of channel changed")
    APS_CONSENT_RECEIPT = "aps.consent.receipt", _("Receipt of consent downloaded")
    # questionnaires answered at home
    QUESTIONNAIRE_SCHEDULE = "aps.questionnaire.schedule", _("Questionnaires scheduled for the citizen")
    QUESTIONNAIRE_INVITE = "aps.questionnaire.invite", _("Questionnaire invitation sent")
    QUESTIONNAIRE_REMIND = "aps.questionnaire.remind", _("Questionnaire reminder sent")
    QUESTIONNAIRE_UNDELIVERED = "aps.questionnaire.undelivered", _("Questionnaire invitation not delivered")
    QUESTIONNAIRE_EXPIRE = "aps.questionnaire.expire", _("Questionnaire not answered by the deadline")
    QUESTIONNAIRE_CANCEL = "aps.questionnaire.cancel", _("Questionnaire cancelled: the course has ended")
    QUESTIONNAIRE_ANSWER = "citizen.questionnaire.answer", _("Questionnaire answered by the citizen")
    QUESTIONNAIRE_REVIEW = "aps.questionnaire.review", _("Questionnaire answer seen by the nurse")
    # the randomised trial
    TRIAL_ALLOCATE = "trial.allocate", _("Randomised at invitation (arm concealed until consent)")
    TRIAL_REREAD = "trial.reread", _("Earlier allocation used for a new invitation (arm concealed until consent)")
    TRIAL_REFUSE = "trial.refuse", _("Randomisation refused")
    TRIAL_REVEAL = "trial.reveal", _("Trial arm revealed at consent")
    # messages to GPs and municipalities
    MESSAGE_QUEUE = "message.queue", _("Message queued")
    MESSAGE_BLOCKED = "message.blocked", _("Message blocked")
    MESSAGE_OBJECTION = "message.objection", _("Objection to messages recorded")
    MESSAGE_OBJECTION_WITHDRAW = "message.objection.withdraw", _("Objection to messages withdrawn")
    MESSAGE_RETRY = "message.retry", _("Failed message queued again")
    MESSAGE_SENT = "message.sent", _("Message sent")
    MESSAGE_ACKNOWLEDGED = "message.acknowledged", _("Message acknowledged by the recipient")
    MESSAGE_DEFERRED = "message.deferred", _("Message delivery postponed (new attempt later)")
    MESSAGE_FAILED = "message.failed", _("Message delivery failed")
    # messages received (MedCom acknowledgements and replies; messaging.actions.receive)
    MESSAGE_RECEIVED = "message.received", _("Message received")
    MESSAGE_REFUSED = "message.refused", _("Message received and refused")
    INBOX = "message.inbox", _("Inbox of messages viewed")
    # the service directory (web/directory)
    DIRECTORY_CSV = "directory.csv", _("Service directory exported (CSV)")
    DIRECTORY_XLSX = "directory.xlsx", _("Service directory exported (Excel)")
    DIRECTORY_LOAD = "directory.load", _("Directory file loaded")
    DIRECTORY_UPDATE = "directory.update", _("Offer updated in the directory")
    DIRECTORY_BOOK = "directory.book", _("Place booked")
    DIRECTORY_RELEASE = "directory.release", _("Place released")
    # the municipal acute function (web/acute)
    ACUTE_TEAM = "acute.team", _("The acute team's referrals")
    ACUTE_REFERRALS = "acute.referrals", _("Referrals to the acute function")
    ACUTE_REFERRAL = "acute.referral", _("Referral to the acute function")
    ACUTE_REFER = "acute.refer", _("Citizen referred to the acute function")
    ACUTE_ACCEPT = "acute.accept", _("Referral accepted by the acute team")
    ACUTE_DECLINE = "acute.decline", _("Referral declined by the acute team")
    ACUTE_CHANGE = "acute.change", _("Change in the citizen's condition sent to the responsible doctor")
    ACUTE_CLOSE = "acute.close", _("Stay in the acute function ended")
    ACUTE_REMINDER = "acute.reminder", _("Reminder: the acute team's decision is due")
    # after the MDT: participants, tasks and the shared plan (web/careplan)
    CAREPLAN_FOLLOW_UP = "careplan.follow_up", _("After the MDT: participants and tasks")
    CAREPLAN_PARTICIPANT = "careplan.participant", _("Participant added to the MDT conference")
    CAREPLAN_TASKS = "careplan.tasks", _("Task board")
    CAREPLAN_TASK_CREATE = "careplan.task.create", _("Task made after the MDT")
    CAREPLAN_TASK_STATUS = "careplan.task.status", _("Task status changed")
    SHARED_PLAN = "careplan.plan", _("Shared plan")
    SHARED_PLAN_CHANGE = "careplan.plan.change", _("Shared plan changed (new version)")
    SHARED_PLAN_FHIR = "careplan.plan.fhir", _("Shared plan exported as FHIR CarePlan")
    # what the system's own commands publish
    REFERENCE_ORGANISATIONS = "organisations.reference", _("Reference organisations added")
    DEMO_USERS = "demo_users", _("Demo users made or their passwords set")
    LISTS_PUBLISH = "lists.publish", _("Lists run published")
    LISTS_INTRADAY = "lists.intraday", _("List changed during the day (hospital notification)")
    ALERTS_PUBLISH = "alerts.publish", _("Data alerts published")
    MONITORING_PUBLISH = "monitoring.publish", _("Indicators published")
    MONITORING_EFFECT = "monitoring.effect", _("Effect estimates published")
    MONITORING_REGISTER = "monitoring.register", _("Task register imported")
    MONITORING_TASK = "monitoring.task", _("Monitoring task updated")
    MONITORING_REPORT = "monitoring.report", _("Committee report made")
    MONITORING_PLAN = "monitoring.plan", _("Region's intake plan set")
    # telemonitoring
    TELEMONITORING_RECEIVE = "telemonitoring.receive", _("Home measurements received")
    TELEMONITORING_TOKEN = "telemonitoring.token", _("Sender token made")
    TELEMONITORING_TOKEN_REVOKE = "telemonitoring.token.revoke", _("Sender token revoked")
    TELEMONITORING_ENROL = "telemonitoring.enrol", _("Enrolled in telemonitoring")
    TELEMONITORING_END = "telemonitoring.end", _("Telemonitoring ended")
    TELEMONITORING_THRESHOLD = "telemonitoring.threshold", _("Telemonitoring threshold adjusted for the patient")
    TELEMONITORING_MISSING = "telemonitoring.missing", _("Missing home measurements found")
    TELEMONITORING_PATIENT = "telemonitoring.patient", _("Telemonitoring patient's page")
    TELEMONITORING_PATIENTS = "telemonitoring.patients", _("Telemonitoring patients")
    TELEMONITORING_WORKLIST = "telemonitoring.worklist", _("Monitoring-centre worklist")
    TELEMONITORING_ALARM = "telemonitoring.alarm", _("Telemonitoring alarm")
    TELEMONITORING_ACKNOWLEDGE = "telemonitoring.acknowledge", _("Alarm acknowledged")
    TELEMONITORING_NOTE = "telemonitoring.note", _("Note on an alarm")
    TELEMONITORING_ESCALATE = "telemonitoring.escalate", _("Alarm escalated")
    TELEMONITORING_CLOSE = "telemonitoring.close", _("Alarm closed")
    TELEMONITORING_EVALUATION_PUBLISH = "telemonitoring.evaluation.publish", _("Telemonitoring evaluation published")
    TELEMONITORING_EVALUATION = "telemonitoring.evaluation", _("Telemonitoring evaluation")
    TELEMONITORING_EVALUATION_CSV = "telemonitoring.evaluation.csv", _("Telemonitoring evaluation exported (CSV)")
    TELEMONITORING_EVALUATION_XLSX = "telemonitoring.evaluation.xlsx", _("Telemonitoring evaluation exported (Excel)")
    TELEMONITORING_EVALUATION_PDF = "telemonitoring.evaluation.pdf", _("Telemonitoring evaluation exported (PDF)")
    # the risk models' governance (web/riskmodels)
    RISK_MODEL_PROPOSE = "risk.model.propose", _("Risk model proposed for use")
    RISK_MODEL_APPROVE = "risk.model.approve", _("Risk model approved for use")
    RISK_MODEL_SELECT = "risk.model.select", _("Risk model put in use")
    RISK_MODEL_ROLLBACK = "risk.model.rollback", _("Back to the previous risk model")
    RISK_MONITORING_PUBLISH = "risk.monitoring.publish", _("Risk model monitoring published")
    RISK_MONITORING = "risk.monitoring", _("Risk model monitoring")
    RISK_MONITORING_MAIL = "risk.monitoring.mail", _("Risk model alert e-mailed to a programme lead")


SYSTEM_ROLE = "system"
# a user's role, or the system's own commands (their name is the entry's user name)
ROLES = {**dict(Role.choices), SYSTEM_ROLE: _("System (opspor command)")}
EVENTS = dict(Event.choices)


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        READ = "read", _("Read")
        CHANGE = "change", _("Change")
        EXPORT = "export", _("Export")
        LOGIN = "login", _("Log-in")

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                             related_name="+", verbose_name=_("user"))
    username = models.CharField(_("user name"), max_length=150)
    user_full_name = models.CharField(_("name"), max_length=300, blank=True)
    role = models.CharField(_("role"), max_length=20, blank=True)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    person_key = models.CharField(_("person (pseudonym)"), max_length=64, blank=True, db_index=True)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    what = models.CharField(_("what"), max_length=80)
    why = models.CharField(_("why"), max_length=200)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["username", "-at"], name="audit_user_at")]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    # Labels for the auditor. The fields carry no ``choices`` (a new event needs no migration);
    # an old entry with a value outside today's lists shows its stored code.
    @property
    def event_label(self) -> str:
        return EVENTS.get(self.what, self.what)

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("audit entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit entries cannot be deleted")
