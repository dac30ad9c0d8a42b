"""The explained lists in a real browser (Debian's chromium via Playwright) against a real server
(issue 19, items 1 and 5): the specialist reads why each patient is on the list and why contacts
do not count, switches to the compact table, filters and sorts it; the programme lead reads what
each score predicts, opens a person's top factors and the model's report. Both pages are checked
for sideways scrolling on a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from opspor.risk import settings as risk_settings
from opspor.rules.concepts import shipped as concepts
from tests.web import risk_kit, web_kit
from tests.web.test_browser_layout import OVERFLOW
from tests.web.web_kit import NAMES

pytestmark = pytest.mark.browser

ELIGIBLE_KEYS = "from opspor.web.aps.models import EligibilityEntry\n" \
    "for e in EligibilityEntry.objects.filter(excluded=False).select_related('person').order_by('person__person_key'):\n" \
    "    print(e.person.person_key, e.region_code)"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The hand-made lists of 2026-03-04 published, and risk scores with explanations for the
    eligible persons (A and D) stored as the risk module stores them."""
    home = tmp_path_factory.mktemp("explained") / "home"
    with web_kit.published_site(home) as server:
        out = server.run_opspor("manage", "shell", "-c", ELIGIBLE_KEYS, check=True).stdout
        pairs = re.findall(r"^(\S+) (\d{4})$", out, re.M)
        assert len(pairs) == 2, out
        factors = ["3 akutte indlæggelser sidste 3 mdr.; KOL; 87 år", "hjertesvigt; 75 år"]
        risk_kit.store(home, [(key, region, score, why) for (key, region), score, why
                              in zip(pairs, (0.86, 0.31), factors, strict=True)])
        server.factors = dict(zip((k for k, _ in pairs), factors, strict=True))
        yield server


def no_sideways_scroll(page) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    found = page.evaluate(OVERFLOW)
    assert found["scroll"] <= found["inner"], found
    page.set_viewport_size({"width": 1280, "height": 900})


def test_the_specialist_reads_why_and_uses_the_table(page, site):
    web_kit.log_in(page, site, "speciallaege")
    expect(page.get_by_test_id("rule")).to_contain_text(
        "Hvem står på listen: patienter med mindst 3 kontakter, der hver er akut kontakt, fysisk fremmøde")
    a = page.locator("article.patient", has_text=NAMES["A"])
    expect(a.get_by_test_id("why")).to_have_text(
        "På listen på grund af: 3 tællende kontakter inden for 182 dage på OUH (reglen kræver mindst 3).")
    expect(a.locator("tr", has_text="01-02-2026 09:00").get_by_test_id("counts")).to_have_text("nej: planlagt")
    expect(a.locator("tr", has_text="01-10-2025 10:00")).to_contain_text("DR060 Åndenød")
    c = page.locator("article.patient", has_text=NAMES["C"])
    expect(c.get_by_test_id("why")).to_contain_text("3 tællende kontakter inden for 182 dage på SLB")
    expect(c.locator("tr", has_text="20-02-2026 10:00").get_by_test_id("counts")).to_have_text("nej: telefon")
    expect(c.locator("tr", has_text="15-02-2026 10:00").get_by_test_id("counts")).to_have_text(
        "nej: ude-/hjemmebesøg (AAF6)")
    no_sideways_scroll(page)
    # the compact table: both patients, then filtered and sorted by clicking
    page.get_by_test_id("view-table").click()
    rows = page.get_by_test_id("worklist-table").get_by_test_id("row")
    expect(rows).to_have_count(2)
    page.get_by_test_id("filter-new").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(NAMES["A"])
    expect(page.get_by_test_id("filter-new")).to_have_attribute("aria-pressed", "true")
    page.get_by_test_id("filter-new").click()  # off again
    expect(rows).to_have_count(2)
    page.get_by_role("link", name="Alder", exact=True).click()
    expect(rows.first).to_contain_text(NAMES["C"])  # 35 years before 86
    expect(page.get_by_role("columnheader", name="Alder")).to_have_attribute("aria-sort", "ascending")
    page.get_by_role("link", name="Alder", exact=True).click()
    expect(rows.first).to_contain_text(NAMES["A"])
    page.get_by_test_id("filter-unscreened").click()
    expect(rows).to_have_count(2)  # nobody is screened yet
    assert re.search(r"sort=-age", page.url) and "filter=unscreened" in page.url
    no_sideways_scroll(page)
    web_kit.shot(page, "worklist-table")


def test_the_programme_lead_reads_what_each_score_predicts(page, site):
    web_kit.log_in(page, site, "programleder")
    page.goto(f"{site.url}/aps/program/")
    outcome = risk_settings.load().outcome
    label = " eller ".join(concepts().label(n.strip(), "da") for n in outcome.concept.split("|"))
    months = int(outcome.horizon.rstrip("m"))
    top = page.locator("table.pool tbody tr").first
    expect(top.get_by_test_id("risk")).to_contain_text(f"86 % risiko for {label} inden for {months} måneder")
    top.get_by_text("Vigtigste faktorer").click()
    expect(top.locator(".factors li")).to_have_text(["3 akutte indlæggelser sidste 3 mdr.", "KOL", "87 år"])
    second = page.locator("table.pool tbody tr").nth(1)
    expect(second.get_by_test_id("risk")).to_contain_text(f"31 % risiko for {label}")
    expect(second.locator(".factors li")).to_have_count(2)
    no_sideways_scroll(page)
    web_kit.shot(page, "pool-explained")
    page.get_by_test_id("model-report").click()
    expect(page.get_by_role("heading", name="Evaluering af risikomodellen")).to_be_visible()
