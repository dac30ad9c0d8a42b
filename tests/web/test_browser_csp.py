"""The Content-Security-Policy in a real browser (Debian's chromium via Playwright) against a real
server: every page of every role's menu loads without a CSP violation, htmx still swaps a
screening form, and the language menu (its ``onchange`` moved to opspor.js) still switches."""

from __future__ import annotations

import pytest
import web_kit
from playwright.sync_api import expect
from web_kit import NAMES

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


def log_in(page, site, username: str) -> None:
    page.goto(f"{site.url}/konto/log-ind/")
    page.get_by_label("Brugernavn").fill(username)
    page.get_by_label("Adgangskode").fill(site.users[username]["password"])
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_load_state("networkidle")


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
