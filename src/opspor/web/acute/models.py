"""Referrals to the municipal acute function and what the acute team records on them
(001_5497481f8cd3c36e.txt 4395-4615).

A referral is written by a GP or a hospital doctor after their telephone call to the acute team
(``called_at``); the team of the citizen's municipality decides it in the clarification phase
(accept or decline, with a reason) before ``clarification_deadline``. The responsible doctor is
found by the routing rules (``routing.py``) for the call's moment and again whenever a change is
recorded; each stores the rule file's version and the rule. Rows change only through
``acute.actions``.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from opspor.web.accounts.models import Organisation
from opspor.web.messaging.models import InboundMessage, OutboundMessage
from opspor.web.people.models import Person


class ReferrerKind(models.TextChoices):
    GP = "gp", _("GP")
    HOSPITAL = "hospital", _("Hospital doctor")


class Outcome(models.TextChoices):
    """How a stay in the acute function ends (001 4880-4907, "Udgange")."""

    EVERYDAY = "everyday", _("Back to everyday life as before")
    MUNICIPAL_CARE = "municipal_care", _("Continues in municipal nursing or home care")
    OUTPATIENT = "outpatient", _("Continues in outpatient treatment at the hospital")
    ADMITTED = "admitted", _("Admitted to hospital")


class Referral(models.Model):
    class State(models.TextChoices):
        CLARIFICATION = "clarification", _("Clarification")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        CLOSED = "closed", _("Ended")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="acute_referrals")
    # the acute team: the citizen's municipality
    municipality_code = models.CharField(_("municipality"), max_length=3, db_index=True)
    team_name = models.CharField(_("acute team"), max_length=200)
    region_code = models.CharField(_("region"), max_length=4, db_index=True)
    # the referring doctor: a user of opspor (the web form), or the author named in a MedCom
    # CareCommunication received (``via_message``; no user then)
    referrer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    referrer_name = models.CharField(_("referring doctor"), max_length=200, blank=True)
    via_message = models.ForeignKey(InboundMessage, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                    verbose_name=_("referred by message"))
    referrer_kind = models.CharField(_("referred by"), max_length=10, choices=ReferrerKind.choices)
    referrer_org = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    referrer_phone = models.CharField(_("the referring doctor's phone"), max_length=40)
    called_at = models.DateTimeField(_("telephone call"))
    reason = models.TextField(_("what the acute team is asked to do"))
    horizon_days = models.PositiveIntegerField(_("agreed time horizon (days)"))
    state = models.CharField(_("state"), max_length=15, choices=State.choices, default=State.CLARIFICATION)
    created_at = models.DateTimeField(_("referred"), auto_now_add=True)
    clarification_deadline = models.DateTimeField(_("decision due"))
    reminded_at = models.DateTimeField(_("reminder"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    decision_reason = models.TextField(_("reason"), blank=True)
    # the routing at the call
    responsible = models.CharField(_("responsible doctor"), max_length=20)
    responsible_rule = models.CharField(max_length=40)
    rules_version = models.CharField(max_length=40)
    closed_at = models.DateTimeField(_("ended"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    closure_note = models.TextField(_("closing note"), blank=True)
    closure_message = models.ForeignKey(OutboundMessage, on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="+")

    class Meta:
        ordering = ["-called_at", "-id"]
        verbose_name = _("acute referral")
        verbose_name_plural = _("acute referrals")

    def __str__(self) -> str:  # never the CPR number
        return f"acute referral {self.public_id}"

    @property
    def referrer_display(self) -> str:
        """The referring doctor's name: the user's, or the author of the referral message."""
        if self.referrer_id:
            return self.referrer.get_full_name() or self.referrer.get_username()
        return self.referrer_name

    @property
    def open(self) -> bool:
        return self.state in (self.State.CLARIFICATION, self.State.ACCEPTED)

    @property
    def source(self) -> str:
        """What a booking or a message made for this referral names as its source."""
        return f"acute.referral:{self.pk}"

    @property
    def outcome_da(self) -> str:
        with translation.override("da"):
            return str(Outcome(self.outcome).label) if self.outcome else ""


class ConditionChange(models.Model):
    """A change in the citizen's condition recorded by the team, and whom it was sent to: the
    doctor responsible at ``recorded_at`` by the routing rules."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="changes")
    text = models.TextField(_("change in condition"))
    recorded_at = models.DateTimeField(_("recorded"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    responsible = models.CharField(_("responsible doctor"), max_length=20)
    responsible_rule = models.CharField(max_length=40)
    rules_version = models.CharField(max_length=40)
    recipient_name = models.CharField(_("sent to"), max_length=200, blank=True)
    message = models.ForeignKey(OutboundMessage, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["recorded_at", "id"]
