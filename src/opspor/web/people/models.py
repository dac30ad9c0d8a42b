"""Persons known to the web app: only those who have been on a list or are eligible for a
programme, copied from the snapshot when a list run is published (``opspor web publish``)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from opspor import contact_details


class Residence(models.TextChoices):
    """The contract's residence types (data-contract.md, persons.csv)."""

    OWN_HOME = "own_home", _("Own home")
    NURSING_HOME = "nursing_home", _("Nursing home")
    ASSISTED_LIVING = "assisted_living", _("Assisted-living facility")


# The contract's sex codes (contract.SEX) as a reader reads them
SEX_LABELS = {"F": _("woman"), "M": _("man")}


class Person(models.Model):
    # The id in every URL that names a person: random (UUID4), so ids cannot be enumerated; the
    # sequential primary key and the CPR number never appear in a URL.
    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    person_key = models.CharField(_("person (pseudonym)"), max_length=64, unique=True)
    cpr = models.CharField(_("CPR number"), max_length=10)
    name = models.CharField(_("name"), max_length=200, blank=True)
    birth_date = models.DateField(_("birth date"), null=True)
    sex = models.CharField(_("sex"), max_length=1, blank=True)
    municipality_code = models.CharField(_("municipality"), max_length=3, blank=True, db_index=True)
    region_code = models.CharField(_("region"), max_length=4, blank=True, db_index=True)
    gp_provider_number = models.CharField(_("GP provider number"), max_length=20, blank=True, db_index=True)
    residence_type = models.CharField(_("residence"), max_length=20, blank=True, choices=Residence.choices)
    death_date = models.DateField(_("date of death"), null=True, blank=True)
    # from the data drop (the contract's optional columns; opspor.contact_details's forms)
    phone = models.CharField(_("phone"), max_length=16, blank=True)
    email = models.CharField(_("e-mail"), max_length=254, blank=True)
    snapshot_id = models.CharField(_("snapshot"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")

    def __str__(self) -> str:  # never the CPR number: str() ends up in logs and messages
        return f"person {self.short_key}"

    def get_absolute_url(self) -> str:
        return reverse("people:detail", args=[self.public_id])

    @property
    def short_key(self) -> str:
        return self.person_key[:8]

    @property
    def sex_label(self) -> str:
        """*kvinde* / *mand* (English: woman / man); empty when the drop gave no sex."""
        label = SEX_LABELS.get(self.sex)
        return "" if label is None else str(label)

    @property
    def cpr_display(self) -> str:
        return f"{self.cpr[:6]}-{self.cpr[6:]}" if len(self.cpr) == 10 else self.cpr

    def age_on(self, day: dt.date) -> int | None:
        if self.birth_date is None:
            return None
        b = self.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))

    @property
    def age(self) -> int | None:
        return self.age_on(timezone.localdate())

    def own_contact(self) -> ContactChoice | None:
        """The citizen's own contact details and channel, if they have given any."""
        try:
            return self.contact_choice
        except ContactChoice.DoesNotExist:
            return None

    @property
    def contact_phone(self) -> str:
        """The number to call: the citizen's own, else the data drop's (``+45XXXXXXXX``, or empty)."""
        own = self.own_contact()
        return (own.phone if own else "") or self.phone

    @property
    def contact_email(self) -> str:
        """The e-mail address: the citizen's own, else the data drop's (or empty)."""
        own = self.own_contact()
        return (own.email if own else "") or self.email

    @property
    def contact_phone_display(self) -> str:
        return contact_details.phone_display(self.contact_phone) if self.contact_phone else ""


class ContactChoice(models.Model):
    """The citizen's own phone number and e-mail address, and the way they want questionnaire
    invitations (e-mail or SMS; seed 002 line 8516, "efter patienternes valg"). Kept apart from
    :class:`Person`, whose values a new publication rewrites from the data drop; an own value
    comes before the drop's. Changed only through ``citizen.actions.update_contact``."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="contact_choice")
    phone = models.CharField(_("phone"), max_length=16, blank=True)
    email = models.CharField(_("e-mail"), max_length=254, blank=True)
    channel = models.CharField(_("invitations by"), max_length=10, choices=Channel.choices, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:  # never the number or the address
        return f"contact choice of {self.person}"
