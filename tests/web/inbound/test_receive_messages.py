"""MedCom messages into the live server (issue 16 item 5): the receiving endpoint with sender
tokens and ``opspor messages receive FOLDER``. An acknowledgement closes an outbox entry that
was delivered to a loopback receiver; a reply to a CareCommunication lands on the case, shown to
the nurse and not to another region's nurse or another practice; exactly once by
Bundle.id/MessageHeader.id; a malformed message is refused with a 4xx naming the element and
the fix, and recorded as refused."""

from __future__ import annotations

import copy
import datetime as dt
import json
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from opspor.fhir import medcom
from tests.web.fixtures_server import start_server
from tests.web.messaging.msg_kit import Receiver
from tests.web.test_headers_logs import Browser

SEED = Path(__file__).with_name("seed_inbound.py")
PASSWORD = "correct-horse-battery-staple-42"
BASE = "https://opspor.example/fhir"


def seed(server, what: str) -> dict:
    done = subprocess.run([sys.executable, str(SEED), what], check=False, env=server.env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    home = tmp_path_factory.mktemp("inbound") / "home"
    with start_server(home) as server:
        server.world = seed(server, "world")
        server.token = server.run_opspor("messages", "token", "Lægehuset", "--organisation", "012345",
                                         check=True).stdout.strip()
        server.other_token = server.run_opspor("messages", "token", "Praksis 1", "--organisation", "000001",
                                               check=True).stdout.strip()
        receiver = Receiver()
        receiver.script = ["noack"] * 10  # delivered, the acknowledgement comes later
        server.run_opspor("messages", "send", check=True,
                          env={"OPSPOR_MESSAGES_ADAPTER": "http", "OPSPOR_MESSAGES_URL": receiver.url})
        server.receiver = receiver
        yield server
        receiver.server.shutdown()


def post(site, document, token: str | None):
    data = document if isinstance(document, bytes) else json.dumps(document).encode()
    request = urllib.request.Request(f"{site.url}/meddelelser/modtag/fhir/", data=data, method="POST", headers={
        "Content-Type": "application/fhir+json", **({"Authorization": f"Bearer {token}"} if token else {})})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def outgoing(site, person: str, recipient: str = "gp_practice:012345") -> dict:
    rows = seed(site, "rows")["outbox"]
    return next(r for r in rows if r["person"] == site.world[person]["key"] and r["recipient"] == recipient)


def party(bundle: dict, which: str) -> medcom.Party:
    header = bundle["entry"][0]["resource"]
    ref = header["sender"]["reference"] if which == "sender" else header["destination"][0]["receiver"]["reference"]
    org = next(e["resource"] for e in bundle["entry"] if f"Organization/{e['resource']['id']}" == ref)
    ids = {i["system"]: i["value"] for i in org["identifier"]}
    return medcom.Party(org["name"], ids[medcom.SOR_SYSTEM], ids[medcom.EAN_SYSTEM], "70001083")


def reply(site, original: dict, text: str, cpr: str | None = None) -> dict:
    """The GP's reply to ``original`` (opspor's CareCommunication), as a MedCom CareCommunication."""
    payload = original["payload"]
    return medcom.care_communication(
        message_id=str(uuid.uuid4()), sent_at=dt.datetime.now(dt.UTC), sender=party(payload, "receiver"),
        receiver=party(payload, "sender"), patient=medcom.Patient(cpr or site.world["ida"]["cpr"], "Ida", "Hansen"),
        author=medcom.Author(given="Lise", family="Læge", role_code="laege", phone="66 11 22 33"),
        category="carecoordination", topic="Svar", text=text, fhir_base=BASE, reply_to=original["message_id"])


def test_an_acknowledgement_closes_the_outbox_entry_once(site):
    original = outgoing(site, "ida")
    assert original["state"] == "sent" and original["message_id"] in site.receiver.posts
    ack = medcom.acknowledgement(of=original["payload"], ack_id=str(uuid.uuid4()), at=dt.datetime.now(dt.UTC),
                                 fhir_base=BASE)
    assert post(site, ack, None)[0] == 401
    assert post(site, ack, "mc_wrong")[0] == 401
    assert post(site, ack, site.other_token)[0] == 403  # the message is not from the token's practice
    status, headers, answer = post(site, ack, site.token)
    assert status == 200 and headers["X-Opspor-Status"] == "accepted", answer
    assert outgoing(site, "ida")["state"] == "acknowledged"
    rows = seed(site, "rows")
    acks = [m for m in rows["inbound"] if m["kind"] == "acknowledgement" and m["status"] == "accepted"]
    assert len(acks) == 1 and acks[0]["sender"] == "gp_practice:012345"
    audit_before = len(rows["audit"])
    status, headers, _ = post(site, ack, site.token)  # delivered again: acknowledged, nothing changes
    assert status == 200 and headers["X-Opspor-Status"] == "duplicate"
    rows = seed(site, "rows")
    assert len([m for m in rows["inbound"] if m["kind"] == "acknowledgement" and m["status"] == "accepted"]) == 1
    assert len(rows["audit"]) == audit_before
    acked = [e for e in rows["audit"] if e["what"] == "message.acknowledged"]
    assert [e["person"] for e in acked] == [site.world["ida"]["key"]]


def test_a_reply_lands_on_the_case_for_the_nurse_only(site):
    original = outgoing(site, "ida")
    message = reply(site, original, "Tak. Jeg ser Ida i næste uge og justerer hendes diuretika.")
    status, headers, answer = post(site, message, site.token)
    assert status == 200 and headers["X-Opspor-Status"] == "accepted", answer
    # opspor answers with a MedCom acknowledgement of the reply, the same one when it comes again
    assert medcom.acknowledged_id(answer) == (message["id"], "ok")
    status, headers, again = post(site, message, site.token)
    assert status == 200 and headers["X-Opspor-Status"] == "duplicate" and again["id"] == answer["id"]
    rows = seed(site, "rows")
    replies = [m for m in rows["inbound"] if m["kind"] == "reply" and m["status"] == "accepted"]
    assert len(replies) == 1 and replies[0]["person"] == site.world["ida"]["key"]
    received = [e for e in rows["audit"] if e["what"] == "message.received" and e["detail"]["kind"] == "reply"]
    assert [e["person"] for e in received] == [site.world["ida"]["key"]]

    nurse = Browser(site)
    nurse.log_in("nurse", PASSWORD)
    status, _, html = nurse.request(f"/aps/forloeb/{site.world['ida']['case']}/")
    assert status == 200
    assert "justerer hendes diuretika" in html and "Lægehuset (syntetisk)" in html and "Lise Læge" in html
    status, _, html = nurse.request("/meddelelser/indbakke/")
    assert status == 200 and "justerer hendes diuretika" in html

    other = Browser(site)  # another region's nurse: not the case, not the reply
    other.log_in("nurse_other", PASSWORD)
    assert other.request(f"/aps/forloeb/{site.world['ida']['case']}/")[0] == 404
    assert other.request(f"/personer/{site.world['ida']['public_id']}/")[0] == 404
    status, _, html = other.request("/meddelelser/indbakke/")
    assert status == 200 and "diuretika" not in html

    # the practice that replied sees its reply and what it was sent, in the outbox's state (sent, or
    # acknowledged when the acknowledgement test ran first on this worker: xdist may split a module)
    sent_state = f'data-state="{outgoing(site, "ida")["state"]}"'
    gp = Browser(site)
    gp.log_in("gp", PASSWORD)
    status, _, html = gp.request("/meddelelser/indbakke/")
    assert status == 200 and "diuretika" in html and sent_state in html
    gp_other = Browser(site)
    gp_other.log_in("gp_other", PASSWORD)
    status, _, html = gp_other.request("/meddelelser/indbakke/")
    assert status == 200 and "diuretika" not in html and sent_state not in html
    odense = Browser(site)  # the municipality was sent a message about her too, but did not write the reply
    odense.log_in("odense", PASSWORD)
    status, _, html = odense.request("/meddelelser/indbakke/")
    assert status == 200 and "diuretika" not in html and 'data-state="sent"' in html


def test_malformed_and_wrong_messages_are_refused_with_the_element_and_the_fix(site):
    original = outgoing(site, "ida")
    good = reply(site, original, "Svar uden fokus")
    no_focus = copy.deepcopy(good)
    del no_focus["entry"][0]["resource"]["focus"]
    status, headers, outcome = post(site, no_focus, site.token)
    assert status == 400 and headers["X-Opspor-Status"] == "refused"
    [issue] = outcome["issue"]
    assert issue["expression"] == ["MessageHeader.focus"] and "Fix: set focus to the Communication" in issue["diagnostics"]

    wrong_event = copy.deepcopy(good)
    wrong_event["entry"][0]["resource"]["eventCoding"]["code"] = "hospital-notification"
    status, _, outcome = post(site, wrong_event, site.token)
    assert status == 400 and outcome["issue"][0]["expression"] == ["MessageHeader.eventCoding"]
    assert "care-communication-message" in outcome["issue"][0]["diagnostics"]

    status, _, outcome = post(site, b'{"resourceType": "Bundle", "type": ', site.token)
    assert status == 400 and "not valid JSON" in outcome["issue"][0]["diagnostics"]

    unknown = reply(site, {**original, "message_id": str(uuid.uuid4())}, "Svar på noget ukendt")
    status, _, outcome = post(site, unknown, site.token)
    assert status == 422 and outcome["issue"][0]["expression"] == ["Provenance.entity.what"]

    other_patient = reply(site, original, "Forkert patient", cpr=site.world["sven"]["cpr"])
    status, _, outcome = post(site, other_patient, site.token)
    assert status == 422 and outcome["issue"][0]["expression"] == ["Communication.subject"]
    assert site.world["sven"]["cpr"] not in json.dumps(outcome) and site.world["sven"]["cpr"] not in site.log()

    rows = seed(site, "rows")
    refused = [m for m in rows["inbound"] if m["status"] == "refused"]
    assert len(refused) >= 5 and any("MessageHeader.focus" in m["refusal"] for m in refused)
    assert not [m for m in rows["inbound"] if m["status"] == "accepted" and "Forkert patient" in m["text"]]
    secretariat = Browser(site)  # the region's inbox: every message, refusals with their reasons, no reply texts
    secretariat.log_in("secretariat", PASSWORD)
    status, _, html = secretariat.request("/meddelelser/indbakke/?status=refused")
    assert status == 200 and "MessageHeader.focus: does not refer to a Communication" in html
    status, _, html = secretariat.request("/meddelelser/indbakke/")
    assert 'data-kind="reply"' in html and "diuretika" not in html

    # corrected, the same message (same ids) is then accepted
    status, headers, _ = post(site, good, site.token)
    assert status == 200 and headers["X-Opspor-Status"] == "accepted"


def test_the_folder_reader_receives_each_once_and_keeps_the_refused_with_reasons(site, tmp_path):
    original = outgoing(site, "ida", "municipality:461")
    payload = original["payload"]
    ack = medcom.acknowledgement(of=payload, ack_id=str(uuid.uuid4()), at=dt.datetime.now(dt.UTC), fhir_base=BASE)
    bad = copy.deepcopy(ack)
    bad["entry"][0]["resource"]["response"]["code"] = "maybe"
    bad["id"] = bad["entry"][0]["resource"]["id"] = str(uuid.uuid4())
    inbox = tmp_path / "ind"
    inbox.mkdir()
    (inbox / "a.json").write_text(json.dumps(ack))
    (inbox / "b.json").write_text(json.dumps(ack))  # the same message twice
    (inbox / "c.json").write_text(json.dumps(bad))
    done = site.run_opspor("messages", "receive", str(inbox))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 received, 1 already received (nothing changed), 1 refused" in done.stdout
    assert "MessageHeader.response.code: 'maybe' is not a response code" in done.stderr
    assert sorted(p.name for p in (inbox / "done").iterdir()) == ["a.json", "b.json"]
    reason = inbox / "refused" / "c.json.reason.txt"
    assert "Fix: use ok, transient-error, fatal-error" in reason.read_text() and reason.stat().st_mode & 0o777 == 0o600
    assert not list(inbox.glob("*.json"))
    assert outgoing(site, "ida", "municipality:461")["state"] == "acknowledged"
