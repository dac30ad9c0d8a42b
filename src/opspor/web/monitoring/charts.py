"""The dashboard's charts as SVG, drawn by the committee report's own functions
(:mod:`opspor.monitor.report_charts`, matplotlib) so that the page and the report show the same
picture. Server-rendered SVG needs no JavaScript, scales, and its numbers are also in the table
beside it (the accessible form; CSV/XLSX download)."""

from __future__ import annotations

import tempfile
from pathlib import Path


def _charts():
    """matplotlib is imported on the first chart, not when the URLs are loaded."""
    from opspor.monitor import report_charts

    return report_charts


def _svg(name: str, *args, **kwargs) -> str:
    draw = getattr(_charts(), name)
    with tempfile.TemporaryDirectory(prefix="opspor-chart-") as folder:
        path = Path(folder) / "chart.svg"
        draw(path, *args, **kwargs)
        text = path.read_text(encoding="utf-8")
    start = text.find("<svg")
    return text[start:] if start >= 0 else text


def rates(region_rows: list[dict], municipality_rows: list[dict], measure: str, region_label: str,
          ylabel: str, title: str, highlight: str | None = None, lang: str = "da") -> str:
    """``measure``: ``crude`` or ``standardised``; the region bold with its 95 % band, the
    municipalities grey (a suppressed cell is a gap), the municipality named ``highlight`` in
    orange; an incomplete period a hollow point; every point's value as its SVG ``<title>``."""
    from django.utils.translation import gettext as _

    from opspor.i18n import decimal
    from opspor.web.core.templatetags.numbers import month

    series: dict[str, list] = {}
    for r in municipality_rows:
        series.setdefault(r["unit_name"], []).append((r["period"], r[measure]))
    region = [(r["period"], r[measure], r[f"{measure}_low"], r[f"{measure}_high"]) for r in region_rows]
    incomplete = frozenset(r["period"] for r in [*region_rows, *municipality_rows] if not r["period_complete"])

    def tip(name: str, period: str, value: float) -> str:
        when = month(period) if len(period) == 7 else period
        note = f" ({_('incomplete')})" if period in incomplete else ""
        return f"{name}, {when}{note}: {decimal(value, 1, lang)} {ylabel}"

    return _svg("rates_over_time", series, region_label, region, ylabel, title, highlight=highlight,
                incomplete=incomplete, tip=tip,
                labels={"municipalities": _("Municipalities"), "incomplete": _("Incomplete period (open point)")})


def target(path_points: list[tuple[int, float]], actual: list[tuple[int, float, float | None, float | None]],
           title: str, labels: dict[str, str], rule_points=None, old_points=None) -> str:
    return _svg("target_path", path_points, actual, "", title, labels, rule_points, old_points)


def funnel(stages: list[tuple[str, int]], title: str) -> str:
    return _svg("funnel", stages, title)


def intake(months: list[str], planned: list[float], started: list[int], title: str, labels: dict[str, str]) -> str:
    return _svg("intake", months, planned, started, title, labels)


def effects(rows: list[tuple[str, float, float, float]], refs: list[tuple[str, float, str]], title: str,
            xlabel: str) -> str:
    """Forest plot; ``refs`` (label, value, ``orange`` | ``red`` | ``green``) are published figures
    drawn as dashed reference lines."""
    c = _charts()
    colours = {"orange": c.ORANGE, "red": c.RED, "green": c.GREEN}
    return _svg("effects", rows, [(label, value, colours[colour]) for label, value, colour in refs], title, xlabel)
