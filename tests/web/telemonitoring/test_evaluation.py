"""The telemonitoring evaluation end to end against the live server: `opspor synth
--telemonitoring` (a strong deterioration signal before COPD admissions, none before heart-failure
admissions, an effect on admissions), `opspor ingest`, `opspor telemonitoring enrolments` and
`import`, `opspor telemonitoring evaluate --publish`; the figures checked against what the
generator was told and wrote into its truth; alarms handled over HTTP on the worklist feed the
handling times and the share acted on; the page by role and region."""

from __future__ import annotations

import csv
import json
import re

import pytest
import yaml

from opspor.rules import concepts
from opspor.synth import telemonitoring as synth_tm
from tests.web.fixtures_server import start_server
from tests.web.test_headers_logs import Browser

PATIENTS = 200
ARGS = ("--persons", "20000", "--start", "2023-01-01", "--end", "2024-12-31", "--seed", "3", "--region", "1083",
        "--telemonitoring", str(PATIENTS), "--telemonitoring-start", "2024-01-01", "--telemonitoring-effect", "0.4",
        "--workers", "1")
COPD_SHARE, HF_SHARE = 0.95, 0.0
OTHER_LEAD = "leder-1085"
PASSWORD = "correct-horse-battery-staple-42"

pytestmark = pytest.mark.slow


def evaluate(site, name: str) -> dict:
    out = site.home.parent / f"{name}.json"
    done = site.run_opspor("telemonitoring", "evaluate", "--out", out, "--publish", check=True)
    assert "Sensitivitet" in done.stdout and "published: 1083" in done.stdout  # Danish labels by default
    return json.loads(out.read_text())["1083"]


def label(lang: str) -> str:
    """The admission concept's label as a row starts with it (concepts.yaml, never written here)."""
    text = concepts.shipped().label("acute_admission", lang)
    return text[:1].upper() + text[1:]


def groups(report: dict) -> dict:
    return {g["group"]: g for g in report["groups"]}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    base = tmp_path_factory.mktemp("tm-eval")
    config = yaml.safe_load(_shipped_text_path().read_text(encoding="utf-8"))
    config["conditions"]["copd"]["deterioration"]["share_of_admissions"] = COPD_SHARE
    config["conditions"]["heart_failure"]["deterioration"]["share_of_admissions"] = HF_SHARE
    (base / "tm.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    with start_server(base / "home") as server:
        server.run_opspor("web", "demo-users", check=True)
        server.users = {u["username"]: u for u in json.loads((server.home / "demo-users.json").read_text())}
        server.run_opspor("manage", "shell", "-c", (
            "from opspor.web.accounts.models import Organisation, User; "
            f"User.objects.create_user(username='{OTHER_LEAD}', password='{PASSWORD}', role='programme_lead', "
            "organisation=Organisation.objects.get(kind='region', code='1085'))"), check=True)
        drop = base / "drop"
        server.run_opspor("synth", *ARGS, "--telemonitoring-config", base / "tm.yaml", "--out", drop, check=True)
        server.run_opspor("ingest", drop, check=True)
        done = server.run_opspor("telemonitoring", "enrolments", drop / "telemonitoring" / "enrolments.csv",
                                 "--by", "sygeplejerske", check=True)
        server.enrolled = json.loads((drop / "truth" / "manifest.json").read_text())["telemonitoring"]["patients"]
        assert 0.9 * PATIENTS <= server.enrolled <= PATIENTS  # a patient who dies before the enrolment day is never enrolled
        assert f"{server.enrolled} enrolled" in done.stdout
        again = server.run_opspor("telemonitoring", "enrolments", drop / "telemonitoring" / "enrolments.csv",
                                  "--by", "sygeplejerske", check=True)
        assert f"0 enrolled, {server.enrolled} already enrolled" in again.stdout  # a rerun is harmless
        server.run_opspor("telemonitoring", "import", drop / "telemonitoring" / "observations.ndjson", check=True)
        server.drop = drop
        server.first = evaluate(server, "first")
        yield server


def _shipped_text_path():
    from importlib import resources

    return resources.files("opspor.synth").joinpath("data", synth_tm.CONFIG_FILE)


def truth(site) -> list[dict]:
    with open(site.drop / "truth" / "telemonitoring_admissions.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_the_figures_follow_what_the_generator_was_told(site):
    g = groups(site.first)
    assert list(g) == ["all", "copd", "heart_failure"]
    assert g["all"]["patients"] == site.enrolled == g["copd"]["patients"] + g["heart_failure"]["patients"]
    rows = truth(site)
    # every acute admission the generator drew after enrolment is counted, per condition
    for name in ("copd", "heart_failure"):
        assert g[name]["admissions_after"]["count"] == sum(r["condition"] == name for r in rows), name
    manifest = json.loads((site.drop / "truth" / "manifest.json").read_text())["telemonitoring"]
    assert manifest["persons"] == PATIENTS and manifest["admission_hazard_ratio"] == 0.4
    # a strong signal before COPD admissions: nearly all are warned by a red alarm
    signalled = sum(r["deterioration_before"] == "1" for r in rows if r["condition"] == "copd")
    copd = g["copd"]["sensitivity"]
    assert signalled >= 0.85 * copd["n"] > 20
    assert copd["k"] >= 0.9 * signalled and copd["low"] > 0.7, copd
    # none before heart-failure admissions: the few warned ones are false alarms by chance
    hf = g["heart_failure"]["sensitivity"]
    assert sum(r["deterioration_before"] == "1" for r in rows if r["condition"] == "heart_failure") == 0
    assert hf["n"] > 10 and hf["value"] < 0.25 and hf["high"] < 0.5, hf
    # the burden: with no signal, (nearly) every red alarm is followed by no admission
    assert g["heart_failure"]["burden"]["value"] > 0.8 > g["copd"]["burden"]["value"]
    # measurements per patient-week: the protocol's plan times the adherence (0.9), less days in hospital
    assert 0.85 * 17 * 0.9 < g["copd"]["measurements_per_patient_week"] <= 17 * 0.9 * 1.05
    assert 0.85 * 22 * 0.9 < g["heart_failure"]["measurements_per_patient_week"] <= 22 * 0.9 * 1.05
    for name in ("copd", "heart_failure"):  # against the plans: the adherence (0.9), less days in hospital
        assert 0.8 < g[name]["sent_of_planned"] <= 0.9, g[name]["sent_of_planned"]
    # the put-in effect (hazard ratio 0.4): fewer admissions after enrolment than before
    ratio = g["all"]["ratio"]
    assert ratio["high"] < 1, ratio
    assert g["all"]["admissions_after"]["value"] < g["all"]["admissions_before"]["value"]
    # nobody handled an alarm yet
    assert g["all"]["handling_minutes"]["all"]["n"] == 0 and g["all"]["acted_on"]["k"] == 0
    assert g["all"]["alarms"]["red"]["count"] > 0


def test_alarms_handled_on_the_worklist_give_handling_times_and_the_share_acted_on(site):
    nurse = Browser(site)
    nurse.log_in("monitorering", site.users["monitorering"]["password"])
    status, _, html = nurse.request("/telemonitorering/vagt/")
    assert status == 200
    red = re.findall(r'<tr class="tm-row-red">.*?href="/telemonitorering/alarm/(\d+)/"', html, re.S)[:3]
    assert len(red) == 3
    for pk in red:
        _, _, page = nurse.request(f"/telemonitorering/alarm/{pk}/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        assert nurse.request(f"/telemonitorering/alarm/{pk}/", {"csrfmiddlewaretoken": token,
                                                                 "step": "acknowledge"})[0] == 302
    _, _, page = nurse.request(f"/telemonitorering/alarm/{red[0]}/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert nurse.request(f"/telemonitorering/alarm/{red[0]}/", {"csrfmiddlewaretoken": token, "step": "contact",
                                                                 "text": "Ringet op, kontrol i morgen"})[0] == 302
    g = groups(evaluate(site, "handled"))["all"]
    assert g["handling_minutes"]["red"]["n"] == g["handling_minutes"]["all"]["n"] == 3
    assert g["handling_minutes"]["red"]["median"] >= 0
    assert g["acted_on"]["k"] == 1 and g["red_acted_on"]["k"] == 1
    assert g["acknowledged"]["k"] == 3


def test_the_page_by_role_and_region(site):
    lead = Browser(site)
    lead.log_in("programleder", site.users["programleder"]["password"])
    status, _, html = lead.request("/telemonitorering/evaluering/")
    assert status == 200
    assert "Evaluering af telemonitorering" in html and "Tilmeldte patienter" in html
    assert "Sensitivitet: indlæggelser med en rød alarm i de 7 dage før" in html
    assert f"{label('da')} pr. 1.000 patientår, 365 dage før tilmelding" in html
    assert re.search(rf'id="tm-eval-patients">.*?<td class="num">{site.enrolled}</td>', html, re.S)
    # Danish number formats: a decimal comma (patient-years, e.g. 71,7)
    assert re.search(r'id="tm-eval-patient_years">.*?<td class="num">\d+,\d</td>', html, re.S)
    assert "Kliniske effekter" in html and "Økonomiske aspekter" in html
    _, _, rollout = lead.request("/overvaagning/udrulning/")
    assert 'href="/telemonitorering/evaluering/"' in rollout  # reached from the monitoring pages and the menu
    secretariat = Browser(site)
    secretariat.log_in("sekretariat", site.users["sekretariat"]["password"])
    assert secretariat.request("/telemonitorering/evaluering/")[0] == 200
    for name in ("kommune", "monitorering", "sygeplejerske"):  # the municipality, and the clinical roles
        other = Browser(site)
        other.log_in(name, site.users[name]["password"])
        assert other.request("/telemonitorering/evaluering/")[0] == 403, name
    elsewhere = Browser(site)  # another region's programme lead sees only her own region's (none)
    elsewhere.log_in(OTHER_LEAD, PASSWORD)
    status, _, html = elsewhere.request("/telemonitorering/evaluering/")
    assert status == 200 and 'id="tm-evaluation-none"' in html and "tm-eval-patients" not in html
    audit = site.run_opspor("manage", "shell", "-c", (
        "from opspor.web.audit.models import AuditEntry; "
        "print(sorted({e.username for e in AuditEntry.objects.filter(what='telemonitoring.evaluation')}))"),
        check=True)
    assert "programleder" in audit.stdout and "sekretariat" in audit.stdout


def test_the_period_the_region_and_the_language_are_chosen(site):
    out = site.home.parent / "march.json"
    done = site.run_opspor("telemonitoring", "evaluate", "--end", "2024-03-31", "--lang", "en", "--out", out,
                           check=True)
    assert "Sensitivity: admissions with a red alarm in the 7 days before" in done.stdout
    assert f"{label('en')} per 1,000 patient-years after enrolment" in done.stdout
    march = groups(json.loads(out.read_text())["1083"])["all"]
    full = groups(site.first)["all"]
    assert march["patient_years"] < 0.55 * full["patient_years"]
    assert march["admissions_after"]["count"] < full["admissions_after"]["count"]
    assert json.loads(out.read_text())["1083"]["end"].startswith("2024-03-31T23:59")
    none = site.run_opspor("telemonitoring", "evaluate", "--region", "1085")
    assert none.returncode == 1 and "No enrolments to evaluate in region 1085" in none.stderr


def test_a_bad_enrolment_file_stores_nothing_and_names_the_line(site):
    bad = site.home.parent / "bad.csv"
    lines = (site.drop / "telemonitoring" / "enrolments.csv").read_text(encoding="utf-8").splitlines()
    bad.write_text("\n".join([lines[0], lines[1].replace(",direct", ",hospital")]) + "\n", encoding="utf-8")
    done = site.run_opspor("telemonitoring", "enrolments", bad, "--by", "sygeplejerske")
    assert done.returncode == 1
    assert "line 2: source 'hospital'" in done.stderr and "Fix: write one of" in done.stderr
    assert lines[1].split(",")[0] not in done.stderr + done.stdout  # no CPR number
    wrong = site.run_opspor("telemonitoring", "enrolments", site.drop / "telemonitoring" / "enrolments.csv",
                            "--by", "monitorering")
    assert wrong.returncode == 1 and "Kun en støttesygeplejerske eller en afdelingsspecialist" in wrong.stderr


def test_the_report_as_csv_excel_and_pdf_audited(site):
    import io

    import openpyxl

    from tests.support.pdf import pdf_text

    lead = Browser(site)
    lead.log_in("programleder", site.users["programleder"]["password"])
    _, _, html = lead.request("/telemonitorering/evaluering/")
    assert 'href="?format=pdf"' in html and "grupper med færre end 5 patienter er skjult i filerne" in html

    def download(fmt: str) -> tuple[dict, bytes]:
        with lead.opener.open(f"{site.url}/telemonitorering/evaluering/?format={fmt}", timeout=60) as response:
            return dict(response.headers), response.read()

    headers, body = download("csv")
    assert body.startswith("\ufeff".encode()) and "attachment" in headers["Content-Disposition"]
    lines = body.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("MAST;Tal;Alle;")
    assert any(line.startswith(f"Inddragelse af patienten;Tilmeldte patienter;{site.enrolled};") or
               f";Tilmeldte patienter;{site.enrolled};" in line for line in lines)
    _, body = download("xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    assert [c.value for c in next(sheet.iter_rows(max_row=1))][:3] == ["MAST", "Tal", "Alle"]
    headers, body = download("pdf")
    assert headers["Content-Type"] == "application/pdf"
    text = pdf_text(body)
    assert "Evaluering af telemonitorering" in text and "Tilmeldte patienter" in text
    assert lead.request("/telemonitorering/evaluering/?format=json")[0] == 400  # not offered
    other = Browser(site)
    other.log_in("kommune", site.users["kommune"]["password"])
    assert other.request("/telemonitorering/evaluering/?format=csv")[0] == 403
    audit = site.run_opspor("manage", "shell", "-c", (
        "from opspor.web.audit.models import AuditEntry; "
        "print(sorted(e.what for e in AuditEntry.objects.filter(what__in=['telemonitoring.evaluation.csv', "
        "'telemonitoring.evaluation.xlsx', 'telemonitoring.evaluation.pdf', 'telemonitoring.evaluation.json'])))"),
        check=True)
    assert "['telemonitoring.evaluation.csv', 'telemonitoring.evaluation.pdf', 'telemonitoring.evaluation.xlsx']" \
        in audit.stdout
