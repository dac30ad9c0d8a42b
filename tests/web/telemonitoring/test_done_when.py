"""Issue 15's "done when", end to end on real parts: a device hub posts a FHIR Bundle to the live
server over HTTP; the red SpO2 appears first on the monitoring-centre worklist in Chromium, is
acknowledged (its response time shown) and escalated to the GP; ``opspor messages send`` delivers
the MedCom message to a loopback receiver exactly once; a malformed Observation gets a 4xx with
the element and the fix (also in test_receive.py)."""

from __future__ import annotations

import json

import pytest

from tests.telemonitoring import tm_kit as k
from tests.web.messaging.msg_kit import Receiver
from tests.web.telemonitoring.test_receive import PASSWORD, post, rows, seed

pytestmark = pytest.mark.slow


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


def test_red_spo2_from_a_bundle_to_the_gp_exactly_once(server_factory, tmp_path, page, receiver):
    site = server_factory(tmp_path / "home")
    persons = json.loads(seed(site, "persons"))
    token = site.run_opspor("telemonitoring", "token", "FUT hub", "--organisation", "1083", check=True).stdout.strip()
    ane, bo = k.subject(persons["ane"]["public_id"]), k.subject(persons["bo"]["public_id"])
    doc = k.bundle(k.obs("spo2", 93, "e2e-1", ane, at=k.when("2025-03-01", 7)),  # green
                   k.obs("spo2", 86, "e2e-2", ane, at=k.when("2025-03-01", 9)),  # red
                   k.obs("cat", 24, "e2e-3", ane),  # yellow questionnaire
                   k.obs("blood_pressure", (165, 92), "e2e-4", bo))  # yellow (heart failure)
    status, headers, _ = post(site, k.body(doc), token)
    assert status == 200 and headers["X-Opspor-Alarms"] == "3"
    bad = k.obs("spo2", 86, "e2e-5", ane)
    del bad["valueQuantity"]["code"]
    status, _, outcome = post(site, k.body(bad), token)
    assert status == 400 and outcome["issue"][0]["expression"] == ["Observation.valueQuantity.code"]

    page.goto(f"{site.url}/konto/log-ind/")
    page.get_by_label("Brugernavn").fill("tm-mona")
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    page.goto(f"{site.url}/telemonitorering/vagt/")
    first = page.locator("#tm-worklist tbody tr").first
    assert first.locator("td").nth(0).inner_text() == "Rød"
    assert "spo2_red" in first.inner_text() and "Test Ane Hansen" in first.inner_text()
    assert page.locator("#tm-worklist tbody tr").count() == 3  # red, then the two yellow
    first.get_by_role("link").click()
    page.locator("#acknowledge").click()
    assert page.locator("#alarm-state").inner_text() == "Kvitteret"
    assert page.locator("#alarm-response").inner_text().isdigit()
    page.locator("#alarm-text").fill("Talt med patienten: mere åndenød, ingen feber. Egen læge bedes se hende i dag.")
    page.locator("#escalate").click()
    assert page.locator("#alarm-state").inner_text() == "Eskaleret"
    page.locator("#alarm-text").fill("Eskaleret: igen (dobbeltklik)")
    page.locator("#escalate").click()  # a second escalation queues no second message
    page.goto(f"{site.url}/telemonitorering/vagt/")
    assert "Median" in page.locator("#response-times").inner_text() or "median" in page.locator("#response-times").inner_text()

    env = {"OPSPOR_MESSAGES_ADAPTER": "http", "OPSPOR_MESSAGES_URL": receiver.url}
    site.run_opspor("messages", "send", env=env, check=True)
    site.run_opspor("messages", "send", env=env, check=True)
    assert len(receiver.accepted) == 1 and receiver.duplicates == 0 and len(receiver.posts) == 1
    [message] = receiver.accepted.values()
    text = json.dumps(message, ensure_ascii=False)
    assert "Monitoreringscentret" in text and "Egen læge bedes se hende i dag" in text
    assert "spo2_red" in text
    events = [e["what"] for e in rows(site, "audit")]
    for what in ("telemonitoring.receive", "telemonitoring.acknowledge", "telemonitoring.escalate",
                 "telemonitoring.worklist", "telemonitoring.alarm"):
        assert what in events, what
