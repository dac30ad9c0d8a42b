"""Consent as a record and the written agreement (issue 14 items 6 and 7) through HTTP on the real
database: the citizen reads the versioned consent text on their page and says yes (a text changed
since is refused), or the nurse records it; each is a record (who, when, how, which version, the
words) with a PDF receipt for the citizen and the nurse; withdrawal likewise, by either; the
written agreement in plain language shown and printable; every change and download audited; no
receipt of another person reachable by URL."""

from __future__ import annotations

import pytest
from django.utils import timezone

from opspor.web.aps import actions, consent
from opspor.web.aps.models import ConsentRecord, Goal
from opspor.web.audit.models import AuditEntry
from opspor.web.messaging.models import OutboundMessage
from opspor.web.signin import actions as signin
from tests.support import pdf_text
from tests.web import web_kit
from tests.web.factories import *  # noqa: F403 (the fixture world)
from tests.web.factories import make_case
from tests.web.test_citizen_page import as_user, text  # noqa: F401 (a fixture: two browsers at once)

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(world):
    """p1 invited by Pia to Nina's caseload; p2 active with Ole; both with a citizen log-in."""
    w = world
    case = make_case(w.persons["p1"], w.users["nina"], w.users["pia"], "invited")
    other = make_case(w.persons["p2"], w.users["ole"], w.users["pia"], "invited")
    citizen = signin.link_local_citizen(w.persons["p1"], "borger-p1", web_kit.PASSWORD)
    neighbour = signin.link_local_citizen(w.persons["p2"], "borger-p2", web_kit.PASSWORD)
    return w, case, other, citizen, neighbour


def test_the_citizen_consents_on_their_page_to_the_version_shown(story, as_user):
    w, case, _other, citizen, neighbour = story
    client = as_user(citizen)
    texts = consent.texts()
    page = text(client.get("/borger/"))
    assert texts.consent.title("en") in page and texts.consent.paragraphs("en")[0] in page
    assert f'name="text_version" value="{texts.version}"' in page and "Yes, I want to take part" in page
    assert texts.agreement.title("en") not in page  # the agreement comes with taking part

    # a yes to a text the page did not show is refused, nothing changed
    client.post("/borger/samtykke/", {"text_version": "0"})
    case.refresh_from_db()
    assert case.state == "invited" and not ConsentRecord.objects.exists()
    assert "The consent text has changed" in text(client.get("/borger/"))

    assert client.post("/borger/samtykke/", {"text_version": texts.version}).status_code == 302
    case.refresh_from_db()
    assert case.state == "consented" and case.answered_at is not None
    record = ConsentRecord.objects.get(case=case)
    assert (record.kind, record.how, record.recorded_by, record.text_version, record.text_digest) == (
        "given", "citizen", citizen, texts.version, texts.digest)
    assert record.text.startswith("Samtykke til Aktiv Patientstøtte") and texts.withdrawal("da") in record.text
    entry = AuditEntry.objects.get(what="aps.consent")
    assert (entry.role, entry.person_key, entry.detail["record"], entry.detail["how"]) == (
        "citizen", w.persons["p1"].person_key, str(record.public_id), "citizen")
    # the GP and the municipality are told, as when the nurse records it
    assert OutboundMessage.objects.filter(person=w.persons["p1"]).exists()
    assert client.post("/borger/samtykke/", {"text_version": texts.version}).status_code == 302  # not twice
    assert ConsentRecord.objects.count() == 1

    page = text(client.get("/borger/"))
    assert f"/borger/samtykke/{record.public_id}/kvittering.pdf" in page and "Yes, I want to take part" not in page
    assert texts.agreement.title("en") in page and texts.agreement.paragraphs("en")[1] in page

    receipt = client.get(f"/borger/samtykke/{record.public_id}/kvittering.pdf")
    assert receipt.status_code == 200 and receipt["Content-Type"] == "application/pdf"
    words = " ".join(pdf_text(receipt.content).split())
    assert "Receipt: consent to Aktiv Patientstøtte" in words and w.persons["p1"].name in words
    assert f"Version {texts.version} of the consent text" in words and "By the citizen on their own page" in words
    assert " ".join(texts.consent.paragraphs("da")[0].split()[:6]) in words
    assert w.persons["p1"].cpr not in words and w.persons["p1"].cpr[:6] not in words
    assert AuditEntry.objects.filter(what="aps.consent.receipt", action="export", role="citizen").count() == 1

    # nobody else reaches the receipt: another citizen, another nurse; the case's nurse does
    assert as_user(neighbour).get(f"/borger/samtykke/{record.public_id}/kvittering.pdf").status_code == 404
    nurse_url = f"/aps/forloeb/{case.pk}/samtykke/{record.public_id}/kvittering.pdf"
    assert as_user(w.users["ole"]).get(nurse_url).status_code == 404
    nurse = as_user(w.users["nina"])
    assert nurse.get(nurse_url)["Content-Type"] == "application/pdf"
    case_page = text(nurse.get(f"/aps/forloeb/{case.pk}/"))
    assert "By the citizen on their own page (MitID)" in case_page and nurse_url in case_page
    # a citizen cannot consent to another person's case: the page takes no case from the form
    as_user(neighbour).post("/borger/samtykke/", {"text_version": texts.version, "case": case.pk})
    assert ConsentRecord.objects.filter(case__person=w.persons["p2"]).count() == 1
    assert ConsentRecord.objects.filter(case=case).count() == 1


def test_withdrawal_by_the_citizen_ends_support_with_a_receipt(story, as_user):
    w, case, *_rest, citizen, _n = story
    actions.record_consent(w.users["nina"], case)
    given = ConsentRecord.objects.get(case=case)
    assert (given.how, given.recorded_by) == ("nurse", w.users["nina"])
    client = as_user(citizen)
    page = text(client.get("/borger/"))
    assert "Withdraw my consent" in page and consent.texts().withdrawal("en") in page
    agreement = client.get("/borger/aftale.pdf")
    assert agreement["Content-Type"] == "application/pdf"
    assert consent.texts().agreement.title("en") in pdf_text(agreement.content)

    assert client.post("/borger/samtykke/traek-tilbage/").status_code == 302
    case.refresh_from_db()
    assert (case.state, case.end_reason) == ("ended", "withdrew")
    withdrawn = ConsentRecord.objects.filter(case=case).latest("id")
    assert (withdrawn.kind, withdrawn.how, withdrawn.recorded_by) == ("withdrawn", "citizen", citizen)
    ended = AuditEntry.objects.get(what="aps.end")
    assert ended.role == "citizen" and ended.detail["record"] == str(withdrawn.public_id)
    page = text(client.get("/borger/"))
    assert page.count('data-testid="consent-record"') == 2 and "Withdraw my consent" not in page
    assert client.get("/borger/aftale.pdf").status_code == 404  # no agreement after the end
    words = pdf_text(client.get(f"/borger/samtykke/{withdrawn.public_id}/kvittering.pdf").content)
    assert "withdrawn" in words
    # again: refused, nothing more
    client.post("/borger/samtykke/traek-tilbage/")
    assert ConsentRecord.objects.filter(case=case).count() == 2


def test_the_nurse_records_a_withdrawal_as_the_end_of_support(story, as_user):
    w, case, *_ = story
    nina = w.users["nina"]
    actions.record_consent(nina, case)
    Goal.objects.create(case=case, text="Gå en tur hver dag")
    actions.end_support(nina, case, "withdrew")
    assert [(r.kind, r.how) for r in ConsentRecord.objects.filter(case=case)] == [("given", "nurse"),
                                                                                   ("withdrawn", "nurse")]
    other = make_case(w.persons["p3"], nina, w.users["pia"], "active", started_at=timezone.now())
    actions.end_support(nina, other, "died")
    assert not ConsentRecord.objects.filter(case=other).exists()  # only a withdrawal is one
    # the nurse's page shows the consent text to read out before she records it
    fresh = make_case(w.persons["p4"], nina, w.users["pia"], "invited")
    page = text(as_user(nina).get(f"/aps/forloeb/{fresh.pk}/"))
    assert 'data-testid="consent-text"' in page and consent.texts().consent.paragraphs("en")[2] in page
