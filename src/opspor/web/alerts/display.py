"""How a published result is shown: small numbers suppressed outside the region, chart bars.

Outside the region (a municipality's or GP practice's page) an observed count or a population
between 1 and the threshold - 1 is shown as "<5" (:func:`opspor.monitor.suppression.primary_reason`,
threshold from the indicators' configuration), and the ratio, its interval and the p-values are
blanked with it, since any of them would give the count back.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from opspor import i18n
from opspor.monitor.suppression import primary_reason
from opspor.web.core import language

CHART_HEIGHT = 80  # px of the bar area
CHART_MAX_RATIO = 4.0  # bars are cut at this ratio


@cache
def threshold() -> int:
    from opspor.monitor.definitions import load_indicators

    return load_indicators().suppression_threshold


@dataclass(frozen=True)
class Shown:
    r: object  # the AlertResult
    suppressed: bool
    observed: int | str  # a number, or "<5" / "–" when suppressed (the page formats numbers: |num)
    population: int | str
    ratio: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    p_adjusted: float | None
    bar: int  # px height of the chart bar


def shown(r, *, outside_region: bool) -> Shown:
    t = threshold()
    hidden = outside_region and bool(primary_reason(r.observed, r.population, t))
    ratio = None if hidden else r.ratio
    bar = 0 if ratio is None else round(min(ratio, CHART_MAX_RATIO) / CHART_MAX_RATIO * CHART_HEIGHT)
    return Shown(
        r=r, suppressed=hidden,
        observed=f"<{t}" if hidden and 0 < r.observed < t else ("–" if hidden else r.observed),
        population=f"<{t}" if hidden and 0 < r.population < t else r.population,
        ratio=ratio, ci_low=None if hidden else r.ci_low, ci_high=None if hidden else r.ci_high,
        p_value=None if hidden else r.p_value, p_adjusted=None if hidden else r.p_adjusted,
        bar=bar,
    )


BAR_STEP = 36  # px per month


@dataclass(frozen=True)
class Chart:
    width: int
    height: int  # of the bar area; labels go below
    one_y: int  # y of the ratio 1.0 line
    bars: list[dict]


def chart(rows: list[Shown]) -> Chart:
    """Bars of the ratio per month (oldest left), as SVG coordinates."""
    bars = []
    for i, s in enumerate(rows):
        bars.append({"x": i * BAR_STEP + 6, "y": CHART_HEIGHT - s.bar, "h": s.bar, "cx": i * BAR_STEP + 18,
                     "month": s.r.month, "alert": s.r.alert,
                     "label": i18n.decimal(s.ratio, 2, language.current()) if s.ratio is not None
                     else i18n.decimal(s.observed, 0, language.current()) if isinstance(s.observed, int)
                     else s.observed})
    return Chart(len(rows) * BAR_STEP, CHART_HEIGHT, CHART_HEIGHT - round(CHART_HEIGHT / CHART_MAX_RATIO), bars)
