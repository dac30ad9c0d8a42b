"""The committee report's charts (matplotlib, Agg, PNG at 150 dpi): rates over time, a
municipality comparison, target paths with the actual figures, funnels, intake against plan and
the effect estimates with the published figures as reference lines."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import matplotlib.ticker

BLUE, GREY, RED, GREEN, ORANGE = "#1F4E79", "#B7B7B7", "#C00000", "#548235", "#C55A11"
DPI = 130


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def _style(ax, ylabel: str) -> None:
    ax.set_ylabel(ylabel)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#E5E5E5", linewidth=0.6)
    ax.set_axisbelow(True)


def _with_titles(path: Path, titles: dict[str, str]) -> None:
    """An SVG's points get their value as a ``<title>`` (the browser shows it on hover; screen
    readers read it): each point was drawn as its own artist with ``gid``."""
    from xml.sax.saxutils import escape

    text = path.read_text(encoding="utf-8")
    for gid, title in titles.items():
        text = text.replace(f'<g id="{gid}">', f'<g id="{gid}"><title>{escape(title)}</title>', 1)
    path.write_text(text, encoding="utf-8")


def rates_over_time(path: Path, series: dict[str, list[tuple[str, float | None]]], region_label: str,
                    region: list[tuple[str, float | None, float | None, float | None]], ylabel: str,
                    title: str, *, highlight: str | None = None, incomplete: frozenset[str] = frozenset(),
                    labels: dict[str, str] | None = None, tip=None) -> Path:
    """One grey line per municipality (suppressed years are gaps), the region bold with its 95 %
    interval as a band, the municipality named by ``highlight`` in orange. A period in
    ``incomplete`` (the data do not cover all of it: the current month, a first year) is drawn as a
    hollow point, not joined to the line, so that it cannot read as a fall. ``tip(name, period,
    value)``: an SVG's points carry that text as their ``<title>``."""
    labels = {"municipalities": "kommuner / municipalities", "incomplete": "ufuldstændig periode / incomplete period",
              **(labels or {})}
    fig, ax = plt.subplots(figsize=(8, 3.6))
    periods = [p for p, *_ in region]
    x = {p: i for i, p in enumerate(periods)}
    titles: dict[str, str] = {}

    def nan(v):
        return v if v is not None else float("nan")

    def draw(name: str, points: list[tuple[str, float | None]], colour: str, width: float, size: float,
             label: str) -> None:
        points = [(p, v) for p, v in points if p in x]
        ax.plot([x[p] for p, _ in points], [nan(v) if p not in incomplete else float("nan") for p, v in points],
                color=colour, linewidth=width, label=label)
        for p, v in points:
            if v is None:
                continue
            hollow = p in incomplete
            point, = ax.plot([x[p]], [v], linestyle="none", marker="o", markersize=size, color=colour,
                             markerfacecolor="white" if hollow else colour)
            if tip is not None:
                gid = f"pt{len(titles)}"
                point.set_gid(gid)
                titles[gid] = tip(name, p, v)

    for name, points in series.items():
        if name != highlight:
            draw(name, points, GREY, 0.8, 2.5, "_" + name)
    xs = list(range(len(periods)))
    lo = [nan(v) if p not in incomplete else float("nan") for p, _, v, _ in region]
    hi = [nan(v) if p not in incomplete else float("nan") for p, _, _, v in region]
    ax.fill_between(xs, lo, hi, color=BLUE, alpha=0.15, linewidth=0)
    if series and highlight is None:
        ax.plot([], [], color=GREY, linewidth=0.8, label=labels["municipalities"])
    if highlight in series:
        draw(highlight, series[highlight], ORANGE, 2.0, 4, highlight)
    draw(region_label, [(p, v) for p, v, _, _ in region], BLUE, 2.2, 6, region_label)
    if any(p in incomplete for p in periods):
        ax.plot([], [], linestyle="none", marker="o", color=BLUE, markerfacecolor="white", label=labels["incomplete"])
    step = max(1, len(periods) // 12)
    ax.set_xticks(xs[::step], periods[::step], rotation=0 if len(periods) <= 12 else 45)
    ax.set_title(title, fontsize=10, loc="left")
    _style(ax, ylabel)
    ax.legend(fontsize=7, frameon=False, loc="best")
    ax.set_ylim(bottom=0)
    _save(fig, path)
    if titles and path.suffix == ".svg":
        _with_titles(path, titles)
    return path


def municipality_bars(path: Path, rows: list[tuple[str, float | None, float | None, float | None]],
                      region_value: float | None, ylabel: str, title: str, suppressed_label: str) -> Path:
    """The year's figure per municipality, sorted, with 95 % intervals; suppressed cells named."""
    shown = sorted([r for r in rows if r[1] is not None], key=lambda r: r[1])
    hidden = [r[0] for r in rows if r[1] is None]
    fig, ax = plt.subplots(figsize=(8, max(2.5, 0.22 * len(shown) + 1.2)))
    ys = range(len(shown))
    ax.barh(list(ys), [r[1] for r in shown], color=BLUE, alpha=0.75, height=0.6)
    err_lo = [max(0.0, r[1] - r[2]) if r[2] is not None else 0 for r in shown]
    err_hi = [max(0.0, r[3] - r[1]) if r[3] is not None else 0 for r in shown]
    ax.errorbar([r[1] for r in shown], list(ys), xerr=[err_lo, err_hi], fmt="none", ecolor="#333333",
                elinewidth=0.7, capsize=1.5)
    ax.set_yticks(list(ys), [r[0] for r in shown], fontsize=7)
    if region_value is not None:
        ax.axvline(region_value, color=RED, linewidth=1.2, linestyle="--")
    ax.set_xlabel(ylabel)
    ax.spines[["top", "right"]].set_visible(False)
    t = title + (f"\n{suppressed_label}: {', '.join(hidden)}" if hidden else "")
    ax.set_title(t, fontsize=9, loc="left")
    return _save(fig, path)


def target_path(path: Path, path_points: list[tuple[int, float]], actual: list[tuple[int, float, float | None, float | None]],
                ylabel: str, title: str, labels: dict[str, str],
                rule_points: list[tuple[int, float]] | None = None,
                old_points: list[tuple[int, float]] | None = None) -> Path:
    fig, ax = plt.subplots(figsize=(8, 3.4))
    px, py = zip(*path_points, strict=True)
    ax.plot(px, py, color=GREEN, linewidth=2, marker="s", markersize=3.5, label=labels["path"])
    if rule_points:
        rx, ry = zip(*rule_points, strict=True)
        ax.plot(rx, ry, color=GREEN, linewidth=1, linestyle=":", label=labels["rule"])
    if old_points:
        ox, oy = zip(*old_points, strict=True)
        ax.plot(ox, oy, color=GREY, linewidth=1, linestyle="--", label=labels["old"])
    if actual:
        ax_x = [a[0] for a in actual]
        ax_y = [a[1] for a in actual]
        lo = [max(0.0, a[1] - a[2]) if a[2] is not None else 0 for a in actual]
        hi = [max(0.0, a[3] - a[1]) if a[3] is not None else 0 for a in actual]
        ax.errorbar(ax_x, ax_y, yerr=[lo, hi], fmt="o", color=BLUE, ecolor=BLUE, capsize=3, label=labels["actual"])
    years = sorted({*px, *(a[0] for a in actual)})
    ax.set_xticks(years, [str(y) for y in years])
    ax.set_title(title, fontsize=10, loc="left")
    _style(ax, ylabel)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=7, frameon=False)
    return _save(fig, path)


def funnel(path: Path, stages: list[tuple[str, int]], title: str) -> Path:
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(stages) + 1.0))
    names = [s for s, _ in stages][::-1]
    values = [v for _, v in stages][::-1]
    ax.barh(names, values, color=BLUE, alpha=0.8)
    top = max(values) if values else 1
    for i, v in enumerate(values):
        share = f" ({v / stages[0][1]:.0%})" if stages[0][1] else ""
        ax.text(v + top * 0.01, i, f"{v:,}{share}".replace(",", "."), va="center", fontsize=8)
    ax.set_xlim(0, top * 1.2 if top else 1)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(title, fontsize=10, loc="left")
    return _save(fig, path)


def intake(path: Path, months: list[str], planned: list[float], started: list[int], title: str,
           labels: dict[str, str]) -> Path:
    fig, ax = plt.subplots(figsize=(8, 3.2))
    xs = range(len(months))
    ax.plot(xs, planned, color=GREEN, linewidth=2, label=labels["planned"])
    ax.plot(xs, started, color=BLUE, linewidth=2, marker="o", markersize=2.5, label=labels["started"])
    step = max(1, len(months) // 12)
    ax.set_xticks(list(xs)[::step], months[::step], rotation=45, fontsize=7)
    ax.set_title(title, fontsize=10, loc="left")
    _style(ax, labels["ylabel"])
    ax.legend(fontsize=7, frameon=False)
    return _save(fig, path)


def effects(path: Path, rows: list[tuple[str, float, float, float]], refs: list[tuple[str, float, str]],
            title: str, xlabel: str) -> Path:
    """Forest plot of rate ratios (label, estimate, low, high); ``refs``: (label, value, colour)
    drawn as vertical reference lines — published figures, not results."""
    fig, ax = plt.subplots(figsize=(8, 0.42 * len(rows) + 2.2))
    ys = list(range(len(rows)))[::-1]
    for y, (_label, est, lo, hi) in zip(ys, rows, strict=True):
        ax.plot([lo, hi], [y, y], color=BLUE, linewidth=1.6)
        ax.plot(est, y, "o", color=BLUE)
    ax.axvline(1.0, color="#444444", linewidth=0.8)
    for label, value, colour in refs:
        ax.axvline(value, color=colour, linewidth=1.1, linestyle="--", label=label)
    ax.set_yticks(ys, [r[0] for r in rows], fontsize=8)
    ax.set_xscale("log")
    ticks = [0.5, 0.67, 0.77, 1.0, 1.25, 1.5]
    lo_all = min([r[2] for r in rows] + [v for _, v, _ in refs] + [0.9])
    hi_all = max([r[3] for r in rows] + [1.1])
    ax.set_xlim(max(0.3, lo_all * 0.9), min(3.0, hi_all * 1.1))
    ax.set_xticks([t for t in ticks if lo_all * 0.9 <= t <= hi_all * 1.1], minor=False)
    ax.get_xaxis().set_major_formatter(matplotlib.ticker.FormatStrFormatter("%.2f"))
    ax.get_xaxis().set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel(xlabel)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(title, fontsize=10, loc="left")
    ax.legend(fontsize=7, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.28), ncol=2)
    return _save(fig, path)
