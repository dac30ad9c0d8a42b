"""Home measurements into the live server: the REST endpoint (sender tokens) and
``opspor telemonitoring import``, idempotent by identifier, every version kept, errors naming
the element and the fix, no CPR number in the answer or the log."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.telemonitoring import tm_kit as k
from tests.web.fixtures_server import start_server

SEED = Path(__file__).with_name("seed_tm.py")
PASSWORD = "correct-horse-battery-staple-42"  # the users of seed_tm.py


def seed(server, what: str) -> str:
    done = subprocess.run([sys.executable, str(SEED), what], env=server.env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def rows(server, what: str) -> list[dict]:
    return [json.loads(line) for line in seed(server, what).splitlines()]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    home = tmp_path_factory.mktemp("tm") / "home"
    with start_server(home) as server:
        server.persons = json.loads(seed(server, "persons"))
        server.token = server.run_opspor("telemonitoring", "token", "Hub A", "--organisation", "1083",
                                         check=True).stdout.strip()
        yield server


def post(site, data: bytes, token: str | None = None, content_type: str = "application/fhir+json"):
    request = urllib.request.Request(f"{site.url}/telemonitorering/fhir/", data=data, method="POST",
                                     headers={"Content-Type": content_type,
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def test_a_bundle_is_stored_once_and_a_correction_is_a_new_version(site):
    ane = k.subject(site.persons["ane"]["public_id"])
    doc = k.bundle(k.obs("spo2", 91, "r1-spo2", ane), k.obs("blood_pressure", (150, 95), "r1-bp", ane),
                   k.obs("cat", 22, "r1-cat", ane))
    status, headers, outcome = post(site, k.body(doc), site.token)
    assert status == 200, outcome
    assert outcome["resourceType"] == "OperationOutcome" and headers["X-Opspor-Stored"] == "3"
    status, headers, _ = post(site, k.body(doc), site.token)  # the hub resends: nothing new
    assert status == 200 and headers["X-Opspor-Stored"] == "0" and headers["X-Opspor-Duplicates"] == "3"
    corrected = k.obs("spo2", 94, "r1-spo2", ane, status="corrected")
    late = k.obs("spo2", 86, "r1-old", ane, at=k.when("2025-02-01"))  # weeks late, earlier than the rest
    status, headers, _ = post(site, k.body(k.bundle(corrected, late)), site.token)
    assert status == 200 and headers["X-Opspor-Stored"] == "2"
    stored = [r for r in rows(site, "measurements") if r["identifier"] in ("r1-spo2", "r1-old")]
    assert sorted((r["identifier"], r["version"], r["value"], r["status"]) for r in stored) == [
        ("r1-old", 1, 86.0, "final"), ("r1-spo2", 1, 91.0, "final"), ("r1-spo2", 2, 94.0, "corrected")]
    triaged = {r["identifier"]: (r["version"], r["colour"], r["rule"]) for r in rows(site, "measurements")
               if r["identifier"].startswith("r1-")}
    assert triaged["r1-old"] == (1, "red", "spo2_red")  # late, still triaged
    assert triaged["r1-cat"] == (1, "yellow", "cat_yellow")
    assert triaged["r1-bp"] == (1, "", "")  # blood pressure is not in a COPD plan: stored, not triaged
    red = [a for a in rows(site, "alarms") if a["identifier"] in ("r1-spo2", "r1-old")]
    assert sorted((a["identifier"], a["colour"], a["rule"]) for a in red) == [
        ("r1-old", "red", "spo2_red"), ("r1-spo2", "yellow", "spo2_yellow")]  # 91: yellow; corrected to 94: none
    bp = next(r for r in rows(site, "measurements") if r["identifier"] == "r1-bp")
    assert (bp["value"], bp["value2"], bp["source"], bp["sender"]) == (150.0, 95.0, "api", "Hub A")
    audit = [e for e in rows(site, "audit") if e["what"] == "telemonitoring.receive"]
    assert audit and all(e["person"] == site.persons["ane"]["key"] for e in audit)


def test_a_malformed_observation_gets_400_with_the_element_and_the_fix(site):
    ane = k.subject(site.persons["ane"]["public_id"])
    bad = k.obs("weight", 82, "r2-w", ane)
    bad["valueQuantity"] = {"value": 82, "unit": "kg"}
    status, _, outcome = post(site, k.body(k.bundle(k.obs("pulse", 70, "r2-p", ane), bad)), site.token)
    assert status == 400
    [issue] = outcome["issue"]
    assert issue["expression"] == ["Observation.valueQuantity.code"]
    assert issue["location"] == ["Bundle.entry[1]"]
    assert 'Fix: add "system": "http://unitsofmeasure.org", "code": "kg"' in issue["diagnostics"]
    assert not [r for r in rows(site, "measurements") if r["identifier"].startswith("r2-")]  # nothing half-written
    status, _, outcome = post(site, b'{"resourceType": "Observation", "status": ', site.token)
    assert status == 400 and "not valid JSON" in outcome["issue"][0]["diagnostics"]


def test_without_a_valid_token_nothing_is_accepted(site):
    ane = k.subject(site.persons["ane"]["public_id"])
    doc = k.body(k.obs("pulse", 70, "r3-p", ane))
    status, headers, outcome = post(site, doc)
    assert status == 401 and headers["WWW-Authenticate"].startswith("Bearer")
    assert post(site, doc, "tm_wrong")[0] == 401
    other = site.run_opspor("telemonitoring", "token", "Hub B", "--organisation", "1083", check=True).stdout.strip()
    assert post(site, doc, other)[0] == 200
    site.run_opspor("telemonitoring", "revoke", "Hub B", check=True)
    assert post(site, k.body(k.obs("pulse", 71, "r3-q", ane)), other)[0] == 401


def test_a_patient_named_by_cpr_works_and_an_unknown_cpr_is_never_shown(site):
    bo = k.subject(cpr=site.persons["bo"]["cpr"])
    status, headers, _ = post(site, k.body(k.obs("pulse", 66, "r4-p", bo)), site.token)
    assert status == 200 and headers["X-Opspor-Stored"] == "1"
    status, _, outcome = post(site, k.body(k.obs("pulse", 66, "r4-q", k.subject(cpr="2912999999"))), site.token)
    assert status == 422
    assert outcome["issue"][0]["expression"] == ["Observation.subject.identifier.value"]
    assert "2912999999" not in json.dumps(outcome) and "2912999999" not in site.log()
    assert site.persons["bo"]["cpr"] not in site.log()
    dan = k.subject(site.persons["dan"]["public_id"])  # known, not enrolled: opspor did not ask for it
    status, _, outcome = post(site, k.body(k.obs("pulse", 66, "r4-r", dan)), site.token)
    assert status == 422 and "no patient enrolled in telemonitoring" in outcome["issue"][0]["diagnostics"]


def test_the_import_command_is_all_or_nothing_and_names_the_line(site, tmp_path):
    cai = k.subject(site.persons["cai"]["public_id"])
    good = [k.obs("weight", 70 + i / 10, f"r5-{i}", cai, at=k.when(f"2025-03-{i + 1:02d}")) for i in range(20)]
    bad = tmp_path / "bad.ndjson"
    wrong = k.obs("fev1", 1.5, "r5-bad", cai)
    wrong["valueQuantity"]["code"] = "mL"
    bad.write_text(k.ndjson(*good[:5], wrong, *good[5:]))
    done = site.run_opspor("telemonitoring", "import", str(bad))
    assert done.returncode == 1
    assert "line 6: Observation.valueQuantity.code: unit 'mL' is not accepted" in done.stderr
    assert "Nothing stored" in done.stderr
    assert not [r for r in rows(site, "measurements") if r["identifier"].startswith("r5-")]
    ok = tmp_path / "ok.ndjson"
    ok.write_text(k.ndjson(*reversed(good)))  # out of order
    done = site.run_opspor("telemonitoring", "import", str(ok), check=True)
    assert "20 read, 20 stored" in done.stdout
    done = site.run_opspor("telemonitoring", "import", str(ok), check=True)
    assert "0 stored" in done.stdout and "20 already stored" in done.stdout
    stored = [r for r in rows(site, "measurements") if r["identifier"].startswith("r5-")]
    assert len(stored) == 20 and {r["source"] for r in stored} == {"file"}


def test_ndjson_over_http_and_the_missing_check_command(site):
    bo = k.subject(site.persons["bo"]["public_id"])
    text = k.ndjson(k.obs("weight", 81, "r6-1", bo, at=k.when("2025-03-01")),
                    k.obs("weight", 83.5, "r6-2", bo, at=k.when("2025-03-03")))  # +2.5 kg in 2 days: red
    status, headers, _ = post(site, text.encode(), site.token, content_type="application/fhir+ndjson")
    assert status == 200 and headers["X-Opspor-Stored"] == "2" and headers["X-Opspor-Alarms"] == "1"
    assert {r["identifier"]: r["rule"] for r in rows(site, "measurements") if r["identifier"].startswith("r6-")} == {
        "r6-1": "", "r6-2": "weight_gain_red"}
    done = site.run_opspor("telemonitoring", "check-missing", check=True)
    assert "missing-measurement alarms raised" in done.stdout  # just enrolled: none due yet
