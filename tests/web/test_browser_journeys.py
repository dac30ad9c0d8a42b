"""The main journeys in a real browser (Debian's chromium via Playwright) against a real
server process: a specialist screens today's list and holds an MDT conference; a user of
another department cannot reach that patient by URL; an auditor finds the reads.

With OPSPOR_SCREENSHOTS_DIR set, the main pages are saved there as PNG (docs/screenshots is
made with: OPSPOR_SCREENSHOTS_DIR=docs/screenshots .venv/bin/python -m pytest tests/web -k browser).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import web_kit
from fixtures_server import start_server
from playwright.sync_api import expect
from web_kit import CPR, NAMES

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A server with the hand-made lists of 2026-03-04 published and the demo users."""
    home = tmp_path_factory.mktemp("site") / "home"
    with start_server(home) as server:
        drop = web_kit.lists_kit.write_drop(home.parent / "drop")
        server.run_opspor("ingest", str(drop), check=True)
        server.run_opspor("lists", "run", "--as-of", web_kit.AS_OF, check=True)
        server.run_opspor("web", "migrate", check=True)
        server.run_opspor("web", "publish", check=True)
        server.run_opspor("web", "demo-users", check=True)
        server.users = {u["username"]: u for u in json.loads((home / "demo-users.json").read_text())}
        yield server


def shot(page, name: str) -> None:
    folder = os.environ.get("OPSPOR_SCREENSHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def log_in(page, site, username: str) -> None:
    page.goto(f"{site.url}/konto/log-ind/")
    page.get_by_label("Brugernavn").fill(username)
    page.get_by_label("Adgangskode").fill(site.users[username]["password"])
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_load_state("networkidle")


def log_out(page) -> None:
    page.get_by_role("button", name="Log ud").click()


def test_specialist_screens_todays_list_and_holds_an_mdt(page, site):
    log_in(page, site, "speciallaege")
    assert page.url.endswith("/lister/")
    patient = page.locator("article.patient", has_text=NAMES["A"])
    expect(patient.get_by_text("Ny i dag")).to_be_visible()
    assert NAMES["A"] in page.locator("article.patient h2").first.inner_text()  # new first
    shot(page, "worklist")
    # include without a category: a clear error, keyboard-reachable
    patient.get_by_label("Inkludér").check()
    patient.get_by_role("button", name="Gem beslutning").click()
    patient = page.locator("article.patient", has_text=NAMES["A"])
    expect(patient.get_by_text("Vælg den kategori, patienten inkluderes i.")).to_be_visible()
    patient.get_by_label("Ældre og multisyge").check()
    patient.get_by_label("Kort note").fill("Bor alene, 3 indlæggelser med KOL")
    patient.get_by_role("button", name="Gem beslutning").click()
    patient = page.locator("article.patient", has_text=NAMES["A"])
    patient.get_by_text("Gemt", exact=True).wait_for()
    expect(patient.get_by_test_id("decision")).to_contain_text("Inkludér: Ældre og multisyge")
    # the other patient: no action
    other = page.locator("article.patient", has_text=NAMES["C"])
    other.get_by_label("Ingen handling").check()
    other.get_by_role("button", name="Gem beslutning").click()
    page.locator("article.patient", has_text=NAMES["C"]).get_by_text("Gemt", exact=True).wait_for()
    # MDT conference for A
    page.locator("article.patient", has_text=NAMES["A"]).get_by_role("button", name="Start MDT-konference").click()
    page.wait_for_url(re.compile(r"/lister/mdt/\d+/$"))
    for label, value in [("Konferencedato", "2026-03-05"), ("Deltagere", "overlæge, sygeplejerske, socialrådgiver"),
                         ("Ultrakort anamnese", "KOL, 3 akutte indlæggelser på 4 mdr."),
                         ("Komorbiditet", "Hjertesvigt, type 2-diabetes"), ("Kliniske fund", "Stabil, let dyspnø"),
                         ("Parakliniske fund", "CRP 12, Hb 7,9"), ("Funktionsniveau", "Går med rollator"),
                         ("Sociale forhold", "Bor alene, ingen pårørende i nærheden"),
                         ("Anbefaling", "Henvis til Aktiv Patientstøtte; kommunal sygepleje 2 x ugentligt")]:
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_label("anbefaler handling ved kommunen").check()
    page.get_by_label("Afslut konferencen").check()
    shot(page, "mdt")
    page.get_by_role("button", name="Gem").click()
    page.get_by_text("MDT-konferencen er afsluttet.").wait_for()
    assert "Henvis til Aktiv Patientstøtte" in page.get_by_test_id("recommendation").inner_text()
    # the patient's history shows the decision
    page.goto(f"{site.url}/lister/")
    page.locator("article.patient", has_text=NAMES["A"]).get_by_role("link", name="Historik").click()
    assert "Ældre og multisyge" in page.content()
    site.patient_a_url = page.url
    shot(page, "person")
    log_out(page)


def test_another_department_cannot_open_the_patient_by_url(page, site):
    url = getattr(site, "patient_a_url", None)
    assert url, "runs after the specialist's journey"
    log_in(page, site, "speciallaege2")
    response = page.goto(url)
    assert response.status == 404
    assert "Ikke fundet" in page.content() and NAMES["A"] not in page.content()
    log_out(page)


def test_auditor_finds_the_reads(page, site):
    log_in(page, site, "revisor")
    page.get_by_label("Personens CPR-nummer").fill(f"{CPR['A'][:6]}-{CPR['A'][6:]}")
    page.get_by_label("Begrundelse for søgningen").fill("Stikprøve 2026-03")
    page.get_by_role("button", name="Søg").click()
    rows = page.locator("tbody tr")
    text = page.locator("tbody").inner_text()
    assert rows.count() >= 4
    assert "speciallaege" in text and "worklist" in text and "screening" in text and "mdt.conclude" in text
    assert "speciallaege2" not in text  # the 404 was not a read
    assert CPR["A"] not in page.url
    shot(page, "audit")
    page.goto(f"{site.url}/revision/indsigt/")
    page.get_by_label("Personens CPR-nummer").fill(CPR["A"])
    page.get_by_label("Begrundelse").fill("Borgerens anmodning")
    page.get_by_role("button", name="Lav rapport").click()
    assert "Sofie Speciallæge" in page.locator("tbody").inner_text()
    log_out(page)
