"""The allocations of a programme run as a randomised trial (one row per person and trial).

The arm is stored when the person is invited and stays concealed until consent is recorded:
nothing shows it while ``revealed_at`` is empty (``Allocation.shown_arm``). Rows are never
changed except for the reveal, and never deleted (``PROTECT`` from the person and the cases).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from opspor.web.people.models import Person


class Allocation(models.Model):
    class Arm(models.TextChoices):
        INTERVENTION = "intervention", _("Intervention (Aktiv Patientstøtte)")
        CONTROL = "control", _("Control (usual care)")

    trial = models.CharField(max_length=40)
    stratum = models.CharField(max_length=20)
    sequence_number = models.PositiveIntegerField()
    arm = models.CharField(max_length=20, choices=Arm.choices)
    block_number = models.PositiveIntegerField()
    block_size = models.PositiveSmallIntegerField()
    participant = models.CharField(max_length=80)  # the randomiser's reference: see store.participant_ref
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="trial_allocations")
    # The randomiser's gate time (its ``consent_recorded_at``): in the web flow the invitation.
    entered_at = models.DateTimeField()
    allocated_at = models.DateTimeField()
    allocated_by = models.CharField(max_length=160)
    scheme = models.CharField(max_length=200)
    revealed_at = models.DateTimeField(null=True, blank=True)
    revealed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["trial", "stratum", "sequence_number"], name="trial_one_per_place"),
            models.UniqueConstraint(fields=["trial", "participant"], name="trial_one_per_participant"),
        ]
        indexes = [models.Index(fields=["trial", "stratum"], name="trial_stratum")]

    def __str__(self) -> str:  # never the arm: str() ends up in logs
        return f"allocation {self.trial}/{self.stratum}#{self.sequence_number}"

    @property
    def revealed(self) -> bool:
        return self.revealed_at is not None

    @property
    def shown_arm(self) -> str:
        """The arm if consent has revealed it, else "" (the only way pages and exports read it)."""
        return self.arm if self.revealed_at is not None else ""
