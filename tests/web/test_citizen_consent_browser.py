"""Contact details and consent (issue 14 items 5-7) in a real browser on a phone-sized viewport
(390×844): the citizen logs in through the loopback OpenID provider, writes their own phone
number and chooses SMS for invitations, the nurse's day view offers that number as a tel: link,
the citizen reads the versioned consent text and says yes, downloads the PDF receipt, and reads
the written agreement; each citizen page passes axe-core's WCAG 2.1 AA rules without sideways
scrolling."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.support import oidc, pdf_text
from tests.web import web_kit
from tests.web.test_citizen_browser import PHONE, check_accessible, mitid_log_in
from tests.web.web_kit import CPR, NAMES

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    accounts = {"borger-a": {"dk.cpr": CPR["A"], "name": NAMES["A"]}}
    with oidc.provider(tmp_path_factory.mktemp("idp"), accounts) as issuer, \
            web_kit.published_site(tmp_path_factory.mktemp("site") / "home", env=oidc.door_env("citizen", issuer)) as server:
        code = f"""
import datetime as dt, json
from django.utils import timezone
from opspor.web.accounts.models import User
from opspor.web.aps import actions as a
from opspor.web.people.models import Person
lead, nurse = User.objects.get(username="programleder"), User.objects.get(username="sygeplejerske")
person = Person.objects.get(cpr={CPR['A']!r})
case = a.invite(lead, person, nurse)
call = a.plan_session(nurse, case, "invitation", timezone.now() + dt.timedelta(minutes=5))
print(json.dumps({{"case": case.pk, "day": timezone.localdate(call.planned_for).isoformat()}}))
"""
        done = server.run_opspor("manage", "shell", "-c", code, check=True)
        server.story = json.loads(done.stdout.strip().splitlines()[-1])
        yield server


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale="da-DK", bypass_csp=True, accept_downloads=True, **PHONE)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_the_citizen_updates_contact_details_and_consents_on_the_phone(phone, page, site):
    day_url = f"{site.url}/aps/min-dag/?dato={site.story['day']}"
    web_kit.log_in(page, site, "sygeplejerske")
    page.goto(day_url)
    expect(page.locator("#bucket-calls").get_by_test_id("call-number")).to_contain_text("21 22 23 24")  # the drop's

    mitid_log_in(phone, site, "borger-a")
    expect(phone).to_have_url(f"{site.url}/borger/")
    expect(phone.get_by_test_id("contact-details")).to_contain_text("21 22 23 24")
    phone.get_by_role("link", name="Ændr hvordan vi får fat i dig").click()
    check_accessible(phone)
    phone.get_by_label("Dit telefonnummer").fill("12")
    phone.get_by_role("button", name="Gem").click()
    expect(phone.get_by_text("Skriv dit telefonnummer med 8 cifre")).to_be_visible()
    check_accessible(phone)  # the error is tied to its field
    phone.get_by_label("Dit telefonnummer").fill("40 50 60 70")
    phone.get_by_label("SMS").check()
    phone.get_by_role("button", name="Gem").click()
    expect(phone.get_by_text("Tak. Dine kontaktoplysninger er gemt.")).to_be_visible()
    expect(phone.get_by_test_id("contact-details")).to_contain_text("40 50 60 70")
    expect(phone.get_by_test_id("contact-details")).to_contain_text("som du har valgt")

    page.goto(day_url)
    link = page.locator("#bucket-calls").get_by_test_id("call-number").get_by_role("link")
    expect(link).to_have_attribute("href", "tel:+4540506070")

    # consent: the text and its version, then yes
    consent = phone.get_by_test_id("consent")
    expect(consent.get_by_role("heading", name="Samtykke til Aktiv Patientstøtte")).to_be_visible()
    expect(consent).to_contain_text("Det er frivilligt.")
    expect(consent).to_contain_text("Samtykketekst, version 1.")
    check_accessible(phone)
    consent.get_by_role("button", name="Ja, jeg vil gerne være med").click()
    expect(phone.get_by_text("Tak. Du har sagt ja til Aktiv Patientstøtte.")).to_be_visible()
    expect(phone.get_by_test_id("consent-record")).to_contain_text("Samtykke givet")
    expect(phone.get_by_test_id("agreement")).to_contain_text("Vores aftale med dig")
    expect(phone.get_by_test_id("agreement")).to_contain_text("Nina Sygeplejerske")
    check_accessible(phone)
    web_kit.shot(phone, "citizen-consent")
    downloads = []  # page.on, not expect_download: the fixtures hide Playwright's loop from tests
    phone.on("download", lambda d: downloads.append(d))
    phone.get_by_test_id("consent-record").get_by_role("link", name="Kvittering (PDF)").click()
    for _ in range(100):
        if downloads:
            break
        phone.wait_for_timeout(100)
    assert downloads, "no download"
    with open(downloads[0].path(), "rb") as f:
        receipt = " ".join(pdf_text(f.read()).split())
    assert "Kvittering: samtykke til Aktiv Patientstøtte" in receipt and NAMES["A"] in receipt
    assert "Version 1 af samtykketeksten" in receipt and "Af borgeren på egen side (MitID)" in receipt

    # the nurse sees the record on the case page
    page.goto(f"{site.url}/aps/forloeb/{site.story['case']}/")
    expect(page.get_by_test_id("consent-record")).to_contain_text("Af borgeren på egen side (MitID)")
