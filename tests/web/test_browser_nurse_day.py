"""A nurse's whole day in a real browser (Debian's chromium via Playwright) against a real server
process (issue 19 item 6): the programme lead takes in a person referred by a GP who is on no
list (found in the snapshot by CPR number); the nurse finds the case by searching "Mine forløb",
records a call that did not reach the person ("ikke truffet", a new try planned), confirms the
consent, sees the start-up session in her week, and confirms the end of support; the timeline
reads in the order it happened."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from tests.support.clock import local_today
from tests.web import web_kit
from tests.web.web_kit import CPR, NAMES

pytestmark = pytest.mark.browser

F = NAMES["F"]  # one planned contact, no route: on no list, not in the web database until referred


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    home = tmp_path_factory.mktemp("site") / "home"
    with web_kit.published_site(home) as server:
        yield server


def log_out(page) -> None:
    page.get_by_role("button", name="Log ud").click()


def _next_working_day(day: dt.date) -> dt.date:
    day += dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def test_referral_then_the_nurses_day(page, site):
    # the lead: a referral from a GP, the person found by CPR number in the newest data
    web_kit.log_in(page, site, "programleder")
    page.get_by_role("link", name="Optag en henvist person").click()
    page.wait_for_url(re.compile(r"/aps/program/henvist/$"))
    page.get_by_label("Den henviste persons CPR-nummer").fill(f"{CPR['F'][:6]}-{CPR['F'][6:]}")
    page.get_by_label("Henvist af").select_option(label="Praktiserende læge")
    page.get_by_label("Henviser (praksis eller afdeling)").fill("Lægerne i Bolbro")
    page.get_by_label("Henvisningens dato").fill("01-03-2026")
    page.get_by_label("Årsag til henvisningen").fill("Bor alene, faldet to gange")
    nurse = page.get_by_label("Støttesygeplejerske")
    label = next(o for o in nurse.locator("option").all_inner_texts() if o.startswith("Nina Sygeplejerske"))
    nurse.select_option(label=label)
    page.get_by_role("button", name="Invitér den henviste person").click()
    page.wait_for_url(re.compile(r"/aps/forloeb/\d+/$"))
    case_url = page.url
    expect(page.get_by_test_id("referral")).to_contain_text(
        "af Lægerne i Bolbro (Praktiserende læge) den 01-03-2026, uden for programmets kriterier")
    log_out(page)

    # the nurse: search her caseload, open the case
    web_kit.log_in(page, site, "sygeplejerske")
    page.get_by_role("link", name="Mine forløb", exact=True).first.click()
    page.get_by_label("Søg navn eller CPR-nummer").fill("testperson f")
    page.get_by_role("button", name="Søg", exact=True).click()
    rows = page.get_by_test_id("caseload").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(F)
    expect(rows.first.get_by_test_id("referred")).to_have_text("henvist")
    page.get_by_role("link", name="Inviteret", exact=True).click()  # order by invitation date
    expect(page.locator('th[aria-sort="ascending"]')).to_have_text("Inviteret")
    expect(page.get_by_label("Søg navn eller CPR-nummer")).to_have_value("testperson f")  # the search is kept
    page.get_by_role("link", name=F).click()
    page.wait_for_url(case_url)

    # not reached: recorded, a new try planned, still an invitation
    answer = page.locator("#sec-answer")
    answer.get_by_label("Note (frivillig)").fill("Telefonsvarer")
    answer.get_by_role("button", name="Registrér: ikke truffet").click()
    expect(page.get_by_text("Ikke truffet: registreret, og et nyt forsøg er planlagt.")).to_be_visible()
    expect(page.get_by_test_id("state")).to_have_text("Inviteret")
    retry_day = _next_working_day(local_today())
    expect(page.get_by_test_id("next-call")).to_contain_text(f"Nyt forsøg planlagt: {retry_day:%d-%m-%Y}")
    expect(page.get_by_test_id("missed-calls")).to_contain_text("Ikke truffet 1 gang")

    # consent asks first; "no" changes nothing; "yes" records it
    page.get_by_role("button", name="Personen giver samtykke").click()
    expect(page.get_by_test_id("confirm")).to_contain_text("Bekræft samtykke")
    page.get_by_role("link", name="Nej, tilbage til forløbet").click()
    expect(page.get_by_test_id("state")).to_have_text("Inviteret")
    page.get_by_role("button", name="Personen giver samtykke").click()
    page.get_by_role("button", name="Ja, registrér samtykke").click()
    expect(page.get_by_text("Samtykke registreret.")).to_be_visible()
    expect(page.get_by_test_id("state")).to_have_text("Samtykket")

    # the start-up session planned for the next working day: in the nurse's week
    startup = page.locator("#sec-startup")
    startup.get_by_label("Planlagt til").fill(f"{retry_day:%d-%m-%Y} 10:30")
    startup.get_by_role("button", name="Planlæg", exact=True).click()
    expect(page.get_by_text("Samtale planlagt.")).to_be_visible()
    page.goto(f"{site.url}/aps/min-uge/?dato={retry_day:%Y-%m-%d}")
    day = page.get_by_test_id("week-day").nth(retry_day.weekday())
    expect(day).to_contain_text("10:30")
    expect(day).to_contain_text(F)
    expect(day).to_contain_text("Fysisk opstartssamtale")
    expect(page.get_by_test_id("week-planned")).to_have_text("1 opkald planlagt i denne uge.")
    web_kit.shot(page, "nurse-week")

    # the end of support asks first, then the timeline reads in order
    page.goto(case_url)
    end = page.locator("#sec-end")
    end.get_by_label("Årsag til afslutning af forløbet").select_option(label="Patienten trak sig")
    end.get_by_role("button", name="Afslut forløbet").click()
    expect(page.get_by_test_id("confirm")).to_contain_text("Afslut forløbet med årsagen “Patienten trak sig”?")
    page.get_by_role("button", name="Ja, afslut forløbet").click()
    expect(page.get_by_test_id("state")).to_have_text("Afsluttet")
    items = page.locator("#case-timeline li").all_inner_texts()
    whats = [re.sub(r"^\d\d-\d\d-\d{4} \d\d:\d\d ", "", i).split(" · ")[0] for i in items]
    assert whats == ["Inviteret", "Opkald om invitationen", "Samtykket", "Opkald om invitationen",
                     "Fysisk opstartssamtale", "Forløb afsluttet"], items
    assert "ikke truffet" in items[1] and "aflyst" in items[3] and "aflyst" in items[4]
    log_out(page)
