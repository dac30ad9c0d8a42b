"""Published data-alert results: one row per unit and month, aggregates only (no person)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitKind(models.TextChoices):
    MUNICIPALITY = "municipality", _("Municipality")
    GP_PRACTICE = "gp_practice", _("GP practice")


class AlertResult(models.Model):
    """A unit's patients with repeated acute contacts in a month against the expected number.

    One row per (region, unit, month): publishing a later computation of the same month (a new
    snapshot or configuration version) replaces the figures; ``first_alert_at`` keeps when the
    unit was first flagged for the month and ``message_queued_at`` when its message was queued,
    so the message goes out once (and still goes out if the first publication had no messages).
    """

    region_code = models.CharField(_("region"), max_length=4)
    unit_kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices)
    unit_code = models.CharField(_("code"), max_length=20)
    unit_name = models.CharField(_("name"), max_length=120, blank=True)
    month = models.CharField(_("month"), max_length=7)  # YYYY-MM
    population = models.PositiveIntegerField(_("population"))
    observed = models.PositiveIntegerField(_("observed"))
    expected = models.FloatField(_("expected"))
    ratio = models.FloatField(_("ratio"), null=True)
    ci_low = models.FloatField(null=True)
    ci_high = models.FloatField(null=True)
    p_value = models.FloatField(null=True)
    p_adjusted = models.FloatField(null=True)
    tested = models.BooleanField(default=False)
    alert = models.BooleanField(default=False)
    note = models.CharField(max_length=200, blank=True)
    lookback_complete = models.BooleanField(default=True)
    config_version = models.CharField(max_length=40)
    indicator_id = models.CharField(max_length=80)
    indicator_version = models.CharField(max_length=40)
    snapshot_id = models.CharField(max_length=40, blank=True)
    published_at = models.DateTimeField()
    first_alert_at = models.DateTimeField(null=True)
    message_queued_at = models.DateTimeField(null=True)  # the unit's message for the month

    class Meta:
        constraints = [models.UniqueConstraint(fields=["region_code", "unit_kind", "unit_code", "month"],
                                               name="alert_result_unit_month")]
        indexes = [models.Index(fields=["unit_kind", "unit_code", "month"]),
                   models.Index(fields=["region_code", "month"])]
        ordering = ["region_code", "unit_kind", "unit_code", "month"]

    def __str__(self) -> str:
        return f"{self.unit_kind} {self.unit_code} {self.month}"

    @property
    def alert_key(self) -> str:
        """One message per unit and month, whatever later recomputations publish."""
        return f"data-alert:{self.region_code}:{self.unit_kind}:{self.unit_code}:{self.month}"
