"""The auditor's pages: search the log by person or user, and a person's access report.

A CPR number is typed into a POST form and turned into the pseudonymous key at once; it never
appears in a URL or in the log. Every search is itself audited.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from opspor import cpr as cprlib
from opspor.store.key import pseudonym_key
from opspor.web.accounts.decorators import role_required
from opspor.web.accounts.roles import Role
from opspor.web.audit import actions as audit
from opspor.web.audit.forms import AccessReportForm, AuditSearchForm
from opspor.web.audit.models import AuditEntry
from opspor.web.core import params

LIMIT = 1000


def person_key_of(cpr: str) -> str:
    return cprlib.pseudonym(cpr, pseudonym_key())


@role_required(Role.AUDITOR)
@require_http_methods(["GET", "POST"])
def search(request):
    form = AuditSearchForm(request.POST or None)
    entries, truncated = None, False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        qs = AuditEntry.objects.all()
        person_key = person_key_of(data["cpr"]) if data["cpr"] else None
        if person_key:
            qs = qs.filter(person_key=person_key)
        if data["username"]:
            qs = qs.filter(username=data["username"])
        if data["date_from"]:
            qs = qs.filter(at__date__gte=data["date_from"])
        if data["date_to"]:
            qs = qs.filter(at__date__lte=data["date_to"])
        entries = list(qs[: LIMIT + 1])
        truncated = len(entries) > LIMIT
        entries = entries[:LIMIT]
        audit.record(request, audit.Event.AUDIT_SEARCH, action=audit.READ, why=data["reason"],
                     persons=[person_key] if person_key else [],
                     detail={"username": data["username"], "results": len(entries)})
    return render(request, "audit/search.html", {"form": form, "entries": entries, "truncated": truncated})


def _pdf_response(request, entries, cpr: str) -> HttpResponse:
    from opspor.web.audit import report_pdf  # reportlab, on the first PDF

    user = request.user
    made_by = ", ".join(filter(None, [user.get_full_name() or user.username, str(user.organisation or "")]))
    now = timezone.now()
    response = HttpResponse(report_pdf.access_report(entries, cpr, now, made_by), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="indsigtsrapport-{timezone.localdate(now):%Y-%m-%d}.pdf"'
    return response


@role_required(Role.AUDITOR)
@require_http_methods(["GET", "POST"])
def access_report(request):
    """"Who has looked at my data": every entry about one person, as a page or (the button
    "as PDF", ``format=pdf``) as a PDF to hand to the citizen. Either is an audited read."""
    form = AccessReportForm(request.POST or None)
    entries = None
    if request.method == "POST" and form.is_valid():
        as_pdf = params.choice_param(request.POST, "format", ("pdf",)) == "pdf"
        person_key = person_key_of(form.cleaned_data["cpr"])
        entries = list(AuditEntry.objects.access_report(person_key))
        audit.record(request, audit.Event.AUDIT_ACCESS_REPORT_PDF if as_pdf else audit.Event.AUDIT_ACCESS_REPORT,
                     action=audit.EXPORT if as_pdf else audit.READ,
                     why=form.cleaned_data["reason"], persons=[person_key], detail={"results": len(entries)})
        if as_pdf:
            return _pdf_response(request, entries, form.cleaned_data["cpr"])
    return render(request, "audit/access_report.html", {
        "form": form, "entries": entries, "made_at": dt.datetime.now(), "title": _("Access report"),
    })
