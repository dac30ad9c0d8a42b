"""Small-number suppression for every output meant for outside the region.

*Primary*: a cell is suppressed when its count (events, persons, readmissions) is between 1 and
``threshold - 1``, or when its denominator (persons, discharges) is between 1 and
``threshold - 1``. A count of 0 over a large enough denominator is shown.

*Secondary*: a region's figure is always published beside its municipalities', so a single
suppressed municipality could be recovered by subtraction. When exactly one municipality of a
region is suppressed in an (indicator, version, period), the municipality with the next-smallest
count is suppressed too (reason ``secondary``).

Suppression blanks every number of the cell (numerator, count, denominator, rates and
intervals) and sets ``suppressed`` with its reason; the row itself stays, so a reader sees that
a figure exists but is not shown.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

DEFAULT_THRESHOLD = 5

FIGURES = (  # the numbers of a row: blanked together (also when a figure is not reported)
    "numerator", "count", "denominator", "crude", "crude_low", "crude_high",
    "standardised", "standardised_low", "standardised_high", "extra")


def primary_reason(count: float | None, denominator: float | None, threshold: int) -> str:
    if count is not None and 0 < count < threshold:
        return f"count below {threshold}"
    if denominator is not None and 0 < denominator < threshold:
        return f"denominator below {threshold}"
    return ""


def suppress(rows: list, threshold: int = DEFAULT_THRESHOLD) -> list:
    """Rows (``IndicatorRow``) with small numbers blanked; municipality and region rows of the
    same computation must be passed together for the secondary step."""
    out = []
    for r in rows:
        reason = primary_reason(r.count, r.denominator, threshold)
        out.append(_blank(r, reason) if reason else r)
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, r in enumerate(out):
        if r.level == "municipality":
            groups[(r.indicator_id, r.indicator_version, r.period, r.region_code)].append(i)
    for members in groups.values():
        hidden = [i for i in members if out[i].suppressed]
        if len(hidden) != 1:
            continue
        shown = [i for i in members if not out[i].suppressed]
        if not shown:
            continue
        nxt = min(shown, key=lambda i: (rows[i].count or 0, rows[i].unit_code))
        out[nxt] = _blank(out[nxt], "secondary")
    return out


def _blank(row, reason: str):
    return replace(row, suppressed=True, suppression_reason=reason, **{k: None for k in FIGURES})
