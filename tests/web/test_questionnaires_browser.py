"""Questionnaires at home in a real browser (issue 14's "done when"): the nurse schedules the
programme's WHO-5 on the case page; `opspor web questionnaire-reminders` sends the invitation to
a real SMTP server on loopback (aiosmtpd); the citizen opens the e-mail's link on a phone
(390×844), logs in through the loopback OpenID provider (as through MitID) and lands on the
form, answers a red WHO-5; the nurse's day view shows it red with the rule that fired. The
citizen's form passes axe-core's WCAG 2.1 AA rules and needs no sideways scrolling."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.support import oidc, receivers
from tests.web import web_kit
from tests.web.test_citizen_browser import PHONE, check_accessible, mitid_log_in
from tests.web.test_questionnaire_sdc import conditional_yaml
from tests.web.web_kit import CPR, NAMES

pytestmark = pytest.mark.browser

EMAIL = "borger.a@eksempel.dk"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    accounts = {"borger-a": {"dk.cpr": CPR["A"], "name": NAMES["A"]}}
    folder = tmp_path_factory.mktemp("instruments")  # WHO-5 with a follow-up question (who5x)
    (folder / "who5x.yaml").write_text(conditional_yaml())
    with oidc.provider(tmp_path_factory.mktemp("idp"), accounts) as issuer, receivers.smtp_server() as smtp, \
            web_kit.published_site(tmp_path_factory.mktemp("site") / "home",
                                   env={**oidc.door_env("citizen", issuer), "OPSPOR_APS_INSTRUMENTS": str(folder)}) as server:
        code = f"""
import datetime as dt, json
from django.utils import timezone
from opspor.web.accounts.models import User
from opspor.web.aps import actions as a
from opspor.web.people.models import Person
lead, nurse = User.objects.get(username="programleder"), User.objects.get(username="sygeplejerske")
case = a.record_consent(nurse, a.invite(lead, Person.objects.get(cpr={CPR['A']!r}), nurse))
a.hold_startup(nurse, case, timezone.now() - dt.timedelta(hours=1))
print(json.dumps({{"case": case.pk}}))
"""
        done = server.run_opspor("manage", "shell", "-c", code, check=True)
        server.story = json.loads(done.stdout.strip().splitlines()[-1])
        server.smtp = smtp
        server.send_env = {**smtp.env(), "OPSPOR_PUBLIC_URL": server.url}
        yield server


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale="da-DK", bypass_csp=True, **PHONE)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_scheduled_by_the_nurse_sent_by_email_answered_on_the_phone_red_on_the_day_view(page, phone, site):
    """Issue 14's journey in one go: scheduled, e-mailed, answered on the phone after the MitID
    log-in, red on the nurse's day view, the nurse's reply read by the citizen."""
    # the nurse schedules the programme's default on the case page
    web_kit.log_in(page, site, "sygeplejerske")
    page.goto(f"{site.url}/aps/forloeb/{site.story['case']}/#sec-questionnaires")
    form = page.get_by_test_id("schedule-form")
    form.get_by_label("Borgerens e-mailadresse eller mobilnummer").fill(EMAIL)
    for timepoint in ("Udgangspunkt (opstart)", "3 måneder", "6 måneder"):
        expect(form.get_by_label(re.compile(re.escape(timepoint)))).to_be_checked()
    form.get_by_role("button", name="Planlæg spørgeskemaer").click()
    expect(page.get_by_test_id("q-request")).to_have_count(3)

    # the round sends today's invitation to the SMTP server on loopback
    sent = site.run_opspor("web", "questionnaire-reminders", env=site.send_env, check=True)
    assert "1 invitation(s) sent" in sent.stdout
    (mail,) = site.smtp.wait_for(EMAIL)
    link = re.search(r"http://\S+/borger/skema/[0-9a-f-]{36}/", mail.get_content()).group(0)
    assert CPR["A"] not in link and CPR["A"] not in mail.get_content()
    page.reload()
    expect(page.get_by_test_id("q-request").first).to_contain_text("Invitation sendt")

    # the citizen opens the link on the phone: log-in through the OpenID provider, then the form
    phone.goto(link)
    expect(phone).to_have_url(re.compile(r"/konto/log-ind/\?next="))
    phone.get_by_role("link", name="MitID (for borgere)").click()
    phone.locator("input[name=login]").fill("borger-a")
    phone.locator("input[name=password]").fill("mitid")
    phone.get_by_role("button", name="Sign-in").click()
    phone.get_by_role("button", name="Continue").click()
    expect(phone).to_have_url(link)
    expect(phone.get_by_role("heading", level=1)).to_have_text("WHO-5 Trivselsindeks")
    check_accessible(phone)
    web_kit.shot(phone, "citizen-questionnaire")
    questions = phone.locator("fieldset.question")
    expect(questions).to_have_count(5)
    for n in range(5):
        questions.nth(n).get_by_label("Lidt af tiden").check()  # 1 of 5: raw 5, score 20
    phone.get_by_role("button", name="Send mine svar").click()
    expect(phone).to_have_url(f"{site.url}/borger/")
    expect(phone.get_by_text("Tak. Dine svar er sendt til din sygeplejerske.")).to_be_visible()
    expect(phone.get_by_test_id("open-questionnaire")).to_have_count(0)
    # the link again: answered
    phone.goto(link)
    expect(phone.get_by_test_id("questionnaire-closed")).to_contain_text("Du svarede på dette spørgeskema")

    # the nurse's day view: red, with the rule that fired, answered by the citizen
    page.goto(f"{site.url}/aps/min-dag/")
    bucket = page.locator("#bucket-questionnaire_alerts")
    expect(bucket).to_contain_text("Spørgeskemasvar, du skal se på")
    row = bucket.get_by_test_id("triage")
    expect(row).to_contain_text("Rød")
    expect(row).to_contain_text("WHO-5 på 28 eller derunder: sandsynlig depression")
    expect(row).to_contain_text("Besvaret af borgeren")
    web_kit.shot(page, "questionnaire-day-view")

    # the nurse answers the red result on the case page; the citizen reads the reply on the phone
    page.goto(f"{site.url}/aps/forloeb/{site.story['case']}/")
    section = page.locator("#sec-messages")
    section.get_by_label("Besked").fill("Tak for dine svar. Jeg ringer til dig i dag, så vi kan tale om dem.")
    section.get_by_role("button", name="Send til borgeren").click()
    expect(page.locator("#sec-messages")).to_contain_text("Ikke læst endnu")
    phone.goto(f"{site.url}/borger/")
    expect(phone.get_by_test_id("message").filter(has_text="Jeg ringer til dig i dag, så vi kan tale om dem.")).to_be_visible()
    page.reload()
    expect(page.locator("#sec-messages")).to_contain_text("Læst af borgeren")


def test_the_instrument_exports_as_a_fhir_questionnaire(site):
    """`opspor web questionnaire-fhir who5`: the YAML instrument as a FHIR R4 Questionnaire the R4B
    models accept, one required choice item per question with the scale's six answers, and the
    score as a calculated item (SDC; tests/web/test_questionnaire_sdc.py has the rest)."""
    from fhir.resources.R4B.questionnaire import Questionnaire

    done = site.run_opspor("web", "questionnaire-fhir", "who5", check=True)
    form = Questionnaire.model_validate_json(done.stdout)
    assert (form.url, form.version, form.title) == ("urn:opspor:questionnaire:who5", "1998", "WHO-5 Trivselsindeks")
    assert [i.linkId for i in form.item] == ["q1", "q2", "q3", "q4", "q5", "score"]
    assert all(i.required and i.type == "choice" and len(i.answerOption) == 6 for i in form.item[:5])
    assert form.item[5].type == "decimal" and form.item[5].readOnly
    assert form.item[0].answerOption[-1].valueCoding.display == "På intet tidspunkt"
    missing = site.run_opspor("web", "questionnaire-fhir", "phq9")
    assert missing.returncode == 2 and "who5" in missing.stderr


def test_a_follow_up_question_shows_only_when_its_condition_holds(phone, site):
    """enableWhen on the phone: WHO-5 with a follow-up asked when question 1 is answered 0 or 1
    (tests/web/test_questionnaire_sdc.py has the server's side); hidden until then, hidden again
    when the answer changes."""
    code = f"""
import uuid
from django.utils import timezone
from opspor.web.aps.models import Case, QuestionnaireRequest
case = Case.objects.get(pk={site.story['case']})
r = QuestionnaireRequest.objects.create(case=case, instrument="who5x", timepoint="other", send_on=timezone.localdate(),
    deadline=timezone.localdate(), channel="email", address={EMAIL!r}, state="sent", scheduled_by=case.nurse)
print(r.public_id)
"""
    public_id = site.run_opspor("manage", "shell", "-c", code, check=True).stdout.strip().splitlines()[-1]
    mitid_log_in(phone, site, "borger-a")
    phone.goto(f"{site.url}/borger/skema/{public_id}/")
    follow_up = phone.get_by_test_id("question-item_q6")
    expect(phone.locator("fieldset.question:visible")).to_have_count(5)
    expect(follow_up).to_be_hidden()
    q1 = phone.get_by_test_id("question-item_q1")
    q1.get_by_label("Lidt af tiden").check()
    expect(follow_up).to_be_visible()
    check_accessible(phone)
    q1.get_by_label("Hele tiden").check()
    expect(follow_up).to_be_hidden()
