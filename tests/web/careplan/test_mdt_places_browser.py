"""A place from the service directory booked from the MDT conference in a real browser (Debian's
chromium via Playwright) against a real server process with the example directory loaded: the
specialist opens an MDT conference, searches the directory on the page after the MDT, books a free
acute bed for the patient, sees it there and in the shared plan with one free place fewer in the
directory, and releases it again (issue 16 item 2; HTTP refusals: test_careplan_places.py)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.web import web_kit
from tests.web.web_kit import NAMES

pytestmark = pytest.mark.browser
BEDS = "Akutpladser, Odense Kommune"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    home = tmp_path_factory.mktemp("mdt-places") / "home"
    with web_kit.published_site(home, ("web", "directory-load", "--example")) as server:
        yield server


def free_beds(page, site) -> str:
    page.goto(f"{site.url}/tilbud/?q=Akutpladser")
    return page.locator("#offers tr", has_text=BEDS).locator("[data-test=free]").inner_text()


def test_the_specialist_books_an_acute_bed_from_the_mdt_and_releases_it(page, site):
    web_kit.log_in(page, site, "speciallaege")
    page.locator("article.patient", has_text=NAMES["A"]).get_by_role("button", name="Start MDT-konference").click()
    page.wait_for_url(re.compile(r"/lister/mdt/\d+/$"))
    page.get_by_role("link", name="Deltagere og opgaver efter MDT").click()
    page.wait_for_url(re.compile(r"/samarbejde/mdt/\d+/$"))
    follow_up = page.url
    before = int(free_beds(page, site))
    page.goto(follow_up)
    places = page.locator("#places")
    expect(places.locator("#booked-places")).to_contain_text("Ingen plads er booket fra denne konference.")
    places.get_by_label("Søg i tilbudsoversigten").fill("akut")
    places.get_by_label("Type").select_option(label="Akutplads")
    places.get_by_role("button", name="Søg").click()
    expect(page.locator("#free-offers tbody tr")).to_have_count(1)
    page.get_by_role("button", name=f"Book en plads i {BEDS}").click()
    expect(page.get_by_text(f"Plads booket i {BEDS}.")).to_be_visible()
    expect(page.locator("#booked-places tbody tr", has_text=BEDS)).to_contain_text("booket")
    web_kit.shot(page, "careplan-mdt-place")
    # the shared plan shows it; the directory counts it
    page.get_by_role("link", name="Fælles plan").first.click()
    page.wait_for_url(re.compile(r"/samarbejde/plan/"))
    expect(page.locator("#plan-places")).to_contain_text(BEDS)
    assert int(free_beds(page, site)) == before - 1
    # released again from the conference
    page.goto(follow_up)
    page.get_by_role("button", name=f"Frigiv pladsen i {BEDS}").click()
    expect(page.get_by_text("Pladsen er frigivet.")).to_be_visible()
    expect(page.locator("#booked-places tbody tr", has_text=BEDS)).to_contain_text("frigivet")
    assert int(free_beds(page, site)) == before
