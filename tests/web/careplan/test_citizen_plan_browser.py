"""The citizen's own section of the shared plan in a real browser (Debian's chromium via
Playwright) on a phone-sized viewport against a real server process (issue 16 item 4): the citizen
logs in with the loopback OpenID provider as through MitID, follows "Skriv dine mål og ønsker i
planen" from their page, writes "Mine mål og ønsker" and reads it back on their page (both pages
pass axe-core's WCAG 2.1 AA rules without sideways scrolling); the department's specialist reads
it in the shared plan, marked as written by the citizen, with no field to change it (HTTP
refusals: test_careplan_sections.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.web import web_kit
from tests.web.test_citizen_browser import _phone_page, check_accessible, mitid_log_in
from tests.web.web_kit import CPR, NAMES

pytestmark = pytest.mark.browser
WORDS = "Jeg vil kunne gå i haven igen og passe mit barnebarn om onsdagen."


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with web_kit.citizen_site(tmp_path_factory, {"borger-a": {"dk.cpr": CPR["A"], "name": NAMES["A"]}}) as server:
        code = f"from opspor.web.people.models import Person; print(Person.objects.get(cpr={CPR['A']!r}).public_id)"
        done = server.run_opspor("manage", "shell", "-c", code, check=True)
        server.person = done.stdout.strip().splitlines()[-1]
        yield server


@pytest.fixture
def phone(browser):
    yield from _phone_page(browser)


def test_the_citizen_writes_their_goals_in_the_plan_and_the_specialist_reads_them(phone, page, site):
    mitid_log_in(phone, site, "borger-a")
    expect(phone).to_have_url(f"{site.url}/borger/")
    phone.get_by_role("link", name="Skriv dine mål og ønsker i planen").click()
    expect(phone).to_have_url(f"{site.url}/borger/plan/")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Mine mål og ønsker i den fælles plan")
    check_accessible(phone)
    phone.get_by_label("Mine mål og ønsker (borgerens egne ord)").fill(WORDS)
    phone.get_by_role("button", name="Gem i planen").click()
    expect(phone).to_have_url(f"{site.url}/borger/#shared-plan")
    expect(phone.get_by_text("Dine ord er gemt i den fælles plan.")).to_be_visible()
    expect(phone.locator("#shared-plan")).to_contain_text(WORDS)
    expect(phone.locator("#shared-plan")).to_contain_text("Version 1")
    check_accessible(phone)
    web_kit.shot(phone, "citizen-plan-own-words")

    web_kit.log_in(page, site, "speciallaege")
    page.goto(f"{site.url}/samarbejde/plan/{site.person}/")
    expect(page.locator("[data-section=citizen_own]")).to_have_text(WORDS)
    expect(page.locator("[data-owner=citizen_own]")).to_have_text("Skrives af borgeren")
    expect(page.get_by_label("Mine mål og ønsker (borgerens egne ord)")).to_have_count(0)
    expect(page.locator("#plan-version")).to_contain_text("(borgeren)")
