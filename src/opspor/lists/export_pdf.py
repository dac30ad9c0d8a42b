"""``repeated-acute.pdf``: the department lists for printing, each department on its own page(s).

A4 landscape. Each department starts a new page with its title (department, hospital unit),
the run day and cut-off, the confidentiality note and the table under Danish headings; a long
list continues on the next pages with the table headings repeated. Every page carries the
department in its header, *Fortroligt – indeholder personoplysninger*, and its page number.
The PDF has one bookmark per department. When no department has anyone, the file is one page
saying so.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from opspor.lists import texts
from opspor.lists.model import Build, DepartmentList

FILE_NAME = "repeated-acute.pdf"

PAGE = landscape(A4)
MARGIN = 12 * mm
_WIDTHS = (58, 120, 74, 70, 92, 92, 80, 80, 52, 42)  # points; sum 760 of 774 available
_PAD = 3

_styles = getSampleStyleSheet()
TITLE = ParagraphStyle("title", parent=_styles["Title"], fontSize=15, leading=19, alignment=0,
                       spaceAfter=2)
LINE = ParagraphStyle("line", parent=_styles["Normal"], fontSize=9, leading=12)
NOTE = ParagraphStyle("note", parent=LINE, textColor=colors.HexColor("#9C0006"),
                      fontName="Helvetica-Bold")
CELL = ParagraphStyle("cell", parent=_styles["Normal"], fontSize=7.5, leading=9)
HEAD = ParagraphStyle("head", parent=CELL, fontName="Helvetica-Bold")


class _Section(Flowable):
    """Invisible mark at the start of a department: names the running header, adds a bookmark."""

    def __init__(self, label: str, key: str):
        super().__init__()
        self.label, self.key = label, key
        self.width = self.height = 0

    def draw(self) -> None:
        self.canv._opspor_section = self.label
        self.canv.bookmarkPage(self.key)
        self.canv.addOutlineEntry(self.label, self.key, level=0)


def _page_end(canvas, doc) -> None:
    canvas.saveState()
    width, height = PAGE
    canvas.setFont("Helvetica-Bold", 8)
    canvas.setFillColor(colors.HexColor("#9C0006"))
    canvas.drawString(MARGIN, height - 8 * mm, texts.CONFIDENTIAL)
    canvas.setFillColor(colors.black)
    canvas.setFont("Helvetica", 8)
    canvas.drawRightString(width - MARGIN, height - 8 * mm, getattr(canvas, "_opspor_section", ""))
    canvas.drawString(MARGIN, 6 * mm, doc.opspor_footer)
    canvas.drawRightString(width - MARGIN, 6 * mm, f"Side {doc.page}")
    canvas.restoreState()


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text), style)


def _cell(value) -> str:
    if isinstance(value, bool):
        return texts.yes_no(value)
    if hasattr(value, "strftime"):
        return texts.moment_text(value)
    return "" if value is None else str(value)


def _fits(text: str, width: float) -> bool:
    return stringWidth(text, CELL.fontName, CELL.fontSize) <= width - 2 * _PAD


def _table(d: DepartmentList) -> Table:
    # Plain strings are drawn far faster than Paragraphs; a cell becomes a (wrapping) Paragraph
    # only when its text is wider than its column.
    rows = [[_p(h, HEAD) for h in texts.LINE_HEADINGS]]
    style = [
        ("FONT", (0, 1), (-1, -1), CELL.fontName, CELL.fontSize, CELL.leading),
        ("LEFTPADDING", (0, 0), (-1, -1), _PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), _PAD),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#999999")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDDDDD")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]
    previous = None
    for line in d.lines:
        cells = [_cell(v) for v in texts.line_values(line)]
        rows.append([t if _fits(t, w) else _p(t, CELL) for t, w in zip(cells, _WIDTHS, strict=True)])
        r = len(rows) - 1
        if line.new_today:
            style.append(("BACKGROUND", (0, r), (-1, r), colors.HexColor("#FFF2CC")))
        if previous is not None and line.person_key != previous:
            style.append(("LINEABOVE", (0, r), (-1, r), 1.2, colors.black))
        previous = line.person_key
    table = Table(rows, colWidths=_WIDTHS, repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle(style))
    return table


def write_pdf(build: Build, path: Path) -> Path:
    doc = BaseDocTemplate(
        str(path), pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN,
        topMargin=14 * mm, bottomMargin=12 * mm,
        title=texts.report_title(build), subject=texts.CONFIDENTIAL, author="opspor",
        creator="opspor",
    )
    doc.opspor_footer = texts.cutoff_line(build)
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body")
    doc.addPageTemplates([PageTemplate(id="list", frames=[frame], onPageEnd=_page_end)])
    story: list[Flowable] = []
    if not build.departments:
        story += [
            _p(texts.report_title(build), TITLE),
            _p(texts.cutoff_line(build), LINE),
            _p(texts.CONFIDENTIAL, NOTE),
            Spacer(1, 8),
            _p(texts.NO_PATIENTS, LINE),
        ]
    for i, d in enumerate(build.departments):
        if i:
            story.append(PageBreak())
        story += [
            _Section(f"{d.department} ({d.hospital_unit})", f"dept{i}"),
            _p(texts.department_title(d), TITLE),
            _p(texts.run_line(build, d), LINE),
            _p(texts.CONFIDENTIAL, NOTE),
            Spacer(1, 6),
            _table(d) if d.lines else _p(texts.NO_PATIENTS_DEPT, LINE),
        ]
    doc.build(story)
    return path
