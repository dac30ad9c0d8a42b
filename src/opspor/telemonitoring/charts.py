"""A patient's measurement curve with the thresholds in force, as SVG (matplotlib, drawn on the
server like the monitoring pages' charts: no JavaScript; the same numbers are in the table
beside it). Only the current version of each measurement is drawn (the caller passes them)."""

from __future__ import annotations

import datetime as dt
import io

COLOURS = {"red": "#C00000", "yellow": "#C55A11", "green": "#548235", "": "#1F4E79"}
LINE = "#1F4E79"


def curve(points: list[tuple[dt.datetime, float, float | None, str]], thresholds: list[tuple[str, float, str]],
          title: str, ylabel: str) -> str:
    """``points``: (time, value, second value or None, colour of the triage); ``thresholds``:
    (label, value, colour) drawn as dashed lines. Returns the ``<svg>`` element."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    points = sorted(points)
    fig, ax = plt.subplots(figsize=(8, 2.6))
    xs = [p[0] for p in points]
    ax.plot(xs, [p[1] for p in points], color=LINE, linewidth=1.2)
    ax.scatter(xs, [p[1] for p in points], c=[COLOURS.get(p[3], LINE) for p in points], s=14, zorder=3)
    if any(p[2] is not None for p in points):
        second = [(p[0], p[2]) for p in points if p[2] is not None]
        ax.plot([t for t, _ in second], [v for _, v in second], color=LINE, linewidth=1.0, linestyle=":")
    for label, value, colour in thresholds:
        ax.axhline(value, color=COLOURS.get(colour, LINE), linewidth=0.9, linestyle="--", label=label)
    ax.set_title(title, fontsize=10, loc="left")
    ax.set_ylabel(ylabel)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#E5E5E5", linewidth=0.6)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d-%m"))
    if thresholds:
        ax.legend(fontsize=7, frameon=False, loc="best")
    fig.tight_layout()
    out = io.StringIO()
    fig.savefig(out, format="svg")
    plt.close(fig)
    text = out.getvalue()
    start = text.find("<svg")
    return text[start:] if start >= 0 else text
