"""One page per follow-up group, like the source's slides (seed 003:1-136): the monitored tasks
and those that may have to be, counted by frequency and data source; the annual calendar; what
is due or overdue; the seed's definition of light and resource-heavy monitoring.

A4 landscape, Danish by default (``lang="en"`` for English). Aggregates and task titles only.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    KeepInFrame,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from opspor.i18n import gettext_lazy as _
from opspor.i18n import pgettext_lazy, translate_all, translator
from opspor.monitor import tasks as T

PAGE = landscape(A4)
MARGIN = 10 * mm
MONTHS = (pgettext_lazy("month", "Jan"), pgettext_lazy("month", "Feb"), pgettext_lazy("month", "Mar"),
          pgettext_lazy("month", "Apr"), pgettext_lazy("month", "May"), pgettext_lazy("month", "Jun"),
          pgettext_lazy("month", "Jul"), pgettext_lazy("month", "Aug"), pgettext_lazy("month", "Sep"),
          pgettext_lazy("month", "Oct"), pgettext_lazy("month", "Nov"), pgettext_lazy("month", "Dec"))

_s = getSampleStyleSheet()
TITLE = ParagraphStyle("t", parent=_s["Title"], fontSize=15, leading=18, alignment=0, spaceAfter=2)
H = ParagraphStyle("h", parent=_s["Normal"], fontName="Helvetica-Bold", fontSize=9.5, leading=12)
P = ParagraphStyle("p", parent=_s["Normal"], fontSize=8, leading=10)
SMALL = ParagraphStyle("s", parent=P, fontSize=6.5, leading=8)
CELL = ParagraphStyle("c", parent=P, fontSize=6.8, leading=8)

TEXT = {
    "title": _("{group}: monitoring tasks {year}"),
    "asof": _("Status on {date}. Figures and titles from the task register; no personal data."),
    "monitored": _("Tasks monitored: {n}"),
    "candidates": _("Tasks that may have to be monitored: {n}"),
    "freq": _("By frequency:"), "data": _("By data source:"),
    "wheel": _("Annual calendar {year}"), "meetings": _("Meetings of the follow-up group"),
    "legend": _("● measurement/report due   – ongoing   ▲ meeting   red: overdue"),
    "due": _("Due or overdue"), "none_due": _("Nothing due within 30 days."),
    "weight": _("Light and resource-heavy monitoring (source: the health agreement's strategic discussion)"),
    "cols": (_("Task"), _("Due"), _("State"), pgettext_lazy("task sheet", "Owner")),
    "light": _("Light"), "heavy": _("Resource-heavy"),
    "status_codes": _("Status codes"),
}


def _p(text: str, style=P) -> Paragraph:
    return Paragraph(escape(text), style)


def _box(counts: T.Counts, heading: str, tx: dict, lang: str) -> list:
    out = [_p(heading, H)]
    if counts.n:
        out.append(_p(tx["freq"], P))
        out += [_p(f"• {f.label(lang)}: {n}", P) for f, n in counts.by_frequency]
        out.append(_p(tx["data"], P))
        out += [_p(f"• {d.label(lang)}: {n}", P) for d, n in counts.by_data_source]
        out.append(Spacer(1, 3))
        titles = ", ".join(t.title for t in counts.tasks)
        out.append(_p(f"* {titles}", SMALL))
    return out


def _wheel_table(group_tasks: list[T.MonitoringTask], wheel: T.Wheel, due: dict[str, T.DueItem],
                 meetings: tuple[dt.date, ...], tx: dict, lang: str) -> Table:
    months = [translator(lang)(m) for m in MONTHS]
    rows = [[_p(tx["wheel"].format(year=wheel.year), CELL), *months]]
    style = [
        ("FONT", (0, 0), (-1, -1), "Helvetica", 6.8),
        ("FONT", (1, 0), (-1, 0), "Helvetica-Bold", 6.8),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#999999")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDDDDD")),
        ("ALIGN", (1, 0), (-1, -1), "CENTER"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
    ]
    ids = {t.id for t in group_tasks}
    for wr in wheel.rows:
        if wr.task_id not in ids:
            continue
        cells = [T.SYMBOLS[c] for c in wr.cells]
        r = len(rows)
        rows.append([_p(wr.title, CELL), *cells])
        item = due.get(wr.task_id)
        for m, c in enumerate(wr.cells):
            if c == T.RUNNING:
                style.append(("BACKGROUND", (m + 1, r), (m + 1, r), colors.HexColor("#E2EFDA")))
            if (c == T.MEASURE and item is not None and item.state == T.OVERDUE and item.next_due
                    and item.next_due.year == wheel.year and item.next_due.month == m + 1):
                style.append(("BACKGROUND", (m + 1, r), (m + 1, r), colors.HexColor("#F4B6B6")))
    marks = [""] * 12
    for d in meetings:
        marks[d.month - 1] = "▲ " + str(d.day) if not marks[d.month - 1] else marks[d.month - 1] + f",{d.day}"
    rows.append([_p(tx["meetings"], CELL), *marks])
    style.append(("BACKGROUND", (0, len(rows) - 1), (-1, len(rows) - 1), colors.HexColor("#FFF2CC")))
    table = Table(rows, colWidths=[120 * mm] + [12.5 * mm] * 12, repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle(style))
    return table


def _due_table(items: list[T.DueItem], tx: dict, lang: str) -> Table | Paragraph:
    shown = [i for i in items if i.state in (T.OVERDUE, T.DUE)]
    if not shown:
        return _p(tx["none_due"], P)
    states = T.state_labels(lang)
    rows = [list(tx["cols"])]
    style = [("FONT", (0, 0), (-1, -1), "Helvetica", 7), ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 7),
             ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#999999")),
             ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDDDDD")),
             ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]
    for i in shown:
        rows.append([_p(i.task.title, CELL), i.next_due.isoformat(), states[i.state], _p(i.task.owner, CELL)])
        if i.state == T.OVERDUE:
            style.append(("TEXTCOLOR", (2, len(rows) - 1), (2, len(rows) - 1), colors.HexColor("#9C0006")))
    t = Table(rows, colWidths=[140 * mm, 22 * mm, 28 * mm, 85 * mm], hAlign="LEFT")
    t.setStyle(TableStyle(style))
    return t


def _weight_table(tx: dict, lang: str) -> Table:
    tr = translator(lang)
    light = T.WEIGHT_DEFINITIONS[T.Weight.LIGHT]
    heavy = dict(T.WEIGHT_DEFINITIONS[T.Weight.RESOURCE_HEAVY])
    rows = [["", tx["light"], tx["heavy"]]] + [[tr(q), _p(tr(a), SMALL), _p(tr(heavy[q]), SMALL)] for q, a in light]
    t = Table(rows, colWidths=[25 * mm, 125 * mm, 125 * mm], hAlign="LEFT")
    t.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), "Helvetica", 6.5),
                           ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 6.5),
                           ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#BBBBBB")),
                           ("TOPPADDING", (0, 0), (-1, -1), 0.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 0.5)]))
    return t


def group_page(all_tasks: list[T.MonitoringTask], group: str, as_of: dt.date, year: int,
               meetings: dict[str, tuple[dt.date, ...]] | None = None, lang: str = "da") -> list:
    """The flowables of one group's page."""
    tx = translate_all(TEXT, lang)
    mine = [t for t in all_tasks if t.group == group]
    summary = T.group_summary(all_tasks, group)
    wheel = T.aarshjul(mine, year, {group: list((meetings or {}).get(group, ()))})
    due = {i.task.id: i for i in T.due_list(mine, as_of)}
    boxes = Table([[_box(summary.monitored, tx["monitored"].format(n=summary.monitored.n), tx, lang),
                    _box(summary.candidates, tx["candidates"].format(n=summary.candidates.n), tx, lang)]],
                  colWidths=[138 * mm, 138 * mm], hAlign="LEFT")
    boxes.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("BOX", (0, 0), (0, 0), 0.6, colors.HexColor("#1F4E79")),
                               ("BOX", (1, 0), (1, 0), 0.6, colors.HexColor("#1F4E79")),
                               ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#F3F7FB"))]))
    codes = sorted({c for t in mine for c in t.status}, key=lambda c: list(T.StatusCode).index(c))
    code_text = "; ".join(f"{c.value} = {c.label(lang)}" for c in codes)
    body = [
        _p(tx["title"].format(group=group, year=year), TITLE),
        _p(tx["asof"].format(date=as_of.isoformat()), P),
        Spacer(1, 4), boxes, Spacer(1, 5),
        _wheel_table(mine, wheel, due, wheel.meetings.get(group, ()), tx, lang),
        _p(tx["legend"] + (f".   {tx['status_codes']}: {code_text}" if code_text else ""), SMALL),
        Spacer(1, 4), _p(tx["due"] + f" ({as_of.isoformat()})", H), _due_table(list(due.values()), tx, lang),
        Spacer(1, 4), _p(tx["weight"], SMALL), _weight_table(tx, lang),
    ]
    width, height = PAGE
    return [KeepInFrame(width - 2 * MARGIN, height - 2 * MARGIN, body, mode="shrink")]


def write_group_pdf(all_tasks: list[T.MonitoringTask], group: str, path: Path, as_of: dt.date,
                    year: int | None = None, meetings: dict | None = None, lang: str = "da") -> Path:
    doc = SimpleDocTemplate(str(path), pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=MARGIN, bottomMargin=MARGIN, title=f"{group}", author="opspor",
                            creator="opspor")
    doc.build(group_page(all_tasks, group, as_of, year or as_of.year, meetings, lang))
    return path


def write_groups_pdf(all_tasks: list[T.MonitoringTask], path: Path, as_of: dt.date, year: int | None = None,
                     meetings: dict | None = None, lang: str = "da") -> Path:
    """All groups, one page each."""
    doc = SimpleDocTemplate(str(path), pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=MARGIN, bottomMargin=MARGIN, title="Monitoreringsopgaver",
                            author="opspor", creator="opspor")
    story: list = []
    for i, g in enumerate(T.groups(all_tasks)):
        if i:
            story.append(PageBreak())
        story += group_page(all_tasks, g, as_of, year or as_of.year, meetings, lang)
    doc.build(story)
    return path
