"""The model card as PDF (reportlab, A4): the Markdown of :func:`opspor.risk.modelcard.markdown`
laid out as headings, lines, bullets and tables, so the file, the PDF and the page say the same
(``opspor risk card --out FILE.pdf``; the page's link ``/risikomodeller/<model>/kort.pdf``).
Figures only, no person."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from opspor.risk.monitoring_pdf import H, P, TITLE, table

CELL = ParagraphStyle("cell", parent=P, fontSize=7, leading=8.5)
WIDTH = 180  # mm between the margins


def _para(text: str, style) -> Paragraph:
    """``text`` escaped; ∞ (not in Helvetica) from the Symbol font."""
    return Paragraph(escape(text).replace("∞", '<font face="Symbol">∞</font>'), style)


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _is_rule(line: str) -> bool:
    return set(line.replace("|", "").strip()) <= set("-:") and "-" in line


def _flow(markdown: str) -> list:
    story, rows = [], []

    def flush() -> None:
        if rows:
            width = WIDTH / len(rows[0]) * mm
            story.append(table([_para(c, CELL) for c in rows[0]], [[_para(c, CELL) for c in r] for r in rows[1:]],
                               [width] * len(rows[0])))
            story.append(Spacer(1, 3))
            rows.clear()

    for line in markdown.splitlines():
        if line.startswith("|"):
            if not _is_rule(line):
                rows.append(_cells(line))
            continue
        flush()
        text = line.strip().replace("`", "")
        if not text:
            continue
        if line.startswith("# "):
            story.append(_para(text[2:], TITLE))
        elif line.startswith("#"):
            story.append(_para(text.lstrip("#").strip(), H))
        else:
            story.append(_para("• " + text[2:] if text.startswith("- ") else text, P))
    flush()
    return story


def write(markdown: str, path: Path, title: str) -> Path:
    doc = SimpleDocTemplate(str(path), pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=12 * mm,
                            bottomMargin=12 * mm, title=title, author="opspor", creator="opspor")
    doc.build(_flow(markdown))
    return path
