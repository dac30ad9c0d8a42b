"""Published indicator results, target status, and the follow-up groups' task register.

Indicator results are computed from a snapshot by a job (``opspor monitor publish``), never per
request: one :class:`Publication` per (snapshot, indicator configuration, target configuration)
holds every :class:`IndicatorValue` and :class:`TargetValue`. Values are stored as computed (the
region's own staff see them all); :attr:`IndicatorValue.suppressed` records what
:func:`opspor.monitor.suppression.suppress` blanks for readers outside the region, and the
queries blank those cells for them.

The task register mirrors :class:`opspor.monitor.tasks.MonitoringTask` (the domain logic stays
there; ``register.as_task`` converts a row). Register changes go through ``actions``.

A region's own intake plan (:class:`IntakePlan`) is set by its secretariat in the app; each
change is a new row (the newest is in force), so the history stays.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from opspor.monitor import tasks as T


class Publication(models.Model):
    snapshot_id = models.CharField(_("snapshot"), max_length=40)
    config_key = models.CharField(max_length=120, help_text="indicators.yaml and targets.yaml version + sha256")
    indicators_version = models.CharField(max_length=20)
    targets_version = models.CharField(max_length=20)
    standard_population = models.CharField(max_length=40)
    threshold = models.PositiveSmallIntegerField(_("suppression threshold"))
    data_start = models.DateTimeField()
    data_end = models.DateTimeField()
    synthetic = models.BooleanField(default=False)
    seconds = models.FloatField(default=0)
    published_at = models.DateTimeField(_("published"), auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["snapshot_id", "config_key"], name="publication_once")]
        ordering = ["-published_at", "-id"]

    def __str__(self) -> str:
        return f"{self.snapshot_id} ({self.config_key})"


class IndicatorValue(models.Model):
    """One row of :class:`opspor.monitor.indicators.IndicatorRow` (aggregates, never a person)."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="values")
    indicator_id = models.CharField(max_length=80)
    indicator_version = models.CharField(max_length=10)
    title_da = models.CharField(max_length=300)
    title_en = models.CharField(max_length=300)
    label_da = models.CharField(max_length=300)
    label_en = models.CharField(max_length=300)
    kind = models.CharField(max_length=20)
    unit_da = models.CharField(max_length=200)
    unit_en = models.CharField(max_length=200)
    per = models.PositiveIntegerField()
    level = models.CharField(max_length=20)  # municipality | region
    unit_code = models.CharField(max_length=10)
    unit_name = models.CharField(max_length=200)
    region_code = models.CharField(max_length=4)
    period_kind = models.CharField(max_length=5)  # year | month
    period = models.CharField(max_length=7)
    period_start = models.DateField()
    numerator = models.FloatField(null=True)
    count = models.FloatField(null=True)
    denominator = models.FloatField(null=True)
    crude = models.FloatField(null=True)
    crude_low = models.FloatField(null=True)
    crude_high = models.FloatField(null=True)
    standardised = models.FloatField(null=True)
    standardised_low = models.FloatField(null=True)
    standardised_high = models.FloatField(null=True)
    period_complete = models.BooleanField()
    lookback_complete = models.BooleanField()
    lookback_missing_days = models.PositiveIntegerField(default=0, help_text="not reported: the look-back is short")
    suppressed = models.BooleanField(default=False, help_text="blanked for readers outside the region")
    suppression_reason = models.CharField(max_length=60, blank=True)

    class Meta:
        indexes = [models.Index(fields=["publication", "indicator_id", "indicator_version", "period_kind"],
                                name="monitoring_value_lookup")]
        ordering = ["indicator_id", "indicator_version", "level", "unit_code", "period"]


class TargetValue(models.Model):
    """One year of :class:`opspor.monitor.targets.TargetStatus` (the region's figure)."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="targets")
    target_id = models.CharField(max_length=80)
    title_da = models.CharField(max_length=300)
    title_en = models.CharField(max_length=300)
    indicator_id = models.CharField(max_length=80)
    indicator_version = models.CharField(max_length=10)
    region_code = models.CharField(max_length=4)
    year = models.PositiveSmallIntegerField()
    path_value = models.FloatField(null=True)
    after_target_year = models.BooleanField(default=False)
    actual = models.FloatField(null=True)
    actual_low = models.FloatField(null=True)
    actual_high = models.FloatField(null=True)
    compare = models.CharField(max_length=20)
    status = models.CharField(max_length=12)
    difference = models.FloatField(null=True)
    suppressed = models.BooleanField(default=False)
    period_complete = models.BooleanField(default=True)

    class Meta:
        ordering = ["target_id", "year"]


def _choices(enum) -> list[tuple[str, str]]:
    return [(m.value, m.da) for m in enum]


class FollowUpGroup(models.Model):
    """A follow-up group (*følgegruppe*) of the health agreement."""

    name = models.CharField(_("follow-up group"), max_length=200, unique=True)
    owner = models.CharField(_("owner"), max_length=200, blank=True)
    meetings = models.JSONField(_("meetings"), default=list, blank=True, help_text="ISO dates")

    class Meta:
        ordering = ["name"]
        verbose_name = _("follow-up group")

    def __str__(self) -> str:
        return self.name


class MonitoringTask(models.Model):
    """One task of the register; the fields of :class:`opspor.monitor.tasks.MonitoringTask`."""

    key = models.CharField(_("id"), max_length=80, unique=True)
    group = models.ForeignKey(FollowUpGroup, on_delete=models.PROTECT, related_name="tasks",
                              verbose_name=_("follow-up group"))
    title = models.CharField(_("task"), max_length=400)
    frequency = models.CharField(_("frequency"), max_length=20, choices=_choices(T.Frequency))
    data_source = models.CharField(_("data source"), max_length=20, choices=_choices(T.DataSource))
    monitoring = models.CharField(_("monitoring"), max_length=20, choices=_choices(T.Monitoring),
                                  default=T.Monitoring.MONITORED.value)
    status = models.CharField(_("status codes"), max_length=60, blank=True, help_text="e.g. MON/REV")
    weight = models.CharField(_("weight"), max_length=20, choices=_choices(T.Weight), blank=True)
    owner = models.CharField(_("owner"), max_length=200, blank=True)
    indicators = models.PositiveSmallIntegerField(_("indicators"), null=True, blank=True)
    anchor_month = models.PositiveSmallIntegerField(_("month of measurement"), null=True, blank=True)
    first_year = models.PositiveSmallIntegerField(_("first year"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    last_done = models.DateField(_("last done"), null=True, blank=True)
    start = models.DateField(_("in the register since"), null=True, blank=True)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)
    register_file = models.CharField(max_length=300, blank=True)
    register_version = models.CharField(max_length=20, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["group__name", "key"]
        verbose_name = _("monitoring task")

    def __str__(self) -> str:
        return f"{self.key}: {self.title}"


class EffectResult(models.Model):
    """The estimates of one analysis (``opspor monitor effect --out FILE.json``), put into the
    web app by ``opspor monitor publish --effect FILE.json``; keyed by the file's sha256."""

    source_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64, unique=True)
    published_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-published_at", "-id"]


class EffectEstimate(models.Model):
    """One :class:`opspor.monitor.effect.Estimate` (aggregates, no person)."""

    result = models.ForeignKey(EffectResult, on_delete=models.CASCADE, related_name="estimates")
    outcome = models.CharField(max_length=20)  # admissions | bed_days | who5
    months = models.PositiveSmallIntegerField()
    measure = models.CharField(max_length=20)  # rate_ratio | difference
    estimate = models.FloatField(null=True)
    low = models.FloatField(null=True)
    high = models.FloatField(null=True)
    p_value = models.FloatField(null=True)
    n_intervention = models.PositiveIntegerField()
    n_control = models.PositiveIntegerField()
    value_intervention = models.FloatField(null=True)
    value_control = models.FloatField(null=True)
    relative = models.FloatField(null=True)
    model = models.CharField(max_length=200)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["outcome", "months", "id"]


class IntakePlan(models.Model):
    """A region's own plan for Aktiv Patientstøtte's intake: from ``start`` to ``end``, a number
    of patients started in each year of the period (:class:`IntakePlanYear`, ``total`` their
    sum); the newest row of a region is in force over ``rollout.yaml``'s plan. Set through
    :func:`opspor.web.monitoring.actions.set_intake_plan`."""

    region_code = models.CharField(max_length=4, db_index=True)
    total = models.PositiveIntegerField(_("patients planned"))
    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    source = models.CharField(_("decided by"), max_length=200)
    set_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["region_code", "-set_at", "-pk"]
        constraints = [models.CheckConstraint(condition=models.Q(end__gte=models.F("start")),
                                              name="intake_plan_end_after_start")]


class IntakePlanYear(models.Model):
    """The patients a region's plan has started in one year of its period, spread over that
    year's days within the period (:meth:`opspor.monitor.rollout.IntakePlan.planned_by`)."""

    plan = models.ForeignKey(IntakePlan, on_delete=models.CASCADE, related_name="years")
    year = models.PositiveSmallIntegerField(_("year"))
    patients = models.PositiveIntegerField(_("patients planned"))

    class Meta:
        ordering = ["plan", "year"]
        constraints = [models.UniqueConstraint(fields=["plan", "year"], name="intake_plan_year_once")]
