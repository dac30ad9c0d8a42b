"""The access report as a PDF to hand to the citizen (reportlab, A4 portrait).

The same entries and labels as the auditor's page: who (name, user name, role, organisation), when, what
was done and why. The texts follow the active language (Danish by default); the person is named
by the CPR number the auditor typed, which the citizen knows, and by nothing else.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from opspor.web.audit.models import AuditEntry

_s = getSampleStyleSheet()
TITLE = ParagraphStyle("title", parent=_s["Title"], fontSize=15, leading=19, alignment=0, spaceAfter=4)
P = ParagraphStyle("p", parent=_s["Normal"], fontSize=9, leading=12, spaceAfter=3)
CELL = ParagraphStyle("cell", parent=P, fontSize=7.5, leading=9, spaceAfter=0)
HEAD = ParagraphStyle("head", parent=CELL, fontName="Helvetica-Bold")
WIDTHS = (22 * mm, 32 * mm, 24 * mm, 26 * mm, 14 * mm, 24 * mm, 38 * mm)  # 180 mm: A4 less the margins


def _p(text: str, style: ParagraphStyle = P) -> Paragraph:
    return Paragraph(escape(str(text)), style)


def _row(e: AuditEntry) -> list[Paragraph]:
    who = f"{e.user_full_name} ({e.username})" if e.user_full_name else e.username
    return [_p(f"{timezone.localtime(e.at):%d-%m-%Y %H:%M}", CELL), _p(who, CELL), _p(e.role_label, CELL),
            _p(e.organisation, CELL), _p(e.get_action_display(), CELL), _p(e.event_label, CELL), _p(e.why, CELL)]


def access_report(entries: Sequence[AuditEntry], cpr: str, made_at: dt.datetime, made_by: str) -> bytes:
    """The PDF of ``entries`` (one person's) for the CPR number ``cpr`` (ten digits)."""
    confidential = _("Confidential – contains personal data.")

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.drawString(15 * mm, 10 * mm, confidential)
        canvas.drawRightString(A4[0] - 15 * mm, 10 * mm, _("Page %(page)s") % {"page": doc.page})
        canvas.restoreState()

    story = [
        _p(_("Access report: who has looked at your data in opspor"), TITLE),
        _p(_("CPR number: %(cpr)s") % {"cpr": f"{cpr[:6]}-{cpr[6:]}"}),
        _p(_("Made %(when)s by %(who)s.") % {"when": f"{timezone.localtime(made_at):%d-%m-%Y %H:%M}", "who": made_by}),
        _p(_("The report lists every read, change and export of the person's data in opspor: who, when, in which "
             "role and organisation, and why. Every look-up in opspor is logged and cannot be changed afterwards.")),
        Spacer(1, 4 * mm),
    ]
    if entries:
        header = [_p(h, HEAD) for h in (_("Time"), _("User"), _("Role"), _("Organisation"), _("Action"),
                                        _("What"), _("Why"))]
        table = Table([header, *(_row(e) for e in entries)], colWidths=WIDTHS, repeatRows=1)
        table.setStyle(TableStyle([
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
            ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.lightgrey),
            ("LEFTPADDING", (0, 0), (-1, -1), 2), ("RIGHTPADDING", (0, 0), (-1, -1), 2),
        ]))
        story.append(table)
    else:
        story.append(_p(_("Nobody has looked at this person's data in opspor.")))
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                            bottomMargin=18 * mm, title=_("Access report"), author="opspor")
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
