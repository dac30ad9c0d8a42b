"""The charts of the risk model's monitoring (matplotlib, Agg), drawn once for the PDF report
(PNG) and the web page (SVG): observed/expected per unit with its interval and the limits,
AUROC over time, and the population stability index per feature. The figures of each chart are
also in the table beside it."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from opspor.monitor.report_charts import BLUE, GREY, ORANGE, RED

DPI = 130


def _out(fig, fmt: str) -> bytes:
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=DPI)
    plt.close(fig)
    return buf.getvalue()


def _style(ax) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_axisbelow(True)


def observed_expected(rows: list[tuple[str, float, float, float, bool]], limits: tuple[float, float], title: str,
                      xlabel: str, fmt: str = "svg") -> bytes:
    """One line per unit: O/E with its interval, flagged units red; 1 and the limits dashed."""
    rows = [r for r in rows if r[1] is not None]
    fig, ax = plt.subplots(figsize=(7, max(1.6, 0.24 * len(rows) + 0.9)))
    for i, (_label, ratio, low, high, flagged) in enumerate(reversed(rows)):
        colour = RED if flagged else BLUE
        ax.plot([low, high], [i, i], color=colour, linewidth=1.4)
        ax.plot([ratio], [i], "o", color=colour, markersize=4)
    ax.set_yticks(range(len(rows)), [r[0] for r in reversed(rows)], fontsize=7)
    ax.axvline(1.0, color=GREY, linewidth=1)
    for limit in limits:
        ax.axvline(limit, color=ORANGE, linewidth=0.9, linestyle="--")
    ax.set_xscale("log")
    ax.set_xlabel(xlabel, fontsize=8)
    ax.set_title(title, fontsize=10, loc="left")
    _style(ax)
    return _out(fig, fmt)


def auroc_over_time(points: list[tuple[str, float, float, float]], training: float | None, minimum: float,
                    title: str, labels: dict[str, str], fmt: str = "svg") -> bytes:
    """AUROC per scored month with its interval; the model's test AUROC and the limit dashed."""
    fig, ax = plt.subplots(figsize=(7, 2.8))
    xs = list(range(len(points)))
    ax.errorbar(xs, [p[1] for p in points], yerr=[[p[1] - p[2] for p in points], [p[3] - p[1] for p in points]],
                color=BLUE, marker="o", markersize=4, capsize=3, linewidth=1.4, label=labels["auroc"])
    if training is not None:
        ax.axhline(training, color=GREY, linestyle="--", linewidth=1, label=labels["training"])
    ax.axhline(minimum, color=ORANGE, linestyle="--", linewidth=0.9, label=labels["limit"])
    step = max(1, len(points) // 12)
    ax.set_xticks(xs[::step], [p[0] for p in points][::step], fontsize=7)
    ax.set_ylim(min([minimum - 0.05] + [p[2] - 0.02 for p in points]), 1.0)
    ax.set_title(title, fontsize=10, loc="left")
    ax.legend(fontsize=7, frameon=False, loc="lower left")
    _style(ax)
    return _out(fig, fmt)


def psi_bars(rows: list[tuple[str, float]], warn: float, alert: float, title: str, fmt: str = "svg") -> bytes:
    """The features' PSI, largest first; warn and alert limits dashed."""
    fig, ax = plt.subplots(figsize=(7, max(1.6, 0.2 * len(rows) + 0.9)))
    ys = list(range(len(rows)))[::-1]
    colours = [RED if v > alert else ORANGE if v > warn else BLUE for _, v in rows]
    ax.barh(ys, [v for _, v in rows], color=colours, height=0.7)
    ax.set_yticks(ys, [name for name, _ in rows], fontsize=6.5)
    ax.axvline(warn, color=ORANGE, linestyle="--", linewidth=0.9)
    ax.axvline(alert, color=RED, linestyle="--", linewidth=0.9)
    ax.set_title(title, fontsize=10, loc="left")
    _style(ax)
    return _out(fig, fmt)
