"""The citizen's part in a real browser on a phone-sized viewport (390×844): the citizen logs
in with the loopback OpenID provider (tests/support/oidc.py) as through MitID, reads their page
(status, contact person, next call, goals, plan), writes to the nurse; the nurse reads it on the
case page (the read receipt) and answers; the citizen reads the answer and sees in "who has
looked at my data" that the nurse opened their case; another person's page answers 404. Each
citizen page passes axe-core's WCAG 2.1 AA rules and needs no sideways scrolling."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from playwright.sync_api import expect

from tests.support import oidc
from tests.support.clock import local_today
from tests.web import a11y, web_kit
from tests.web.web_kit import CPR, NAMES

pytestmark = pytest.mark.browser

RELATIVE_CPR = "1212851234"  # a valid date; nobody of the hand-made drop
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    accounts = {"borger-a": {"dk.cpr": CPR["A"], "name": NAMES["A"]},
                "bo": {"dk.cpr": RELATIVE_CPR, "name": "Bo Hansen"}}
    with oidc.provider(tmp_path_factory.mktemp("idp"), accounts) as issuer, \
            web_kit.published_site(tmp_path_factory.mktemp("site") / "home", env=oidc.door_env("citizen", issuer)) as server:
        code = f"""
import datetime as dt, json
from django.utils import timezone
from opspor.web.accounts.models import User
from opspor.web.aps import actions as a
from opspor.web.people.models import Person
lead, nurse = User.objects.get(username="programleder"), User.objects.get(username="sygeplejerske")
person = Person.objects.get(cpr={CPR['A']!r})
case = a.record_consent(nurse, a.invite(lead, person, nurse))
a.hold_startup(nurse, case, timezone.now() - dt.timedelta(hours=1))
case.refresh_from_db()
a.plan_session(nurse, case, "phone", timezone.now() + dt.timedelta(days=2))
a.add_goal(nurse, case, "Gå en tur hver dag")
a.save_plan(nurse, case, "Ring til lægen, hvis åndenøden bliver værre.")
print(json.dumps({{"case": case.pk, "others": [str(p.public_id) for p in Person.objects.exclude(pk=person.pk)]}}))
"""
        done = server.run_opspor("manage", "shell", "-c", code, check=True)
        server.story = json.loads(done.stdout.strip().splitlines()[-1])
        yield server


def _phone_page(browser):
    context = browser.new_context(locale="da-DK", bypass_csp=True, **PHONE)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def phone(browser):
    yield from _phone_page(browser)


def mitid_log_in(page, site, login: str) -> None:
    """Log in through the OpenID provider (the MitID broker's place) on the log-in page."""
    page.goto(f"{site.url}/konto/log-ind/")
    page.get_by_role("link", name="MitID (for borgere)").click()
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("mitid")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()


def check_accessible(page) -> None:
    assert a11y.violations(page) == []
    assert not a11y.overflows_horizontally(page)


def test_citizen_logs_in_writes_to_the_nurse_and_reads_the_answer(phone, page, site):
    # the citizen logs in through the OpenID provider (the MitID broker's place)
    mitid_log_in(phone, site, "borger-a")
    expect(phone).to_have_url(f"{site.url}/borger/")
    expect(phone.get_by_role("heading", level=1)).to_have_text(f"Hej {NAMES['A']}")
    expect(phone.get_by_test_id("status")).to_contain_text("Du er med i Aktiv Patientstøtte")
    expect(phone.get_by_test_id("contact")).to_contain_text("Nina Sygeplejerske")
    expect(phone.get_by_test_id("next-call")).to_contain_text("Din sygeplejerske ringer til dig")
    expect(phone.get_by_test_id("goal")).to_contain_text("Gå en tur hver dag")
    expect(phone.get_by_test_id("plan")).to_contain_text("Ring til lægen")
    check_accessible(phone)
    web_kit.shot(phone, "citizen-page")

    # keyboard: the first stop is the skip link, and focus is visible
    phone.keyboard.press("Tab")
    assert phone.evaluate("document.activeElement.className") == "skip"
    assert phone.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"

    # a message to the nurse
    phone.get_by_label("Din besked til din sygeplejerske").fill("Jeg har fået mere åndenød i dag.")
    phone.get_by_role("button", name="Send besked").click()
    expect(phone.get_by_text("Din besked er sendt til din sygeplejerske.")).to_be_visible()
    mine = phone.get_by_test_id("message").filter(has_text="Jeg har fået mere åndenød")
    expect(mine.get_by_test_id("receipt")).to_have_text("Ikke læst endnu")

    # the nurse reads it on the case page and answers
    web_kit.log_in(page, site, "sygeplejerske")
    page.goto(f"{site.url}/aps/forloeb/{site.story['case']}/")
    section = page.locator("#sec-messages")
    expect(section).to_contain_text("Jeg har fået mere åndenød i dag.")
    section.get_by_label("Besked").fill("Jeg ringer til dig i eftermiddag.")
    section.get_by_role("button", name="Send til borgeren").click()
    expect(page.locator("#sec-messages")).to_contain_text("Ikke læst endnu")

    # the citizen reads the answer; their own message has been read
    phone.reload()
    expect(phone.get_by_test_id("message").filter(has_text="Jeg ringer til dig i eftermiddag.")).to_be_visible()
    expect(mine.get_by_test_id("receipt")).to_contain_text("Læst af din sygeplejerske")
    page.reload()
    expect(page.locator("#sec-messages")).to_contain_text("Læst af borgeren")

    # who has looked at my data: the nurse's reads of the case
    phone.get_by_role("link", name="Se hvem der har set mine oplysninger").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Hvem har set mine oplysninger?")
    expect(phone.get_by_test_id("access-entry").filter(has_text="Nina Sygeplejerske").first).to_be_visible()
    expect(phone.get_by_test_id("access-entry").filter(has_text="Borgerens egen side")).to_have_count(0)
    check_accessible(phone)
    web_kit.shot(phone, "citizen-access-report")

    # another person's page, the nurse's pages: not found for a citizen
    for path in (f"/personer/{site.story['others'][0]}/", f"/aps/forloeb/{site.story['case']}/", "/aps/min-dag/"):
        assert phone.goto(site.url + path).status == 404, path


def test_the_refusal_page_is_accessible_on_a_phone(phone, site):
    phone.goto(f"{site.url}/konto/oidc/retur/?code=x&state=not-started-here")
    expect(phone.get_by_test_id("refusal")).to_contain_text("Start forfra")
    check_accessible(phone)


def test_the_demo_prints_a_citizen_log_in_beside_the_staff(phone, site):
    """`opspor web demo-users` makes the local citizen account `borger` for a person of the demo
    region (the JSON it prints from); it logs in with the ordinary form and sees only its page."""
    borger = site.users["borger"]
    assert borger["role"] == "Borger" and borger["organisation"] == "" and borger["full_name"] in NAMES.values()
    assert {"sygeplejerske", "programleder", "revisor"} <= set(site.users)
    web_kit.log_in(phone, site, "borger")
    expect(phone).to_have_url(f"{site.url}/borger/")
    expect(phone.get_by_role("heading", level=1)).to_have_text(f"Hej {borger['full_name']}")
    printed = site.run_opspor("web", "demo-users", check=True).stdout
    assert "borger" in printed and borger["password"] in printed


@pytest.fixture
def phone2(browser):
    """A second phone (the relative's)."""
    yield from _phone_page(browser)


def test_a_relative_sees_what_was_granted_and_loses_it_when_taken_back(phone, phone2, site):
    """The citizen gives their relative the course and the plan; the relative logs in with their
    own MitID and sees those, not the messages; taken back, the page is gone; the citizen sees
    the relative's reads in "who has looked at my data"."""
    mitid_log_in(phone, site, "borger-a")
    phone.get_by_role("link", name="Giv eller tag adgang tilbage").click()
    check_accessible(phone)
    phone.get_by_label("Din pårørendes navn").fill("Bo Hansen")
    phone.get_by_label("Din pårørendes CPR-nummer").fill("121285-1234")
    phone.get_by_label("Forløb og kontaktperson").check()
    phone.get_by_label("Mål og plan").check()
    phone.get_by_label("Til og med").fill((local_today() + dt.timedelta(days=30)).isoformat())
    phone.get_by_role("button", name="Giv adgang").click()
    expect(phone.get_by_test_id("grant")).to_contain_text("Bo Hansen")
    web_kit.shot(phone, "citizen-relatives")

    # the relative logs in with their own MitID
    mitid_log_in(phone2, site, "bo")
    expect(phone2).to_have_url(f"{site.url}/borger/")
    phone2.get_by_role("link", name=NAMES["A"]).click()
    expect(phone2.get_by_role("heading", level=1)).to_have_text(f"{NAMES['A']}s side")
    expect(phone2.get_by_test_id("plan")).to_contain_text("Ring til lægen")
    expect(phone2.get_by_test_id("status")).to_be_visible()
    expect(phone2.get_by_test_id("message")).to_have_count(0)
    expect(phone2.get_by_test_id("next-call")).to_have_count(0)
    check_accessible(phone2)
    relative_url = phone2.url

    # the citizen takes it back: the relative's page is gone
    phone.get_by_role("button", name="Tag Bo Hansens adgang tilbage").click()
    expect(phone.get_by_test_id("grant")).to_have_count(0)
    assert phone2.goto(relative_url).status == 404
    phone2.goto(f"{site.url}/borger/")
    expect(phone2.get_by_test_id("no-access")).to_be_visible()

    # the citizen sees the relative's reads
    phone.goto(f"{site.url}/borger/indsigt/")
    expect(phone.get_by_test_id("access-entry").filter(has_text="Pårørendes visning af borgersiden").first).to_be_visible()
