"""The outbox of messages to GPs and municipalities, and patients' objections to them.

A message is written in the same transaction as the action that causes it (transactional
outbox); the delivery worker (``opspor messages send``) sends it later. Its ``message_id`` is
``Bundle.id`` and ``MessageHeader.id`` of the FHIR message and never changes, so a receiver
that sees it twice knows it is the same message. States change only through
``messaging.actions`` and ``messaging.delivery``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from opspor.web.people.models import Person


class RecipientKind(models.TextChoices):
    GP_PRACTICE = "gp_practice", _("GP practice")
    MUNICIPALITY = "municipality", _("Municipality")
    # the acute function's responsible doctor out of hours: the region's on-call service (by region code)
    ON_CALL = "on_call", _("On-call service")
    # a hospital department (by UNIT/DEPARTMENT), e.g. the hospital doctor responsible in the acute function
    DEPARTMENT = "department", _("Hospital department")


class BlockReason(models.TextChoices):
    """Why a message was not sent, as users read it (the fix is in the technical detail)."""

    NO_CONSENT = "no_consent", _("The patient has not consented to Aktiv Patientstøtte")
    OBJECTION = "objection", _("The patient objects to informing the recipient")
    NO_GP = "no_gp", _("No GP practice is known for the person")
    NO_MUNICIPALITY = "no_municipality", _("No municipality is known for the person")
    NO_ADDRESS = "no_address", _("The recipient is not in the address book; the administrator adds it")
    NO_SENDER = "no_sender", _("The region has no sender address; the administrator adds it")


class OutboundMessage(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent, awaiting acknowledgement")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        FAILED = "failed", _("Failed")
        BLOCKED = "blocked", _("Not sent")

    class Kind(models.TextChoices):
        CARE_COMMUNICATION = "care_communication", _("Correspondence (MedCom CareCommunication)")
        DATA_ALERT = "data_alert", _("Data alert")

    class Event(models.TextChoices):
        APS_INCLUDED = "aps_included", _("Included in Aktiv Patientstøtte")
        APS_ENDED = "aps_ended", _("Aktiv Patientstøtte ended")
        MDT_ACTION = "mdt_action", _("MDT recommends action")
        DATA_ALERT = "data_alert", _("Data alert")
        ACUTE_CHANGE = "acute_change", _("Acute function: change in the citizen's condition")
        ACUTE_CLOSED = "acute_closed", _("Acute function: stay ended")
        ACUTE_DECLINED = "acute_declined", _("Acute function: referral declined")
        CARE_TASK = "care_task", _("Task after the MDT")

    message_id = models.UUIDField(_("message id"), unique=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    event = models.CharField(_("event"), max_length=20, choices=Event.choices)
    # what caused it, unique per recipient: queueing the same thing twice returns the first message
    dedupe_key = models.CharField(max_length=200, unique=True)
    source = models.CharField(max_length=80, blank=True)
    recipient_kind = models.CharField(_("recipient kind"), max_length=20, choices=RecipientKind.choices)
    recipient_id = models.CharField(_("recipient"), max_length=20, blank=True)
    recipient_name = models.CharField(_("recipient name"), max_length=200, blank=True)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="outbound_messages")
    purpose = models.CharField(_("purpose"), max_length=300)
    legal_basis = models.CharField(_("legal basis"), max_length=300, blank=True)
    policy_version = models.CharField(max_length=40, blank=True)
    profile = models.CharField(_("profile"), max_length=80, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    state = models.CharField(_("state"), max_length=15, choices=State.choices, default=State.QUEUED)
    block_code = models.CharField(_("why not sent"), max_length=20, choices=BlockReason.choices, blank=True)
    # the technical detail for the administrator (which address book, which key); users see block_code
    block_reason = models.CharField(_("technical detail"), max_length=400, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("queued"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="outbox_due")]
        verbose_name = _("message")
        verbose_name_plural = _("messages")

    def __str__(self) -> str:  # never the CPR number
        return f"message {self.message_id} ({self.state})"

    @property
    def filename(self) -> str:
        return f"{self.message_id}.json"


class Objection(models.Model):
    """The patient does not want this recipient informed. While in force (not withdrawn), no
    message about the person goes to that kind of recipient."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="message_objections")
    recipient_kind = models.CharField(_("recipient"), max_length=20, choices=RecipientKind.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["person", "recipient_kind"], condition=models.Q(withdrawn_at__isnull=True),
                                    name="one_objection_in_force"),
        ]


class InboundMessage(models.Model):
    """A MedCom message received (HTTP endpoint or folder), accepted or refused: every one is kept.

    Exactly once: ``message_key`` (``Bundle.id/MessageHeader.id``, MedCom reliable messaging) is
    unique among accepted messages; a second delivery of the same message is answered as before
    and changes nothing (``messaging.actions.receive``). A refused message is kept with its
    reason and may come again, corrected, under the same ids.
    """

    class Kind(models.TextChoices):
        ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement")
        REPLY = "reply", _("Reply to a message")
        HOSPITAL_NOTIFICATION = "hospital_notification", _("Hospital notification")
        REFERRAL = "referral", _("Referral to the acute function")
        UNREAD = "unread", _("Not readable")

    class Status(models.TextChoices):
        ACCEPTED = "accepted", _("Received")
        REFUSED = "refused", _("Refused")

    class Channel(models.TextChoices):
        HTTP = "http", _("Endpoint (HTTP)")
        FOLDER = "folder", _("Folder")

    message_key = models.CharField(max_length=80, blank=True)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    channel = models.CharField(_("received through"), max_length=10, choices=Channel.choices)
    # who sent it: the token's sender name (HTTP) or the file name (folder); the organisation by SOR code
    via = models.CharField(max_length=200, blank=True)
    sender_kind = models.CharField(_("sender kind"), max_length=20, choices=RecipientKind.choices, blank=True)
    sender_id = models.CharField(_("sender"), max_length=20, blank=True)
    sender_name = models.CharField(_("sender"), max_length=200, blank=True)
    author = models.CharField(_("written by"), max_length=200, blank=True)
    in_reply_to = models.ForeignKey(OutboundMessage, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="received", verbose_name=_("answers"))
    person = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="inbound_messages")
    text = models.TextField(_("text"), blank=True)
    refusal = models.TextField(_("why refused"), blank=True)
    payload = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["message_key"], condition=models.Q(status="accepted"),
                                    name="inbound_accepted_once"),
        ]
        verbose_name = _("received message")
        verbose_name_plural = _("received messages")

    def __str__(self) -> str:  # never the CPR number
        return f"received {self.message_key or '?'} ({self.status})"
