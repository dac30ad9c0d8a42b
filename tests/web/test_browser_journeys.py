"""The main journeys in a real browser (Debian's chromium via Playwright) against a real
server process: a specialist screens today's list and holds an MDT conference; a user of
another department cannot reach that patient by URL; an auditor finds the reads. And Aktiv
Patientstøtte: the programme lead invites a person to a support nurse, who takes the patient
from consent to the end of support; another nurse cannot open the case.

With OPSPOR_SCREENSHOTS_DIR set, the main pages are saved there as PNG (docs/screenshots is
made with: OPSPOR_SCREENSHOTS_DIR=docs/screenshots .venv/bin/python -m pytest tests/web -k browser).
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from opspor import cpr as cprlib
from tests.web import web_kit
from tests.web.web_kit import CPR, NAMES

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A server with the hand-made lists of 2026-03-04 published and the demo users."""
    home = tmp_path_factory.mktemp("site") / "home"
    with web_kit.published_site(home) as server:
        yield server


shot = web_kit.shot


log_in = web_kit.log_in


def test_the_site_has_an_icon(page, site):
    """Browsers and tools ask for /favicon.ico; the pages link the icon."""
    icon = page.request.get(f"{site.url}/favicon.ico")
    assert icon.ok and icon.headers["content-type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    page.goto(f"{site.url}/konto/log-ind/")
    linked = page.locator("link[rel=icon]").get_attribute("href")
    assert page.request.get(site.url + linked).ok


def log_out(page) -> None:
    page.get_by_role("button", name="Log ud").click()


def test_specialist_then_another_department_then_the_auditor(page, site):
    """One story, in order: the later steps look for what the first one did."""
    patient_url = specialist_screens_todays_list_and_holds_an_mdt(page, site)
    another_department_cannot_open_the_patient_by_url(page, site, patient_url)
    auditor_finds_the_reads(page, site)


def specialist_screens_todays_list_and_holds_an_mdt(page, site) -> str:
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
    # the note stays in its box after saving, after a reload, and is in the export
    expect(patient.get_by_label("Kort note")).to_have_value("Bor alene, 3 indlæggelser med KOL")
    page.reload()
    patient = page.locator("article.patient", has_text=NAMES["A"])
    expect(patient.get_by_label("Kort note")).to_have_value("Bor alene, 3 indlæggelser med KOL")
    csv = page.request.get(site.url + page.get_by_role("link", name="Eksportér CSV").get_attribute("href"))
    assert csv.ok and "Bor alene, 3 indlæggelser med KOL" in csv.text()
    # the summary counts in Danish grammar: "1 ny i dag", never "1 nye i dag"
    new = page.locator("article.patient.is-new").count()
    expect(page.locator("p.lead")).to_contain_text(f"{new} ny i dag" if new == 1 else f"{new} nye i dag")
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
    page.wait_for_url(re.compile(r"/personer/[0-9a-f-]{36}/$"))  # content() mid-navigation is empty
    expect(page.locator("body")).to_contain_text("Ældre og multisyge")
    url = page.url
    shot(page, "person")
    log_out(page)
    return url


def another_department_cannot_open_the_patient_by_url(page, site, url: str) -> None:
    log_in(page, site, "speciallaege2")
    response = page.goto(url)
    assert response.status == 404
    assert "Ikke fundet" in page.content() and NAMES["A"] not in page.content()
    log_out(page)


def auditor_finds_the_reads(page, site) -> None:
    log_in(page, site, "revisor")
    page.get_by_label("Personens CPR-nummer").fill(f"{CPR['A'][:6]}-{CPR['A'][6:]}")
    page.get_by_label("Begrundelse for søgningen").fill("Stikprøve 2026-03")
    page.get_by_role("button", name="Søg").click()
    rows = page.locator("tbody tr")
    text = page.locator("tbody").inner_text()
    assert rows.count() >= 4
    assert "speciallaege" in text and "Afdelingens arbejdsliste" in text and "Screening af dagens liste" in text
    assert "MDT-konference afsluttet" in text and "Speciallæge (afdeling)" in text  # Danish, not codes
    assert "speciallaege2" not in text  # the 404 was not a read
    assert CPR["A"] not in page.url
    shot(page, "audit")
    page.goto(f"{site.url}/revision/indsigt/")
    page.get_by_label("Personens CPR-nummer").fill(CPR["A"])
    page.get_by_label("Begrundelse").fill("Borgerens anmodning")
    page.get_by_role("button", name="Lav rapport").click()
    assert "Sofie Speciallæge" in page.locator("tbody").inner_text()
    log_out(page)


# --------------------------------------------------------------------------- Aktiv Patientstøtte

APS_PERSON = "D"  # eligible, not excluded, region 1083; the specialist story uses A and C


def short_key(site, letter: str) -> str:
    """The pseudonym the programme page shows for a person (first 8 characters of the key)."""
    return cprlib.pseudonym(CPR[letter], site.env["OPSPOR_PSEUDONYM_KEY"].encode())[:8]


def now_local() -> dt.datetime:
    return dt.datetime.now(ZoneInfo("Europe/Copenhagen")).replace(second=0, microsecond=0)


def test_nurse_runs_a_patient_from_invitation_to_end_of_support(page, site):
    """The programme lead invites a person to a nurse; the nurse takes the patient from consent to
    the end of support; another nurse cannot open the case; the lead's look-up is in the log."""
    letter = APS_PERSON
    key, name, cpr = short_key(site, letter), NAMES[letter], CPR[letter]
    case_url = lead_invites_a_person_to_a_nurse(page, site, letter, key)
    nurse_runs_the_case_to_its_end(page, site, name, case_url)
    another_nurse_cannot_open_the_case(page, site, case_url, name)
    auditor_finds_the_lead_s_look_up(page, site, cpr)


def lead_invites_a_person_to_a_nurse(page, site, letter: str, key: str) -> str:
    log_in(page, site, "programleder")
    assert page.url.endswith("/aps/program/")
    # the pool: eligible, not excluded persons of the region, ranked and pseudonymised
    expect(page.get_by_test_id("ranking")).to_be_visible()
    rows = page.locator("table.pool tbody tr")
    expect(rows).to_have_count(2)  # A and D
    assert [rows.nth(i).locator("td.num").first.inner_text() for i in range(2)] == ["1", "2"]
    pool = page.locator("table.pool").inner_text()
    assert key in pool
    for other in NAMES.values():
        assert other not in page.content()
    for number in CPR.values():
        assert number not in page.content() and f"{number[:6]}-{number[6:]}" not in page.content()
    # reveal CPR and name of one person, with a reason (logged)
    row = rows.filter(has=page.locator("code", has_text=key))
    row.get_by_text("Vis CPR-nr. og navn").click()
    row.get_by_label("Årsag (logges)").fill("Forbereder invitationsbrevet")
    row.get_by_role("button", name="Vis", exact=True).click()
    expect(row.get_by_test_id("identity")).to_contain_text(f"{CPR[letter][:6]}-{CPR[letter][6:]}")
    expect(row.get_by_test_id("identity")).to_contain_text(NAMES[letter])
    # the nurse's capacity
    page.get_by_role("link", name="Sygeplejersker og kapacitet").first.click()
    page.wait_for_url(re.compile(r"/aps/sygeplejersker/$"))
    page.get_by_label("Kapacitet for Nina Sygeplejerske").fill("12")
    page.locator("tr", has_text="(sygeplejerske)").get_by_role("button", name="Gem").click()
    expect(page.get_by_text("Kapaciteten for Nina Sygeplejerske er sat til 12.")).to_be_visible()
    expect(page.get_by_test_id("free-sygeplejerske")).to_have_text("12")
    shot(page, "nurses")
    # invite the person; the invitation goes to the nurse
    page.get_by_role("link", name="Program", exact=True).click()
    page.wait_for_url(re.compile(r"/aps/program/$"))
    page.get_by_label(f"Vælg person {key}").check()
    page.get_by_label("Tildel de valgte personers invitationer til").select_option(
        label="Nina Sygeplejerske (12 ledige af 12)")
    page.get_by_role("button", name="Tildel invitationer").click()
    expect(page.get_by_text("1 invitation tildelt Nina Sygeplejerske.", exact=True)).to_be_visible()
    row = page.locator("table.pool tbody tr").filter(has=page.locator("code", has_text=key))
    expect(row).to_contain_text("Inviteret")
    expect(row.get_by_label(f"Vælg person {key}")).to_have_count(0)  # an open case: not invitable again
    case_url = row.get_by_role("link", name=re.compile("^Åbn forløb")).get_attribute("href")
    assert re.fullmatch(r"/aps/forloeb/\d+/", case_url)
    shot(page, "programme")
    log_out(page)
    return site.url + case_url


def nurse_runs_the_case_to_its_end(page, site, name: str, case_url: str) -> None:
    log_in(page, site, "sygeplejerske")
    assert page.url.endswith("/aps/min-dag/")
    invitations = page.locator("#bucket-new_invitations")
    expect(invitations).to_contain_text(name)
    shot(page, "nurse-day")
    invitations.get_by_role("link", name=f"Åbn forløb {name}").click()
    page.wait_for_url(case_url)
    state = page.get_by_test_id("state")
    expect(state).to_have_text("Inviteret")
    # consent (a plain form: POST, redirect)
    page.get_by_role("button", name="Personen giver samtykke").click()
    expect(page.get_by_test_id("confirm")).to_contain_text("Bekræft samtykke")  # asked first
    page.get_by_role("button", name="Ja, registrér samtykke").click()
    expect(page.get_by_text("Samtykke registreret.")).to_be_visible()
    expect(state).to_have_text("Samtykket")
    # the physical start-up session, held now (the form's default time)
    startup = page.locator("#sec-startup")
    startup.get_by_label("Note fra opstartssamtalen").fill("Hjemmebesøg; mål aftalt med patienten og datter")
    startup.get_by_role("button", name="Registrér opstartssamtale").click()
    expect(page.get_by_text("Opstartssamtale registreret. Forløbet er startet.")).to_be_visible()
    expect(state).to_have_text("Aktiv (opstartssamtale holdt)")
    # a telephone session planned for today, then recorded as held with a note (htmx)
    sessions = page.locator("#sec-sessions")
    sessions.get_by_label("Planlagt til").fill(now_local().strftime("%Y-%m-%dT%H:%M"))
    sessions.get_by_role("button", name="Planlæg telefonsamtale").click()
    phone = page.locator("#sec-sessions tr", has_text="Telefonsamtale")
    status = phone.locator("td").nth(2)  # planned for, kind, status, note
    expect(status).to_have_text("Planlagt")
    phone.get_by_text("Registrér samtalen").click()
    phone.get_by_label("Holdt", exact=True).check()
    phone.get_by_label("Note", exact=True).fill("Drikker 1,5 l om dagen; vejer sig dagligt")
    phone.get_by_role("button", name="Gem", exact=True).click()
    expect(status).to_have_text(re.compile(r"^Holdt \d\d-\d\d-\d{4} \d\d:\d\d$"))
    expect(phone.locator("td").nth(3)).to_have_text("Drikker 1,5 l om dagen; vejer sig dagligt")
    expect(page.locator("#sec-sessions").get_by_text("Gemt", exact=True)).to_be_visible()
    # a goal, the self-management plan and a note (htmx)
    goals = page.locator("#sec-goals")
    goals.get_by_label("Nyt mål").fill("Gå en tur på 15 minutter hver dag")
    goals.get_by_role("button", name="Tilføj mål").click()
    expect(page.locator("#sec-goals").get_by_test_id("goal")).to_have_text("Gå en tur på 15 minutter hver dag")
    plan = page.locator("#sec-plan")
    plan.get_by_role("textbox", name="Egenomsorgsplan", exact=True).fill(
        "Ved åndenød: tag inhalator, sid op, ring til egen læge hvis ikke bedre inden 1 time.")
    plan.get_by_role("button", name="Gem ny version").click()
    expect(page.locator("#sec-plan").get_by_test_id("plan")).to_contain_text("Ved åndenød: tag inhalator")
    notes = page.locator("#sec-notes")
    notes.get_by_role("textbox", name="Note", exact=True).fill("Datter ønsker at være med ved næste samtale")
    notes.get_by_role("button", name="Gem note").click()
    expect(page.locator("#sec-notes").get_by_test_id("note")).to_have_text("Datter ønsker at være med ved næste samtale")
    # WHO-5: every answer 3 -> (5 x 3) x 4 = 60, good well-being
    form = page.get_by_test_id("questionnaire-form")
    form.get_by_label("Tidspunkt", exact=True).select_option(label="Udgangspunkt (opstart)")
    answers = form.get_by_role("radio", name="3 – Lidt mere end halvdelen af tiden")
    expect(answers).to_have_count(5)
    for i in range(5):
        answers.nth(i).check()
    form.get_by_role("button", name="Gem svar").click()
    questionnaires = page.locator("#sec-questionnaires")
    expect(questionnaires.get_by_test_id("score")).to_have_text("60")
    expect(questionnaires).to_contain_text("God trivsel (50 eller derover)")
    expect(page.locator("#case-timeline")).to_contain_text("score 60")
    # "support completed" is refused before 6 months; the patient withdrew is allowed
    end = page.locator("#sec-end")
    end.get_by_label("Årsag til afslutning af forløbet").select_option(label="Forløb gennemført")
    end.get_by_role("button", name="Afslut forløbet").click()
    expect(page.locator("#case-errors")).to_contain_text("kan registreres fra")
    expect(state).to_have_text("Aktiv (opstartssamtale holdt)")
    end = page.locator("#sec-end")
    end.get_by_label("Årsag til afslutning af forløbet").select_option(label="Patienten trak sig")
    end.get_by_label('Note (skal udfyldes, når årsagen er "andet")').fill("Ønsker ikke flere opkald")
    end.get_by_role("button", name="Afslut forløbet").click()
    expect(page.get_by_test_id("confirm")).to_contain_text("Patienten trak sig")  # asked first
    page.get_by_role("button", name="Ja, afslut forløbet").click()
    expect(page.get_by_text("Forløbet er afsluttet.")).to_be_visible()
    expect(state).to_have_text("Afsluttet")
    expect(page.locator("#sec-end")).to_contain_text("Patienten trak sig")
    expect(page.locator("#case-timeline")).to_contain_text("Forløb afsluttet")
    shot(page, "case")
    # the caseload shows the ended case
    page.get_by_role("link", name="Mine forløb", exact=True).first.click()
    page.wait_for_url(re.compile(r"/aps/forloeb/$"))
    row = page.locator("tbody tr", has_text=name)
    expect(row).to_contain_text("Afsluttet")
    shot(page, "caseload")
    log_out(page)


def another_nurse_cannot_open_the_case(page, site, case_url: str, name: str) -> None:
    log_in(page, site, "sygeplejerske2")
    response = page.goto(case_url)
    assert response.status == 404
    assert "Ikke fundet" in page.content() and name not in page.content()
    log_out(page)


def auditor_finds_the_lead_s_look_up(page, site, cpr: str) -> None:
    log_in(page, site, "revisor")
    page.get_by_label("Personens CPR-nummer").fill(cpr)
    page.get_by_label("Begrundelse for søgningen").fill("Stikprøve APS 2026-03")
    page.get_by_role("button", name="Søg").click()
    reveal = page.locator("tbody tr", has_text="Identitet vist i programmets pulje")
    expect(reveal).to_have_count(1)
    expect(reveal).to_contain_text("programleder")
    expect(reveal).to_contain_text("Forbereder invitationsbrevet")
    text = page.locator("tbody").inner_text()
    assert "Forløb i Aktiv Patientstøtte" in text and "Forløb afsluttet" in text and "sygeplejerske2" not in text
    log_out(page)
