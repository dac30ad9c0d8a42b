"""The directory of municipal and regional offers (acute teams, acute beds, IV treatment, ...)
and the bookings of their places.

An offer belongs to a municipality or a region (``owner_kind``, ``owner_code``) and is kept by
that organisation's cross-sector coordinator. Its rows come from a versioned directory file
(``config/``, docs/acute.md) loaded by ``actions.load_file`` (web or ``opspor web
directory-load``) and from the coordinator's edits; every change is audited. A place is
occupied by a booking until the booking is released, so the free places today are the capacity
less the bookings in force. Rows change only through ``directory.actions``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from opspor.web.people.models import Person


class OfferKind(models.TextChoices):
    """What an offer is (003_d9716a705eda36f5.txt 5551-5742, box 5)."""

    ACUTE_TEAM = "acute_team", _("Acute team")
    ACUTE_BED = "acute_bed", _("Acute bed")
    IV_TREATMENT = "iv_treatment", _("IV treatment")
    SUBACUTE_SLOT = "subacute_slot", _("Sub-acute slot")
    TEMPORARY_BED = "temporary_bed", _("Temporary bed")
    REHABILITATION_BED = "rehabilitation_bed", _("Rehabilitation bed")
    OTHER = "other", _("Other offer")


class Referrer(models.TextChoices):
    """Who may refer to an offer (001_5497481f8cd3c36e.txt 4395-4415)."""

    GP = "gp", _("GP")
    ON_CALL = "on_call", _("On-call doctor")
    HOSPITAL = "hospital", _("Hospital doctor")
    MUNICIPAL_NURSE = "municipal_nurse", _("Municipal nursing staff")


class OwnerKind(models.TextChoices):
    MUNICIPALITY = "municipality", _("Municipality")
    REGION = "region", _("Region")


class Offer(models.Model):
    key = models.SlugField(_("key"), max_length=80, unique=True)
    owner_kind = models.CharField(_("owner kind"), max_length=20, choices=OwnerKind.choices)
    owner_code = models.CharField(_("owner"), max_length=4)
    owner_name = models.CharField(_("municipality or region"), max_length=200)
    region_code = models.CharField(_("region"), max_length=4, db_index=True)
    kind = models.CharField(_("kind"), max_length=20, choices=OfferKind.choices)
    name = models.CharField(_("name"), max_length=200)
    referrers = models.JSONField(_("who may refer"), default=list)
    opening_hours = models.CharField(_("opening hours"), max_length=300)
    how_to_book = models.CharField(_("how to book"), max_length=500)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    capacity = models.PositiveIntegerField(_("capacity (places)"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    active = models.BooleanField(_("in the directory"), default=True)
    # the directory file and version the offer was last loaded from ("" when made by hand)
    source_file = models.CharField(max_length=200, blank=True)
    source_version = models.CharField(_("file version"), max_length=40, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.CharField(_("updated by"), max_length=150, blank=True)

    class Meta:
        ordering = ["region_code", "owner_name", "kind", "name"]
        verbose_name = _("offer")
        verbose_name_plural = _("offers")

    def __str__(self) -> str:
        return self.name

    def referrer_labels(self) -> list[str]:
        return [str(Referrer(r).label) for r in self.referrers if r in Referrer.values]


class BookingQuerySet(models.QuerySet):
    def in_force(self):
        return self.filter(released_at__isnull=True)


class Booking(models.Model):
    """A place of ``offer`` taken from ``starts_on`` until released. ``source`` names what it was
    booked for (``acute.referral:12``) or is empty for a place held by hand."""

    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("offer"))
    person = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True, related_name="bookings")
    source = models.CharField(max_length=80, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    starts_on = models.DateField(_("from"))
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    booked_at = models.DateTimeField(_("booked"), auto_now_add=True)
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")

    objects = BookingQuerySet.as_manager()

    class Meta:
        ordering = ["-booked_at", "-id"]
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")

    def __str__(self) -> str:  # never the person's CPR number
        return f"booking {self.pk} of {self.offer.key}"
