"""After the MDT in a real browser (Debian's chromium via Playwright) against a real server
process: the specialist holds an MDT conference for a patient with the municipality, the GP and a
relative by video, concludes it, makes tasks from the discharge checklist and one by hand, and
writes the shared plan; the municipality's user sees only the municipality's tasks and completes
one, and changes the shared plan; the GP practice sees that change and the history; the auditor
finds the change in the log; a role not granted the plan cannot open it by URL (other
organisations by URL: test_careplan_http.py)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.support.clock import local_today
from tests.web import web_kit
from tests.web.web_kit import CPR, NAMES

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    home = tmp_path_factory.mktemp("careplan") / "home"
    with web_kit.published_site(home) as server:
        yield server


def log_out(page) -> None:
    page.get_by_role("button", name="Log ud").click()


def test_mdt_with_the_municipality_makes_tasks_the_municipality_completes_and_the_gp_sees_the_plan(page, site):
    web_kit.log_in(page, site, "speciallaege")
    page.locator("article.patient", has_text=NAMES["A"]).get_by_role("button", name="Start MDT-konference").click()
    page.wait_for_url(re.compile(r"/lister/mdt/\d+/$"))
    mdt_url = page.url
    # participants beyond the department: the municipality, the GP by video, a relative by video
    page.get_by_role("link", name="Deltagere og opgaver efter MDT").click()
    page.wait_for_url(re.compile(r"/samarbejde/mdt/\d+/$"))
    follow_up_url = page.url
    for kind, name, profession, link in [("Kommune", "Karen Kommune", "Visitator", ""),
                                         ("Egen læge", "Lars Læge", "", "https://video.example/lars"),
                                         ("Pårørende", "Birthe Jensen", "datter", "https://video.example/birthe")]:
        page.get_by_label("Deltager", exact=True).select_option(label=kind)
        page.get_by_label("Navn", exact=True).fill(name)
        page.get_by_label("Faggruppe eller relation").fill(profession)
        page.get_by_label("Videolink").fill(link)
        page.get_by_role("button", name="Tilføj deltager").click()
        expect(page.get_by_text("Deltageren er tilføjet.")).to_be_visible()
    participants = page.locator("#participants")
    expect(participants.locator("tr", has_text="Karen Kommune")).to_contain_text("Odense")
    expect(participants).to_contain_text("Birthe Jensen")
    expect(participants.get_by_role("link", name="video")).to_have_count(2)
    # the conference's minimum content and its conclusion
    page.goto(mdt_url)
    for label, value in [("Konferencedato", local_today().strftime("%d-%m-%Y")),
                         ("Deltagere", "overlæge, sygeplejerske"),
                         ("Ultrakort anamnese", "KOL, 3 akutte indlæggelser på 4 mdr."),
                         ("Komorbiditet", "Hjertesvigt"), ("Kliniske fund", "Stabil"),
                         ("Parakliniske fund", "CRP 12"), ("Funktionsniveau", "Går med rollator"),
                         ("Sociale forhold", "Bor alene"),
                         ("Anbefaling", "Følge-hjem og faldscreening i hjemmet; kontrol hos egen læge")]:
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_label("anbefaler handling ved kommunen").check()
    page.get_by_label("Afslut konferencen").check()
    page.get_by_role("button", name="Gem").click()
    page.get_by_text("MDT-konferencen er afsluttet.").wait_for()
    # its recommendation becomes tasks: three checklist items and one by hand
    page.goto(follow_up_url)
    for item in ("Følge-hjem: mød den regionale sygeplejerske i borgerens hjem",
                 "Ringe-hjem: en regional sygeplejerske ringer til hjemmet eller den kommunale sygeplejerske efter udskrivelsen",
                 "Nye aftaler med egen læge om livsforlængende behandling efter udskrivelsen"):
        page.get_by_label(item).check()
    page.get_by_role("button", name="Opret opgaver af de afkrydsede punkter").click()
    expect(page.get_by_text("3 opgaver oprettet fra tjeklisten.")).to_be_visible()
    page.get_by_label("Opgave", exact=True).fill("Faldscreening i hjemmet")
    page.get_by_label("Ansvarlig (sektor)").select_option(label="Kommune")
    page.get_by_label("Ansvarlig (faggruppe)").select_option(label="Kommunal terapeut")
    page.get_by_label("Forfald").fill((local_today() + dt.timedelta(days=5)).strftime("%d-%m-%Y"))
    page.get_by_role("button", name="Opret opgaven").click()
    expect(page.get_by_text("Opgaven er oprettet.")).to_be_visible()
    expect(page.locator("#tasks tbody tr")).to_have_count(4)
    web_kit.shot(page, "careplan-after-mdt")
    # the shared plan's first version
    page.get_by_role("link", name="Fælles plan").first.click()
    page.wait_for_url(re.compile(r"/samarbejde/plan/[0-9a-f-]{36}/$"))
    plan_path = page.url.removeprefix(site.url)
    page.get_by_label("Borgerens ønsker og mål").fill("Vil gerne blive boende hjemme")
    page.get_by_label("Hvad har du ændret?").fill("Første udgave efter MDT")
    page.get_by_role("button", name="Gem en ny version").click()
    expect(page.get_by_text("Den fælles plan er gemt som en ny version.")).to_be_visible()
    expect(page.locator("#plan-version")).to_contain_text("Version 1")
    log_out(page)

    # the municipality sees its two tasks only, completes one and adds its part to the plan
    web_kit.log_in(page, site, "kommune")
    page.get_by_role("link", name="Opgaver", exact=True).first.click()
    board = page.locator("#board tbody")
    expect(board.locator("tr")).to_have_count(2)
    expect(board).to_contain_text("Faldscreening i hjemmet")
    expect(board).to_contain_text("Følge-hjem: mød den regionale sygeplejerske")
    expect(board).not_to_contain_text("Ringe-hjem")
    expect(board).not_to_contain_text("Nye aftaler med egen læge")
    row = board.locator("tr", has_text="Faldscreening i hjemmet")
    row.get_by_role("button", name="Markér som udført").click()
    expect(page.get_by_text("Status for opgaven er gemt.")).to_be_visible()
    expect(page.locator("#board tbody tr")).to_have_count(1)
    page.get_by_role("link", name="Vis alle").click()
    expect(page.locator("#board tbody tr", has_text="Faldscreening i hjemmet").locator("td.status")).to_have_text("Udført")
    web_kit.shot(page, "careplan-board")
    page.locator("#board tbody tr", has_text="Faldscreening i hjemmet").get_by_role("link", name="Fælles plan").click()
    page.wait_for_url(re.compile(r"/samarbejde/plan/"))
    page.get_by_label("Kommunens indsats").fill("Hjemmesygepleje 2 gange om ugen; faldscreening udført")
    page.get_by_label("Hvad har du ændret?").fill("Kommunens indsats tilføjet")
    page.get_by_role("button", name="Gem en ny version").click()
    expect(page.locator("#plan-version")).to_contain_text("Version 2")
    log_out(page)

    # the GP practice sees the municipality's change and the history
    web_kit.log_in(page, site, "laegepraksis")
    page.get_by_role("link", name="Opgaver", exact=True).first.click()
    expect(page.locator("#board tbody tr")).to_have_count(1)
    page.locator("#board tbody tr").get_by_role("link", name="Fælles plan").click()
    page.wait_for_url(re.compile(r"/samarbejde/plan/"))
    expect(page.locator("[data-section=municipality]")).to_have_text("Hjemmesygepleje 2 gange om ugen; faldscreening udført")
    expect(page.locator("#plan-version")).to_contain_text("Version 2")
    expect(page.locator("#plan-version")).to_contain_text("Karen Kommune (Odense)")
    expect(page.locator("#plan-history details")).to_have_count(2)
    expect(page.locator("#plan-history")).to_contain_text("Kommunens indsats tilføjet")
    web_kit.shot(page, "careplan-plan")
    log_out(page)

    # the municipality's acute team (a role not granted the plan) cannot open it by URL
    web_kit.log_in(page, site, "akutsygeplejerske")
    response = page.goto(site.url + plan_path)
    assert response.status in (403, 404) and "Hjemmesygepleje" not in page.content()
    log_out(page)

    # the auditor finds the change in the log
    web_kit.log_in(page, site, "revisor")
    page.get_by_label("Personens CPR-nummer").fill(f"{CPR['A'][:6]}-{CPR['A'][6:]}")
    page.get_by_label("Begrundelse for søgningen").fill("Stikprøve fælles plan")
    page.get_by_role("button", name="Søg").click()
    log = page.locator("tbody")
    expect(log).to_contain_text("Fælles plan ændret (ny version)")
    expect(log).to_contain_text("Opgavens status ændret")
    text = log.inner_text()
    assert "kommune" in text and "laegepraksis" in text
