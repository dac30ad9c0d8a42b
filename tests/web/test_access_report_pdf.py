"""The auditor saves a person's access report as a PDF to hand to the citizen (issue 12 item 7):
Danish, the same entries as the page, the citizen's CPR number and nobody else's, no cache, and
the download is itself audited."""

from __future__ import annotations

import pytest

from opspor.web.audit.models import AuditEntry
from opspor.web.people.models import Person
from tests.support import pdf_text
from tests.web import web_kit
from tests.web.web_kit import CPR

pytestmark = pytest.mark.django_db

REASON = "borgerens anmodning, sag 2026-41"


def _reads_of_a(users, login) -> Person:
    a = Person.objects.get(person_key=web_kit.key_of("A"))
    login(users["med1"]).get("/lister/")
    login(users["med1"]).get(f"/personer/{a.public_id}/")
    login(users["ger"]).get("/lister/")  # ger's list does not hold A
    return a


def test_access_report_as_pdf(users, login, published):
    a = _reads_of_a(users, login)
    client = login(users["auditor"])
    page = client.get("/revision/indsigt/").content.decode()
    assert 'name="format" value="pdf"' in page and "Hent som PDF" in page
    response = client.post("/revision/indsigt/", {"cpr": f"{CPR['A'][:6]}-{CPR['A'][6:]}", "reason": REASON,
                                                  "format": "pdf"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="indsigtsrapport-')
    assert CPR["A"] not in response["Content-Disposition"]
    assert response["Cache-Control"] == "no-store"
    data = response.content
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    assert "Indsigtsrapport: hvem har set dine oplysninger i opspor" in text
    assert f"CPR-nummer: {CPR['A'][:6]}-{CPR['A'][6:]}" in text
    assert "Med1 (med1)" in text and "Speciallæge" in text and "MED1 (OUH)" in text and "Læst" in text
    assert "Afdelingens arbejdsliste" in text  # why: the screen's purpose, as on the page
    assert "Personside" in text and "\nperson\n" not in text  # what: the event's Danish label, not its code
    assert "(ger)" not in text  # ger never saw A
    assert "Fortroligt – indeholder personoplysninger." in text and "Side 1" in text
    for other in ("B", "C", "D", "E", "F"):
        assert CPR[other] not in text and CPR[other][:6] + "-" + CPR[other][6:] not in text
    # the download is an audited read of the person's data, with the auditor's reason
    entry = AuditEntry.objects.get(username="auditor", what="audit.access_report.pdf")
    assert entry.person_key == a.person_key and entry.why == REASON and entry.action == AuditEntry.Action.EXPORT
    # the page shows the same report (and is audited apart)
    html = client.post("/revision/indsigt/", {"cpr": CPR["A"], "reason": REASON}).content.decode()
    assert "Med1" in html
    assert AuditEntry.objects.filter(username="auditor", what="audit.access_report").count() == 1


def test_access_report_pdf_for_a_person_nobody_looked_at(users, login, published):
    client = login(users["auditor"])
    response = client.post("/revision/indsigt/", {"cpr": CPR["F"], "reason": REASON, "format": "pdf"})
    assert response["Content-Type"] == "application/pdf"
    assert "Ingen har set personens oplysninger i opspor." in pdf_text(response.content)


def test_access_report_pdf_needs_the_form_and_the_role(users, login, published):
    client = login(users["auditor"])
    response = client.post("/revision/indsigt/", {"cpr": CPR["A"], "format": "pdf"})  # no reason
    assert response["Content-Type"].startswith("text/html") and "Begrundelse" in response.content.decode()
    assert client.post("/revision/indsigt/", {"cpr": CPR["A"], "reason": REASON, "format": "docx"}).status_code == 400
    assert login(users["med1"]).post("/revision/indsigt/", {"cpr": CPR["A"], "reason": REASON,
                                                           "format": "pdf"}).status_code == 403
    assert not AuditEntry.objects.filter(what="audit.access_report.pdf").exists()
