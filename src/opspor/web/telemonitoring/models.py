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
    """A device hub's or system's key to the REST endpoint. Only the SHA-256 of the token is
    kept; the token itself is shown once, when made (``opspor telemonitoring token``)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
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

    class Meta:
        constraints = [models.UniqueConstraint(fields=["identifier_value", "identifier_system", "version"],
                                               name="tm_measurement_identifier_version")]
        indexes = [models.Index(fields=["person", "kind", "effective"], name="tm_person_kind_effective")]
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")

    def __str__(self) -> str:
        return f"{self.kind} {self.value:g} ({self.identifier_value} v{self.version})"
