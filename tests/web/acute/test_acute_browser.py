"""The acute function in a real browser (Debian's chromium via Playwright) against a real server
process: a GP refers a citizen at 17:30 on a Saturday and the on-call service is named as the
responsible doctor; the on-call doctor finds the referral; the Odense acute team accepts, books a
free acute bed from the service directory, records a change in the citizen's condition (the
doctor responsible now is told), and ends the stay; `opspor messages send` delivers the GP's
CareCommunication to a loopback receiver once."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.web import web_kit
from tests.web.messaging.msg_kit import Receiver
from tests.web.web_kit import CPR, NAMES

pytestmark = pytest.mark.browser
CPH = ZoneInfo("Europe/Copenhagen")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    home = tmp_path_factory.mktemp("acute") / "home"
    with web_kit.published_site(home, ("web", "directory-load", "--example")) as server:
        yield server


def last_saturday_evening() -> dt.datetime:
    now = dt.datetime.now(CPH)
    day = now.date() - dt.timedelta(days=(now.weekday() - 5) % 7)
    moment = dt.datetime.combine(day, dt.time(17, 30), tzinfo=CPH)
    return moment if moment <= now else moment - dt.timedelta(days=7)


def log_out(page) -> None:
    page.get_by_role("button", name="Log ud").click()


def test_gp_refers_on_saturday_evening_the_team_books_reports_and_closes(page, site):
    from opspor.web.acute import routing

    saturday = last_saturday_evening()
    # the GP refers
    web_kit.log_in(page, site, "laegepraksis")
    page.get_by_role("link", name="Akutfunktion").click()
    page.get_by_role("link", name="Henvis en borger til akutfunktionen").click()
    page.get_by_label("Borgerens CPR-nummer").fill(CPR["A"][:6] + "-" + CPR["A"][6:])
    page.get_by_label("Jeg har ringet til akutteamet og aftalt henvisningen").check()
    page.get_by_label("Tidspunkt for telefonopkaldet").fill(saturday.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Hvad akutteamet skal gøre").fill("Pneumoni: peroral antibiotika, observation af vitale værdier x 3")
    page.get_by_label("Aftalt tidshorisont (dage)").fill("4")
    page.get_by_label("Dit direkte telefonnummer").fill("66 11 22 33")
    page.get_by_role("button", name="Send henvisningen").click()
    expect(page.get_by_text("Henvisningen er sendt til Akutteam Odense.")).to_be_visible()
    expect(page.locator("#responsible-call")).to_have_text(
        "Lægevagten: Lægevagten, Region Syddanmark, telefon 70 11 07 07")
    referral_url = page.url
    web_kit.shot(page, "acute-referral")
    log_out(page)

    # the region's on-call doctor finds it
    web_kit.log_in(page, site, "vagtlaege")
    expect(page.locator("table.referrals")).to_contain_text(NAMES["A"])
    log_out(page)

    # the acute team: accept, book a free acute bed, record a change, end the stay
    web_kit.log_in(page, site, "akutsygeplejerske")
    assert page.url.endswith("/akut/")
    page.get_by_role("link", name=NAMES["A"], exact=False).first.click()
    assert page.url == referral_url
    page.get_by_label("Modtag").check()
    page.get_by_label("Begrundelse").fill("Aftalt i telefonen med lægevagten")
    page.get_by_role("button", name="Gem afgørelsen").click()
    expect(page.locator("#state")).to_have_text("Modtaget")
    page.get_by_label("Book en ledig plads").select_option(label="Akutpladser, Odense Kommune (Akutplads)")
    page.get_by_role("button", name="Book", exact=True).click()
    expect(page.get_by_text("Plads booket i Akutpladser, Odense Kommune.")).to_be_visible()
    expect(page.locator("#places")).to_contain_text("Akutpladser, Odense Kommune fra")
    page.get_by_label("Ændring i borgerens tilstand (fx ISBAR)").fill("Feber 39,4, RF 28, SAT 89 %")
    page.get_by_role("button", name="Registrér, og giv den ansvarlige læge besked").click()
    responsible = routing.rules().responsible("gp", dt.datetime.now(CPH)).responsible
    told = {"on_call": "Lægevagten, Region Syddanmark (syntetisk)", "referring_gp": "Lægehuset (syntetisk)"}
    expect(page.locator("#changes")).to_contain_text(f"Feber 39,4, RF 28, SAT 89 % — sendt til {told[responsible]}")
    page.get_by_label("Tilbage til hverdagen som før").check()
    page.get_by_label("Besked til egen læge").fill("Afsluttet efter 3 døgn; klarer sig selv")
    page.get_by_role("button", name="Afslut, og giv egen læge besked").click()
    expect(page.locator("#state")).to_have_text("Afsluttet")
    expect(page.locator("#places")).to_contain_text("frigivet")
    web_kit.shot(page, "acute-closed")

    # the delivery worker sends the outbox to a loopback receiver, twice: the GP's message arrives once
    listed = site.run_opspor("messages", "list", "--json", check=True)
    rows = [json.loads(line) for line in listed.stdout.splitlines() if line.startswith("{")]
    [closure] = [r for r in rows if r["event"] == "acute_closed"]
    [change] = [r for r in rows if r["event"] == "acute_change"]
    assert (closure["recipient_kind"], closure["recipient_id"], closure["state"]) == ("gp_practice", "012345", "queued")
    assert change["recipient_kind"] == {"on_call": "on_call", "referring_gp": "gp_practice"}[responsible]
    receiver = Receiver()
    try:
        env = {"OPSPOR_MESSAGES_ADAPTER": "http", "OPSPOR_MESSAGES_URL": receiver.url}
        site.run_opspor("messages", "send", env=env, check=True)
        site.run_opspor("messages", "send", env=env, check=True)
        assert receiver.posts.count(closure["message_id"]) == 1
        assert closure["message_id"] in receiver.accepted and receiver.duplicates == 0
        text = json.dumps(receiver.accepted[closure["message_id"]], ensure_ascii=False)
        assert "Tilbage til hverdagen som før" in text and "Patientansvaret overgår til egen læge" in text
    finally:
        receiver.stop()
    page.reload()
    expect(page.locator("#closure-message")).to_have_text("Kvitteret")
