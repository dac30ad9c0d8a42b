"""Who logged in through which OpenID provider, and which person a citizen's account is."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from opspor.web.people.models import Person


class ExternalIdentity(models.Model):
    """A user as an OpenID provider knows them (``iss`` and ``sub`` of its ID tokens). A log-in
    through a provider finds the user by this and only by this: never by user name or e-mail."""

    door = models.CharField(_("door"), max_length=10)
    issuer = models.CharField(_("issuer"), max_length=300)
    subject = models.CharField(_("subject"), max_length=255)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="external_identities")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"], name="external_identity_unique")]


class CitizenLink(models.Model):
    """A citizen's account (role ``citizen``, no organisation) and the one person it is. Made at
    the citizen's first log-in through the citizen's door (the CPR number of the token matched
    exactly one person), or by the demo for its local citizen account."""

    class How(models.TextChoices):
        OIDC = "oidc", _("OpenID Connect (CPR number from the token)")
        LOCAL = "local", _("Local account (demo)")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="citizen_link")
    person = models.OneToOneField(Person, on_delete=models.PROTECT, related_name="citizen_link")
    how = models.CharField(max_length=10, choices=How.choices)
    linked_at = models.DateTimeField(auto_now_add=True)


class RelativeAccount(models.Model):
    """A relative's account (role ``relative``, no organisation) and the key their grants name:
    the pseudonym of their CPR number (never the number), or ``local:<user name>`` for the demo's
    local account."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="relative_account")
    relative_key = models.CharField(max_length=80, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)


class RelativeGrant(models.Model):
    """A citizen's consent that a relative sees parts of their page until a day (the last day
    included), until revoked. Made and revoked only by the citizen (``actions``)."""

    # The parts of the citizen's page a relative can be given, in page order.
    PARTS = {
        "course": _("Course and contact person"),
        "calls": _("Next call"),
        "plan": _("Goals and plan"),
        "messages": _("Messages with the nurse (read only)"),
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="relative_grants")
    relative_key = models.CharField(max_length=80, db_index=True)
    relative_name = models.CharField(_("relative's name"), max_length=200)
    parts = models.JSONField(default=list)
    until = models.DateField(_("until"))
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-granted_at", "-id"]

    def in_force(self, day) -> bool:
        return self.revoked_at is None and self.until >= day

    @property
    def part_labels(self) -> list[str]:
        return [str(label) for part, label in self.PARTS.items() if part in self.parts]
