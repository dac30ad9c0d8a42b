"""A published monitoring run of the risk model and the alerts it raised."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class MonitoringRun(models.Model):
    """One run of ``opspor risk monitor`` (its record as JSON: units, counts and figures, no
    person). The newest run of the newest month is shown; the PDF is made from the record."""

    run_id = models.CharField(_("run"), max_length=40, unique=True)
    month = models.CharField(_("month"), max_length=7, db_index=True)
    as_of = models.DateField(_("as-of date"))
    model_id = models.CharField(_("model"), max_length=40)
    snapshot_id = models.CharField(_("snapshot"), max_length=40)
    published_at = models.DateTimeField(_("published"))
    record = models.JSONField(_("record"))

    class Meta:
        ordering = ["-month", "-run_id"]
        verbose_name = _("risk model monitoring run")
        verbose_name_plural = _("risk model monitoring runs")


class MonitoringAlert(models.Model):
    """A limit passed in a run, addressed to the programme lead of ``region_code`` (empty: every
    region's: the whole population or a feature)."""

    run = models.ForeignKey(MonitoringRun, on_delete=models.CASCADE, related_name="alerts")
    region_code = models.CharField(_("region"), max_length=4, blank=True, db_index=True)
    kind = models.CharField(_("kind"), max_length=30)
    group = models.CharField(_("group"), max_length=30, blank=True)
    unit = models.CharField(_("unit"), max_length=60, blank=True)
    detail = models.JSONField(_("detail"))

    @property
    def limit_key(self) -> str:
        """The limit passed, the same in every run of a month: kind, group, unit and direction."""
        return ":".join([self.kind, self.group, self.unit, self.detail.get("direction") or ""])

    class Meta:
        ordering = ["run", "id"]
        verbose_name = _("risk model alert")
        verbose_name_plural = _("risk model alerts")


class AlertMail(models.Model):
    """A limit of a month e-mailed to a programme lead: at most once per month, limit and lead
    (the unique constraint; a later run of the same month does not mail the limit again)."""

    month = models.CharField(_("month"), max_length=7)
    limit = models.CharField(_("limit"), max_length=120)  # MonitoringAlert.limit_key
    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("user"))
    run = models.ForeignKey(MonitoringRun, on_delete=models.PROTECT, related_name="mails")
    sent_at = models.DateTimeField(_("sent"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["month", "limit", "user"], name="riskmonitor_mail_once")]
        verbose_name = _("risk model alert e-mail")
        verbose_name_plural = _("risk model alert e-mails")
