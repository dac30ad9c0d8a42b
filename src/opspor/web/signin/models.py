"""Who logged in through which OpenID provider, and which person a citizen's account is."""

from __future__ import annotations

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
