"""A referral to the municipal acute function received as a MedCom message (issue 16 item 1):
the GP's CareCommunication (a new message to the municipality) posted to the live server becomes
a referral the acute team sees with the referring doctor and phone; exactly once; a decline by the
team goes back to the GP practice as a CareCommunication through the outbox, delivered once to a
loopback receiver; a message that cannot be a referral is refused with the element and the fix."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest

from opspor.fhir import medcom
from tests.web.fixtures_server import start_server
from tests.web.inbound.test_hospital_notification import BOOK, _party
from tests.web.inbound.test_receive_messages import PASSWORD, post, seed
from tests.web.messaging.msg_kit import Receiver
from tests.web.test_headers_logs import Browser

BASE = "https://laegehuset.example/fhir"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    home = tmp_path_factory.mktemp("acute_message") / "home"
    with start_server(home) as server:
        server.world = seed(server, "world")
        server.token = server.run_opspor("messages", "token", "Lægehuset", "--organisation", "012345",
                                         check=True).stdout.strip()
        yield server


def referral(site, who: str = "ida", *, cpr: str | None = None, receiver: medcom.Party | None = None) -> dict:
    return medcom.care_communication(
        message_id=str(uuid.uuid4()), sent_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10),
        sender=_party("gp_practice", "012345"), receiver=receiver or _party("municipality", "461"),
        patient=medcom.Patient(cpr or site.world[who]["cpr"], "Ida", "Hansen"),
        author=medcom.Author(given="Lise", family="Læge", role_code="laege", phone="66 11 22 33"),
        category="carecoordination", topic="Henvisning til kommunal akutfunktion",
        text="Ida har feber og er dehydreret. Ønsker væsketerapi og observation i hjemmet i 3 dage.", fhir_base=BASE)


def test_a_referral_by_message_reaches_the_team_and_a_decline_goes_back_to_the_gp(site):
    message = referral(site)
    status, headers, answer = post(site, message, site.token)
    assert status == 200 and headers["X-Opspor-Status"] == "accepted", answer
    assert medcom.acknowledged_id(answer) == (message["id"], "ok")
    status, headers, again = post(site, message, site.token)
    assert headers["X-Opspor-Status"] == "duplicate" and again["id"] == answer["id"]

    team = Browser(site)
    team.log_in("akut", PASSWORD)
    status, _, html = team.request("/akut/")
    assert status == 200
    [public_id] = set(re.findall(r"/akut/henvisning/([0-9a-f-]{36})/", html))
    status, _, page = team.request(f"/akut/henvisning/{public_id}/")
    assert status == 200
    assert "Lise Læge, Lægehuset" in page and "66 11 22 33" in page and "MedCom-meddelelse" in page
    assert "væsketerapi og observation" in page

    second = referral(site)  # an open referral exists: refused, with the reason
    status, _, outcome = post(site, second, site.token)
    assert status == 422 and "allerede en åben henvisning" in outcome["issue"][0]["diagnostics"]

    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    status, _, _ = team.request(f"/akut/henvisning/{public_id}/beslut/", {
        "csrfmiddlewaretoken": token, "decision": "decline", "reason": "Borgeren skal indlægges i dag."})
    assert status == 302
    declined = [m for m in seed(site, "rows")["outbox"]
                if m["recipient"] == "gp_practice:012345" and m["payload"].get("entry")
                and "afvist" in m["payload"]["entry"][2]["resource"]["topic"]["text"]]
    assert len(declined) == 1 and declined[0]["state"] == "queued"
    receiver = Receiver()
    try:
        site.run_opspor("messages", "send", check=True,
                        env={"OPSPOR_MESSAGES_ADAPTER": "http", "OPSPOR_MESSAGES_URL": receiver.url})
        sent = receiver.accepted[declined[0]["message_id"]]
        text = sent["entry"][2]["resource"]["payload"][0]["contentString"]
        assert "Borgeren skal indlægges i dag." in text and receiver.posts.count(declined[0]["message_id"]) == 1
    finally:
        receiver.server.shutdown()


def test_messages_that_cannot_be_referrals_are_refused_with_the_fix(site):
    status, _, outcome = post(site, referral(site, cpr="0303030303"), site.token)
    assert status == 422 and outcome["issue"][0]["expression"] == ["Communication.subject"]
    to_practice = referral(site, "sven", receiver=_party("gp_practice", "000001"))
    status, _, outcome = post(site, to_practice, site.token)
    assert status == 422 and outcome["issue"][0]["expression"] == ["MessageHeader.destination.receiver"]
    assert "recipients.municipality" in outcome["issue"][0]["diagnostics"]
    assert "0303030303" not in site.log()
