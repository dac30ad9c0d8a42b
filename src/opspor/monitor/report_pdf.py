"""The committee report as PDF (reportlab, A4 portrait): the same content as the HTML."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm, mm
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    Image,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from opspor.i18n import translator
from opspor.monitor.report_model import Chart, Report, TableBlock, Text

MARGIN = 16 * mm
_s = getSampleStyleSheet()
TITLE = ParagraphStyle("title", parent=_s["Title"], fontSize=20, leading=24, alignment=0,
                       textColor=colors.HexColor("#1F4E79"), spaceAfter=2)
SUB = ParagraphStyle("sub", parent=_s["Normal"], fontSize=11, leading=14, textColor=colors.HexColor("#555555"))
H2 = ParagraphStyle("h2", parent=_s["Heading2"], fontSize=14, leading=17, textColor=colors.HexColor("#1F4E79"),
                    spaceBefore=8, spaceAfter=4)
H3 = ParagraphStyle("h3", parent=_s["Heading3"], fontSize=10.5, leading=13, spaceBefore=8, spaceAfter=2)
BODY = ParagraphStyle("body", parent=_s["Normal"], fontSize=9, leading=12, spaceAfter=4)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=7.5, leading=9.5, textColor=colors.HexColor("#444444"))
NOTE = ParagraphStyle("note", parent=BODY, backColor=colors.HexColor("#F3F7FB"), borderPadding=4,
                      borderColor=colors.HexColor("#1F4E79"), borderWidth=0, leftIndent=4)
BANNER = ParagraphStyle("banner", parent=BODY, backColor=colors.HexColor("#9C0006"), textColor=colors.white,
                        fontName="Helvetica-Bold", borderPadding=4)
CELL = ParagraphStyle("cell", parent=_s["Normal"], fontSize=7.5, leading=9)
HEAD = ParagraphStyle("head", parent=CELL, fontName="Helvetica-Bold")
MARK = {"good": (colors.HexColor("#E2EFDA"), colors.HexColor("#375623")),
        "bad": (colors.HexColor("#F8D7DA"), colors.HexColor("#9C0006")),
        "muted": (None, colors.HexColor("#777777"))}


def _p(text: str, style) -> Paragraph:
    return Paragraph(escape(text), style)


def _table(b: TableBlock, width: float) -> list:
    rows = [[_p(h, HEAD) for h in b.header]]
    style = [("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#BBBBBB")),
             ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE")),
             ("VALIGN", (0, 0), (-1, -1), "TOP"),
             ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5)]
    for i, row in enumerate(b.rows):
        cells = []
        for j, c in enumerate(row):
            mark = b.marks.get((i, j))
            st = CELL
            if mark:
                bg, fg = MARK[mark]
                st = ParagraphStyle(f"m{mark}", parent=CELL, textColor=fg,
                                    fontName="Helvetica-Bold" if mark != "muted" else "Helvetica")
                if bg is not None:
                    style.append(("BACKGROUND", (j, i + 1), (j, i + 1), bg))
            cells.append(_p(c, st))
        rows.append(cells)
    rel = b.widths or [1] * len(b.header)
    widths = [width * w / sum(rel) for w in rel]
    t = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    t.setStyle(TableStyle(style))
    out = [t]
    if b.caption:
        out.append(_p(b.caption, SMALL))
    out.append(Spacer(1, 4))
    return out


def _chart(b: Chart, width: float) -> Image:
    from reportlab.lib.utils import ImageReader

    iw, ih = ImageReader(str(b.path)).getSize()
    w = min(width, b.width_cm * cm)
    return Image(str(b.path), width=w, height=w * ih / iw, hAlign="LEFT")


def write_pdf(report: Report, path: Path) -> Path:
    page_w, page_h = A4
    doc = BaseDocTemplate(str(path), pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                          bottomMargin=16 * mm, title=f"{report.title} – {report.subtitle}", author="opspor",
                          creator="opspor", subject=report.banner or report.subtitle)
    width = page_w - 2 * MARGIN
    _ = translator(report.lang)

    def footer(canvas, d) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(colors.HexColor("#666666"))
        canvas.drawString(MARGIN, 8 * mm, f"{report.title} · {report.subtitle}")
        if report.banner:
            canvas.setFillColor(colors.HexColor("#9C0006"))
            canvas.drawString(MARGIN, page_h - 9 * mm, report.banner)
            canvas.setFillColor(colors.HexColor("#666666"))
        canvas.drawRightString(page_w - MARGIN, 8 * mm, _("Page {page}").format(page=d.page))
        canvas.restoreState()

    frame = Frame(MARGIN, 16 * mm, width, page_h - MARGIN - 16 * mm, id="body")
    doc.addPageTemplates([PageTemplate(id="p", frames=[frame], onPage=footer)])
    story: list = [_p(report.title, TITLE), _p(report.subtitle, SUB), Spacer(1, 6)]
    if report.banner:
        story += [_p(report.banner, BANNER), Spacer(1, 6)]
    meta = Table([[_p(k, HEAD), _p(v, CELL)] for k, v in report.meta], colWidths=[45 * mm, width - 45 * mm],
                 hAlign="LEFT")
    meta.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#CCCCCC")),
                              ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [meta, Spacer(1, 8)]
    for s in report.sections:
        if s.new_page:
            story.append(PageBreak())
        story.append(_p(s.title, H2))
        pending_heading = None
        for b in s.blocks:
            if isinstance(b, Text):
                if b.style == "heading":
                    pending_heading = _p(b.text, H3)
                    continue
                flow = [_p(b.text, {"note": NOTE, "small": SMALL, "warning": BANNER}.get(b.style, BODY))]
            elif isinstance(b, TableBlock):
                flow = _table(b, width)
            elif isinstance(b, Chart):
                flow = [_chart(b, width), Spacer(1, 4)]
            else:
                raise TypeError(type(b))
            if pending_heading is not None:
                story.append(KeepTogether([pending_heading, *flow]))
                pending_heading = None
            else:
                story += flow
    doc.build(story)
    return path
