"""The risk models' governance in a real browser (chromium via Playwright) against a real server:
a model without an approval cannot be put in use (its button is disabled, and a forced click is
refused by the server); the programme lead proposes, the region's doctor approves, the lead puts
the approved models in use and rolls back to the previous one.

Selectors use URLs and ids, not texts. With OPSPOR_SCREENSHOTS_DIR set, the page is saved there
as docs/screenshots/riskmodels-*.png."""

from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import expect

from tests.web import web_kit
from tests.web.fixtures_server import start_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def site(registry_risk, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    shutil.copytree(registry_risk.risk, home / "risk")
    with start_server(home) as server:
        server.run_opspor("web", "demo-users", check=True)
        import json

        server.users = {u["username"]: u for u in json.loads((home / "demo-users.json").read_text())}
        yield server


def _selected(site) -> str | None:
    path = site.home / "risk" / "SELECTED"
    return path.read_text().strip() if path.exists() else None


def _row(page, model_id: str):
    return page.locator(f"tr#model-{model_id}")


def _step(page, model_id: str, step: str, note: str = ""):
    row = _row(page, model_id)
    if note:
        row.locator("input[name=note]").fill(note)
    row.locator(f'button[formaction$="/{step}/"]').click()
    page.wait_for_load_state("networkidle")


def test_unapproved_model_cannot_be_selected_approved_can_and_rollback_works(page, browser, site, registry_risk):
    boosted, logistic = registry_risk.models["boosted"], registry_risk.models["logistic"]
    web_kit.log_in(page, site, "programleder")
    page.locator('header nav a[href="/risikomodeller/"]').click()
    select = _row(page, boosted).locator('button[formaction$="/select/"]')
    expect(select).to_be_disabled()
    # a forced click (a stale or edited page) is refused by the server, with the fix named
    select.evaluate("b => b.removeAttribute('disabled')")
    select.click()
    page.wait_for_load_state("networkidle")
    expect(page.locator(".msg.error")).to_contain_text("ikke godkendt og kan ikke tages i brug")
    assert _selected(site) is None
    for model in (boosted, logistic):
        _step(page, model, "propose", "Foreslået efter gennemgang af rapporten")
        expect(_row(page, model).locator("td.status")).to_contain_text("foreslået")
    expect(_row(page, boosted).locator('button[formaction$="/select/"]')).to_be_disabled()

    doctor_context = browser.new_context(locale="da-DK", viewport={"width": 1280, "height": 900})
    doctor = doctor_context.new_page()
    web_kit.log_in(doctor, site, "vagtlaege")
    doctor.goto(f"{site.url}/risikomodeller/")
    expect(_row(doctor, boosted).locator('button[formaction$="/select/"]')).to_have_count(0)  # not hers to select
    for model in (boosted, logistic):
        _step(doctor, model, "approve", "Modelkort og fairness gennemgået")
        expect(_row(doctor, model).locator("td.status")).to_contain_text("godkendt")
    doctor.goto(f"{site.url}/risikomodeller/{boosted}/")
    expect(doctor.locator("#approved-by")).to_contain_text("Modelkort og fairness gennemgået")
    web_kit.shot(doctor, "riskmodels-card")
    doctor_context.close()

    page.goto(f"{site.url}/risikomodeller/")
    _step(page, boosted, "select", "Første model i brug")
    expect(_row(page, boosted).locator("td.status")).to_contain_text("i brug")
    assert _selected(site) == boosted
    _step(page, logistic, "select", "Den enkle model")
    assert _selected(site) == logistic
    expect(page.locator("#rollback")).to_contain_text(boosted)
    web_kit.shot(page, "riskmodels-list")
    page.locator("#rollback-note").fill("Tilbage: forkert model valgt")
    page.locator("#rollback").click()
    page.wait_for_load_state("networkidle")
    expect(_row(page, boosted).locator("td.status")).to_contain_text("i brug")
    assert _selected(site) == boosted
    expect(page.locator("#decisions")).to_contain_text("Tilbage: forkert model valgt")
