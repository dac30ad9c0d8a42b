"""The receipt of a consent or a withdrawal as a PDF (reportlab, A4 portrait), as REDCap's
e-Consent: who, when, how, the version of the text and the text itself (as the record keeps it),
and the written agreement of the programme (seed 003 lines 6141-6161) with the citizen's own
nurse, goals and plan in force, so that the citizen has it on paper. Names the person by name
and birth date, never by CPR number."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from opspor.web.aps import consent
from opspor.web.aps.models import ConsentRecord

_s = getSampleStyleSheet()
TITLE = ParagraphStyle("title", parent=_s["Title"], fontSize=15, leading=19, alignment=0, spaceAfter=4)
H2 = ParagraphStyle("h2", parent=_s["Heading2"], fontSize=12, leading=15, spaceBefore=6, spaceAfter=3)
P = ParagraphStyle("p", parent=_s["Normal"], fontSize=10, leading=13.5, spaceAfter=4)


def _p(text: str, style: ParagraphStyle = P) -> Paragraph:
    return Paragraph(escape(str(text)), style)


def _agreement(case, goals: list[str], plan: str | None) -> list:
    texts = consent.texts()
    story = [_p(texts.agreement.title(), H2), *[_p(t) for t in texts.agreement.paragraphs()]]
    if case.nurse_id:
        story.append(_p(_("Your nurse: %(name)s.") % {"name": case.nurse.get_full_name() or case.nurse.get_username()}))
    if goals:
        story += [_p(_("Your goals"), H2), *[_p(f"• {g}") for g in goals]]
    if plan:
        story += [_p(_("Your plan"), H2), _p(plan)]
    return story


def _person_line(person) -> Paragraph:
    born = person.birth_date.strftime("%d-%m-%Y") if person.birth_date else "–"
    return _p(_("%(name)s, born %(born)s") % {"name": person.name, "born": born})


def _pdf(title: str, story: list) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                            bottomMargin=16 * mm, title=title, author="opspor")
    doc.build(story)
    return buffer.getvalue()


def receipt(record: ConsentRecord, goals: list[str], plan: str | None) -> bytes:
    """The receipt of ``record``, with the agreement."""
    case = record.case
    who = record.recorded_by.get_full_name() or record.recorded_by.get_username()
    when = f"{timezone.localtime(record.recorded_at):%d-%m-%Y %H:%M}"
    title = _("Receipt: consent to Aktiv Patientstøtte") if record.kind == ConsentRecord.Kind.GIVEN \
        else _("Receipt: consent to Aktiv Patientstøtte withdrawn")
    story = [
        _p(title, TITLE), _person_line(case.person),
        _p(_("%(what)s on %(when)s. %(how)s: %(who)s.") % {
            "what": record.get_kind_display(), "when": when, "how": record.get_how_display(), "who": who}),
        _p(_("Version %(version)s of the consent text. Receipt number %(id)s.") % {
            "version": record.text_version, "id": record.public_id}),
        Spacer(1, 3 * mm),
        _p(_("The consent text"), H2),
        *[_p(paragraph) for paragraph in record.text.split("\n\n")],
    ]
    return _pdf(title, story + _agreement(case, goals, plan))


def agreement(case, goals: list[str], plan: str | None) -> bytes:
    """The written agreement alone, to print."""
    title = consent.texts().agreement.title()
    return _pdf(title, [_p(title, TITLE), _person_line(case.person), *_agreement(case, goals, plan)[1:]])
