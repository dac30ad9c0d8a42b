"""The telemonitoring evaluation as a PDF (reportlab, A4 landscape): the table of the report as
exported (small groups hidden, ``telemonitoring.evaluation.for_export``), with when and from what
it was made and how the figures are made. No person is named: the report holds figures only."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

_s = getSampleStyleSheet()
TITLE = ParagraphStyle("title", parent=_s["Title"], fontSize=15, leading=19, alignment=0, spaceAfter=4)
P = ParagraphStyle("p", parent=_s["Normal"], fontSize=9, leading=12, spaceAfter=3)
CELL = ParagraphStyle("cell", parent=P, fontSize=7.5, leading=9, spaceAfter=0)
HEAD = ParagraphStyle("head", parent=CELL, fontName="Helvetica-Bold")


def _p(text, style=P) -> Paragraph:
    return Paragraph(escape(str(text)), style)


def evaluation(result, table: dict, notes: list[str], below: int) -> bytes:
    """``result``: the published ``Evaluation``; ``table``: ``for_export``'s rows in the page's language."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=landscape(A4), leftMargin=12 * mm, rightMargin=12 * mm,
                            topMargin=12 * mm, bottomMargin=12 * mm, title=_("Telemonitoring evaluation"))
    made = timezone.localtime(result.made_at)
    story = [_p(_("Telemonitoring evaluation"), TITLE),
             _p(_("Region %(region)s. Made %(made)s from snapshot %(snapshot)s.")
                % {"region": result.region_code, "made": f"{made:%d-%m-%Y %H:%M}", "snapshot": result.snapshot_id})]
    if table.get("hidden"):
        story.append(_p(_("Groups of fewer than %(n)s patients are hidden in this file.") % {"n": below}))
    head = [_p("MAST", HEAD), _p(_("Figure"), HEAD), *(_p(h, HEAD) for h in table["header"])]
    body = [[_p(r["domain"], CELL), _p(r["label"], CELL), *(_p(c, CELL) for c in r["cells"])] for r in table["rows"]]
    groups = len(table["header"])
    widths = [22 * mm, 80 * mm, *([(273 - 102) * mm / max(groups, 1)] * groups)]
    grid = Table([head, *body], colWidths=widths, repeatRows=1)
    grid.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                              ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4"))]))
    story.append(grid)
    story += [_p(line) for line in notes]
    doc.build(story)
    return buffer.getvalue()
