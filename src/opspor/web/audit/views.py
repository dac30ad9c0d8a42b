"""The auditor's pages: search the log by person or user, and a person's access report.

A CPR number is typed into a POST form and turned into the pseudonymous key at once; it never
appears in a URL or in the log. Every search is itself audited.
"""

from __future__ import annotations

import datetime as dt

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from opspor import cpr as cprlib
from opspor.store.key import pseudonym_key
from opspor.web.accounts.decorators import role_required
from opspor.web.accounts.roles import Role
from opspor.web.audit import actions as audit
from opspor.web.audit.forms import AccessReportForm, AuditSearchForm
from opspor.web.audit.models import AuditEntry

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
        audit.record(request, action=audit.READ, what="audit.search", why=data["reason"],
                     persons=[person_key] if person_key else [],
                     detail={"username": data["username"], "results": len(entries)})
    return render(request, "audit/search.html", {"form": form, "entries": entries, "truncated": truncated})


@role_required(Role.AUDITOR)
@require_http_methods(["GET", "POST"])
def access_report(request):
    """"Who has looked at my data": every entry about one person, as a printable page."""
    form = AccessReportForm(request.POST or None)
    entries = None
    if request.method == "POST" and form.is_valid():
        person_key = person_key_of(form.cleaned_data["cpr"])
        entries = list(AuditEntry.objects.filter(person_key=person_key).exclude(what__startswith="audit."))
        audit.record(request, action=audit.READ, what="audit.access_report", why=form.cleaned_data["reason"],
                     persons=[person_key], detail={"results": len(entries)})
    return render(request, "audit/access_report.html", {
        "form": form, "entries": entries, "made_at": dt.datetime.now(), "title": _("Access report"),
    })
