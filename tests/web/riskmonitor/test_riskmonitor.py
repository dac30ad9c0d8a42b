"""The risk model in service (issue 17, items 1-2) end to end: `opspor synth --risk-shift` raises the
acute-admission hazard in Odense (461) from 2025-01-01; the model is trained on 2023-2024
(`opspor risk train --test-as-of 2024-07-01`), scores are made for October 2024 and January 2025,
`opspor risk monitor --month 2025-01 --publish` shows observed against expected and drift and FLAGS
Odense (and no other municipality), the page and its PDF by role over HTTP (SQLite and PostgreSQL),
and the monthly schedule fires through `opspor risk schedule --once-at`: it scores as of the data's
end and monitors the scored months whose outcome is known."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from opspor.lists.schedule import TIMEZONE
from tests.risk import risk_kit
from tests.support import Opspor, pdf_text
from tests.support.receivers import smtp_server
from tests.web.fixtures_server import TEST_PSEUDONYM_KEY, start_server
from tests.web.test_headers_logs import Browser

SHIFTED, FACTOR = "461", "2.5"  # Odense
ARGS = ("--persons", "5000", "--start", "2022-01-01", "--end", "2025-12-31", "--seed", "5", "--region", "1083",
        "--format", "parquet", "--risk-shift", f"{SHIFTED}={FACTOR}", "--risk-shift-from", "2025-01-01")
OTHER_LEAD, PASSWORD = "leder-1085", "correct-horse-battery-staple-42"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    base = tmp_path_factory.mktemp("riskmonitor")
    env = {"OPSPOR_RISK_CONFIG": str(risk_kit.test_config(base / "config")), "OPSPOR_RISK_THREADS": "1"}
    with start_server(base / "home", env) as server:
        server.run_opspor("web", "demo-users", check=True)
        server.users = {u["username"]: u for u in json.loads((server.home / "demo-users.json").read_text())}
        server.run_opspor("manage", "shell", "-c", (
            "from opspor.web.accounts.models import Organisation, User; "
            f"User.objects.create_user(username='{OTHER_LEAD}', password='{PASSWORD}', role='programme_lead', "
            "organisation=Organisation.objects.get(kind='region', code='1085'), email='leder-1085@region.test'); "
            "User.objects.filter(username='programleder').update(email='programleder@region.test')"), check=True)
        cli = Opspor(server.home, TEST_PSEUDONYM_KEY, shaped=False)
        server.cli = lambda *args, **kw: cli(*args, env=env, **kw)
        drop = base / "drop"
        server.synth = server.cli("synth", *ARGS, "--out", drop)
        server.drop = drop
        server.cli("ingest", drop)
        trained = server.cli("risk", "train", "--test-as-of", "2024-07-01")
        boosted = next(line.split()[2] for line in trained.stdout.splitlines() if line.startswith("model boosted"))
        risk_kit.approve(server.home, boosted)  # governance: only an approved model is put in use
        server.cli("risk", "select-model", boosted)
        for day in ("2024-10-01", "2025-01-01"):
            server.cli("risk", "score", "--as-of", day)
        server.monitored = server.run_opspor("risk", "monitor", "--month", "2025-01", "--publish", check=True)
        yield server


def _record(site, month: str) -> dict:
    runs = sorted((site.home / "risk" / "monitoring" / month).iterdir())
    return json.loads((runs[-1] / "monitoring.json").read_text())


def test_the_generator_records_the_shift_in_its_truth(site):
    truth = site.drop / "truth"
    assert json.loads((truth / "risk_shift.json").read_text())["municipalities"] == {SHIFTED: float(FACTOR)}
    manifest = json.loads((truth / "manifest.json").read_text())
    assert manifest["risk_shift"] == {"municipalities": {SHIFTED: float(FACTOR)}, "from": "2025-01-01",
                                      "file": "risk_shift.json"}
    assert f"risk shift from 2025-01-01" in site.synth.stdout
    bad = site.cli("synth", *ARGS[:-2], "--risk-shift-from", "2021-01-01", "--out", site.drop.parent / "bad",
                   expect=2)
    assert "--risk-shift-from: 2021-01-01 must lie after 2022-01-01" in bad.output
    assert not (site.drop.parent / "bad").exists()


def test_monitor_flags_the_shifted_municipality_and_no_other(site):
    out = site.monitored.stdout
    assert "Monitored 2025-01: scores" in out and "outcome within 182 days" in out
    assert "ALERT Municipality Odense (461): observed/expected" in out
    assert "published: run" in out and "programme leads" in out
    record = _record(site, "2025-01")
    munis = {r["unit"]: r for r in record["groups"]["municipality"]}
    assert munis[SHIFTED]["flag"] == "high" and munis[SHIFTED]["ratio_low"] > 1.25
    assert [u for u, r in munis.items() if r["flag"]] == [SHIFTED]
    assert set(record["groups"]) == {"region", "municipality", "gp_practice", "sex", "age_band", "residence"}
    assert {r["unit"] for r in record["groups"]["sex"]} == {"F", "M"}
    overall = record["overall"]
    assert overall["observed"] == sum(r["observed"] for r in munis.values())
    assert 0.5 < overall["slope"] < 2 and overall["slope_low"] < overall["slope"] < overall["slope_high"]
    assert [p["month"] for p in record["auroc_over_time"]] == ["2024-10", "2025-01"]
    assert all(0.6 < p["auroc"] < 0.95 for p in record["auroc_over_time"])
    features = {r["feature"]: r for r in record["drift"]["features"]}
    assert len(features) == 54 and all(r["psi"] >= 0 for r in features.values())  # features.yaml v2
    assert record["drift"]["reference"]["train_as_of"][-1] == "2024-01-01"
    text = pdf_text(next((site.home / "risk" / "monitoring" / "2025-01").glob("*/report.pdf")).read_bytes())
    assert "Overvågning af risikomodellen 2025-01" in text and "Odense (461)" in text
    # a month whose outcome is not known yet, and a month never scored: refused with the fix
    late = site.cli("risk", "score", "--as-of", "2025-10-01")
    assert late.returncode == 0
    refused = site.cli("risk", "monitor", "--month", "2025-10", expect=1)
    assert "but the data end on 2026-01-01" in refused.stderr and "--month 2025-07" in refused.stderr
    none = site.cli("risk", "monitor", "--month", "2023-02", expect=1)
    assert "no scores were stored for an as-of date in 2023-02" in none.stderr
    assert site.cli("risk", "monitor", "--month", "2025-13", expect=2).returncode == 2


def test_the_page_by_role_and_region(site):
    lead = Browser(site)
    lead.log_in("programleder", site.users["programleder"]["password"])
    status, _, html = lead.request("/risikomodel/")
    assert status == 200
    assert "Overvågning af risikomodellen" in html and "Observeret mod forventet efter kommune" in html
    assert "Kommune Odense (461): observeret/forventet" in html  # the alert, in Danish
    assert re.search(r'<tr class="flagged"><td>Odense \(461\)</td>', html)
    assert "<svg" in html and "AUROC over tid" in html and "acute_admissions_365d" in html
    assert re.search(r"\d+,\d\d \[\d+,\d\d; \d+,\d\d\]", html)  # Danish decimals
    run_id = _record(site, "2025-01")["run_id"]
    with lead.opener.open(f"{site.url}/risikomodel/{run_id}.pdf", timeout=60) as response:
        assert response.status == 200 and response.headers["Content-Type"] == "application/pdf"
        assert "Odense (461)" in pdf_text(response.read())  # the lead's region: its municipalities
    secretariat = Browser(site)
    secretariat.log_in("sekretariat", site.users["sekretariat"]["password"])
    assert secretariat.request("/risikomodel/")[0] == 200
    for name in ("sygeplejerske", "kommune", "monitorering"):
        other = Browser(site)
        other.log_in(name, site.users[name]["password"])
        assert other.request("/risikomodel/")[0] == 403, name
        assert other.request(f"/risikomodel/{run_id}.pdf")[0] == 403, name
    elsewhere = Browser(site)  # another region's lead: no Odense, no alert about it
    elsewhere.log_in(OTHER_LEAD, PASSWORD)
    status, _, html = elsewhere.request("/risikomodel/")
    assert status == 200 and "Odense" not in html
    assert lead.request("/risikomodel/?maaned=1999-01")[0] == 404
    audit = site.run_opspor("manage", "shell", "-c", (
        "from opspor.web.audit.models import AuditEntry; from opspor.web.riskmonitor.models import MonitoringAlert; "
        "print(sorted({e.username for e in AuditEntry.objects.filter(what='risk.monitoring')}), "
        "AuditEntry.objects.filter(what='risk.monitoring.publish').count(), "
        "sorted({(a.region_code, a.group, a.unit) for a in MonitoringAlert.objects.filter(kind='observed_expected', "
        "group='municipality')}))"), check=True)
    assert "'programleder'" in audit.stdout and "'sekretariat'" in audit.stdout
    assert "1 [('1083', 'municipality', '461')]" in audit.stdout


def test_the_monthly_schedule_scores_and_monitors(site):
    at = (dt.datetime.now(TIMEZONE) + dt.timedelta(seconds=4)).replace(tzinfo=None, microsecond=0)
    r = site.run_opspor("risk", "schedule", "--once-at", at.isoformat(), timeout=240,
                        env={"OPSPOR_RISK_CONFIG": str(site.home.parent / "config"), "OPSPOR_RISK_THREADS": "1"})
    log = r.stdout + r.stderr
    assert r.returncode == 0, log
    assert "the data end on 2026-01-01: scoring as of that day" in log
    assert "monitored 2024-10" in log and "published" in log
    assert "monitored 2025-01" not in log  # monitored already
    lead = Browser(site)
    lead.log_in("programleder", site.users["programleder"]["password"])
    status, _, html = lead.request("/risikomodel/?maaned=2024-10")
    assert status == 200 and "Måned 2024-10" in html
    bad = site.run_opspor("risk", "schedule", "--once-at", at.isoformat(), env={"OPSPOR_RISK_DAY": "30"})
    assert bad.returncode == 1 and "OPSPOR_RISK_DAY: '30' is not a day 1-28" in bad.stderr


def test_the_programme_lead_is_mailed_each_limit_once_a_month(site):
    """The fixture published 2025-01 without e-mail set up: nothing was recorded as mailed, the CLI
    said why. Published again with a real SMTP server, the lead of the region gets one e-mail in
    Danish with the Odense limit; the other region's lead none; a third publish mails nothing."""
    assert "not e-mailed: e-mail is not set up: set OPSPOR_SMTP_HOST" in site.monitored.stdout
    with smtp_server() as smtp:
        env = {**smtp.env(), "OPSPOR_PUBLIC_URL": "https://opspor.region.test"}
        again = site.run_opspor("risk", "monitor", "--month", "2025-01", "--publish", env=env, check=True)
        assert "e-mailed 1 programme leads" in again.stdout
        [message] = smtp.wait_for("programleder@region.test")
        assert str(message["Subject"]).strip() == "Risikomodellen: en overvågningsgrænse er overskredet i 2025-01"
        body = message.get_content()
        assert "Kommune Odense (461): observeret/forventet" in body
        assert re.search(r"observeret/forventet \d+,\d\d \[\d+,\d\d; \d+,\d\d\] ligger over 1,\d\d", body)
        assert "https://opspor.region.test/risikomodel/?maaned=2025-01" in body
        assert "programleder for Region Syddanmark" in body and "ingen person" in body
        third = site.run_opspor("risk", "monitor", "--month", "2025-01", "--publish", env=env, check=True)
        assert "e-mailed 0 programme leads" in third.stdout
        assert len(smtp.messages) == 1 and not smtp.to("leder-1085@region.test")
    audit = site.run_opspor("manage", "shell", "-c", (
        "from opspor.web.audit.models import AuditEntry; from opspor.web.riskmonitor.models import AlertMail; "
        "e = AuditEntry.objects.filter(what='risk.monitoring.mail'); "
        "print(e.count(), e.first().username, e.first().detail['to'], "
        "sorted({m.limit for m in AlertMail.objects.filter(month='2025-01')}))"), check=True)
    assert "\n1 opspor risk monitor programleder [" in audit.stdout
    assert "'observed_expected:municipality:461:high'" in audit.stdout
