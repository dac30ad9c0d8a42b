"""The Content-Security-Policy in a real browser (Debian's chromium via Playwright) against a real
server: every page of every role's menu loads without a CSP violation, htmx still swaps a
screening form, and the language menu (its ``onchange`` moved to opspor.js) still switches.
And the auditor prints a person's access report or saves it as a PDF."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.web import web_kit
from tests.web.web_kit import CPR, NAMES

pytestmark = pytest.mark.browser

ROLES = ("speciallaege", "sygeplejerske", "programleder", "kommune", "sekretariat", "revisor")
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    home = tmp_path_factory.mktemp("csp") / "home"
    with web_kit.published_site(home) as server:
        yield server


log_in = web_kit.log_in


def violations(page) -> list[str]:
    return page.evaluate("window.__csp || []")


def test_no_csp_violation_on_the_main_pages(page, site):
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.add_init_script(WATCH)
    seen = []
    for username in ROLES:
        log_in(page, site, username)
        links = page.locator("header nav a").evaluate_all("(as) => as.map((a) => a.href)")
        assert links, username
        for url in links:
            response = page.goto(url)
            page.wait_for_load_state("networkidle")
            assert response.status == 200, url
            assert "script-src 'self'" in response.headers["content-security-policy"], url
            assert response.headers["cache-control"] == "no-store", url
            assert violations(page) == [], (url, violations(page))
            seen.append(url)
        page.get_by_role("button", name="Log ud").click()
    assert len(seen) >= 12
    assert not [m for m in console if "Content Security Policy" in m], console


def test_htmx_and_the_language_menu_work_under_the_csp(page, site):
    page.add_init_script(WATCH)
    log_in(page, site, "speciallaege")
    patient = page.locator("article.patient", has_text=NAMES["C"])
    patient.get_by_label("Ingen handling").check()
    patient.get_by_role("button", name="Gem beslutning").click()
    page.locator("article.patient", has_text=NAMES["C"]).get_by_text("Gemt", exact=True).wait_for()  # htmx swap
    page.locator("#lang-select").select_option("en")  # no button: the script sends the form
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert page.locator("html").get_attribute("lang") == "en"
    page.locator("#lang-select").select_option("da")
    expect(page.get_by_role("button", name="Log ud")).to_be_visible()
    assert violations(page) == []


def test_auditor_prints_or_downloads_the_access_report(page, site):
    page.add_init_script(WATCH)
    log_in(page, site, "speciallaege")  # a read of C's data to report
    page.locator("article.patient", has_text=NAMES["C"]).get_by_role("link", name="Historik").click()
    page.wait_for_url(re.compile(r"/personer/"))
    page.get_by_role("button", name="Log ud").click()
    log_in(page, site, "revisor")
    page.goto(f"{site.url}/revision/indsigt/")
    page.get_by_label("Personens CPR-nummer").fill(CPR["C"])
    page.get_by_label("Begrundelse").fill("Borgerens anmodning")
    download = web_kit.download_of(page, page.get_by_role("button", name="Hent som PDF").click)
    assert download.suggested_filename.startswith("indsigtsrapport-")
    with open(download.path(), "rb") as f:
        assert f.read(5) == b"%PDF-"
    page.get_by_role("button", name="Lav rapport").click()
    report = page.locator("section.card", has_text="Sofie")
    expect(report).to_be_visible()
    page.emulate_media(media="print")  # what the printer gets: the report, not the menu or the form
    expect(report).to_be_visible()
    expect(page.locator("header.top")).to_be_hidden()
    expect(page.get_by_role("button", name="Lav rapport")).to_be_hidden()
    assert violations(page) == []
