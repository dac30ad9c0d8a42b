"""What the dashboard pages read from the published results, per user.

Who sees which units (aggregates only; the people scope of ``people/scope.py`` is about persons):

* monitoring secretariat and programme lead (staff of the region): their region and its
  municipalities, every figure as computed;
* municipality user: their municipality and their region; GP practice: their region — with
  small numbers suppressed (:func:`opspor.monitor.suppression.suppress`, flagged at publish),
  because they are outside the region.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from opspor.i18n import localized
from opspor.web.accounts.roles import OrgKind, Role
from opspor.web.monitoring.models import IndicatorValue, Publication, TargetValue

DASHBOARD_ROLES = (Role.SECRETARIAT, Role.PROGRAMME_LEAD, Role.MUNICIPALITY)
REGION_ROLES = (Role.SECRETARIAT, Role.PROGRAMME_LEAD)
BLANKED = ("numerator", "count", "denominator", "crude", "crude_low", "crude_high", "standardised",
           "standardised_low", "standardised_high")


@dataclass(frozen=True)
class Viewer:
    region: str
    municipality: str | None  # a municipality user's own unit
    outside_region: bool  # suppression applies

    @property
    def units(self) -> set[str]:
        return {self.region} | ({self.municipality} if self.municipality else set())


def viewer(user) -> Viewer:
    org = user.organisation
    if user.role in REGION_ROLES:
        return Viewer(org.region_code, None, False)
    return Viewer(org.region_code, org.code if org.kind == OrgKind.MUNICIPALITY else None, True)


def latest() -> Publication | None:
    return Publication.objects.first()


@dataclass
class Series:
    """One indicator version as one viewer may see it."""

    indicator_id: str
    version: str
    title: str
    label: str
    unit: str
    kind: str
    rows: list[dict] = field(default_factory=list)  # year or month rows, region first then municipalities

    def region_rows(self, region: str) -> list[dict]:
        return [r for r in self.rows if r["level"] == "region" and r["unit_code"] == region]

    def municipality_rows(self) -> list[dict]:
        return [r for r in self.rows if r["level"] == "municipality"]


def _visible(qs, v: Viewer):
    qs = qs.filter(region_code=v.region)
    if v.outside_region:
        qs = qs.filter(unit_code__in=v.units)
    return qs


def _row(value: IndicatorValue, v: Viewer) -> dict:
    row = {f.name: getattr(value, f.name) for f in IndicatorValue._meta.concrete_fields}
    row["hidden"] = v.outside_region and value.suppressed
    # not reported (opspor.monitor.indicators): the years of data the condition's look-back lacks
    years = round(value.lookback_missing_days / 365.25, 1)
    row["missing_years"] = int(years) if years.is_integer() else years
    if row["hidden"]:
        row.update({k: None for k in BLANKED})
    return row


def indicator_index(pub: Publication, v: Viewer, lang: str) -> list[dict]:
    """One entry per indicator version with the newest complete year's region figure."""
    out = []
    keys = (pub.values.filter(period_kind="year").values_list("indicator_id", "indicator_version")
            .distinct().order_by("indicator_id", "-indicator_version"))
    for indicator_id, version in keys:
        s = series(pub, v, indicator_id, version, "year", lang)
        if s is None:
            continue
        reg = s.region_rows(v.region)
        complete = [r for r in reg if r["period_complete"] and r["lookback_complete"]]
        out.append({"series": s, "latest": (complete or reg)[-1] if reg else None})
    return out


def series(pub: Publication, v: Viewer, indicator_id: str, version: str, period_kind: str,
           lang: str) -> Series | None:
    values = list(_visible(pub.values.filter(indicator_id=indicator_id, indicator_version=version,
                                             period_kind=period_kind), v).order_by("level", "unit_name", "period"))
    if not values:
        return None
    first = values[0]
    rows = [_row(x, v) for x in values]
    rows.sort(key=lambda r: (r["level"] != "region", r["unit_name"], r["period"]))
    return Series(indicator_id, version, localized(first, "title", lang), localized(first, "label", lang),
                  localized(first, "unit", lang), first.kind, rows)


def targets(pub: Publication, v: Viewer, indicator_id: str | None = None) -> list[TargetValue]:
    """Target status rows of the viewer's region (region staff only: targets are the region's)."""
    if v.outside_region:
        return []
    qs = pub.targets.filter(region_code=v.region)
    if indicator_id is not None:
        qs = qs.filter(indicator_id=indicator_id)
    return list(qs)


def target_summary(pub: Publication, v: Viewer, lang: str) -> list[dict]:
    """Per target: the newest year with an actual figure (else the newest path year), and the unit
    of its indicator version, in which both the path and the actual figure are stated."""
    units = {(u["indicator_id"], u["indicator_version"]): localized(u, "unit", lang)
             for u in pub.values.filter(level="region").values(
                 "indicator_id", "indicator_version", "unit_da", "unit_en").distinct()}
    out: dict[str, dict] = {}
    for t in targets(pub, v):
        entry = out.setdefault(t.target_id, {"target": t, "current": None, "years": [],
                                             "unit": units.get((t.indicator_id, t.indicator_version), "")})
        entry["years"].append(t)
    for entry in out.values():
        with_actual = [t for t in entry["years"] if t.actual is not None]
        complete = [t for t in with_actual if t.period_complete]
        entry["current"] = (complete or with_actual or entry["years"])[-1]
    return list(out.values())
