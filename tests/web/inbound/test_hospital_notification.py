"""MedCom HospitalNotifications into the live server (issue 16 item 5, slice B): an admission
notified by the hospital puts a target-group patient on the right department's list within a
minute, marked as added during the day; the rule is the shipped YAML rule evaluated on the run's
snapshot plus the stays received since its cut-off, so a patient outside the target group is not
listed. Leave and discharge update the line; a stay cancelled as sent in error leaves the list.
Exactly once by Bundle.id/MessageHeader.id; malformed notifications refused with the element and
the fix; the folder reader takes them too.

The drop is made relative to today, so the rule's 182-day window and the cut-off (yesterday
18:00) hold whenever the test runs. Each test stands alone (pytest-xdist may run them in
different workers, each with its own server): it notifies what it asserts about.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import json
import re
import time
import uuid
import zoneinfo
from pathlib import Path

import pytest
import yaml

from opspor import cpr as cprlib
from opspor.fhir import medcom
from tests.support import write_drop
from tests.web.fixtures_server import start_server
from tests.web.inbound.test_receive_messages import post
from tests.web.test_headers_logs import Browser

LOCAL = zoneinfo.ZoneInfo("Europe/Copenhagen")
BOOK = yaml.safe_load((Path(__file__).parents[3] / "src/opspor/web/messaging/config/addressbook.synthetic.yaml")
                      .read_text(encoding="utf-8"))
BASE = "https://ouh.example/fhir"
PEOPLE = {  # letter: (name, birth, earlier contacts: (days ago, unit department, specialty, ongoing))
    "P": "Pia Intradag", "Q": "Quinn Natliste", "R": "Rita Natliste", "G": "Gert Geriatri", "U": "Ulla Geriatri",
    "V": "Vera Enkelt", "W": "Willy Overført",
}
CPR = {p: cprlib.make(dt.date(1940, 1, 1) + dt.timedelta(days=31 * i), 200 + i) for i, p in enumerate(PEOPLE)}


def _party(kind: str, code: str) -> medcom.Party:
    raw = BOOK["senders"][code] if kind == "sender" else BOOK["recipients"][kind][code]
    return medcom.Party(raw["name"], raw["sor"], raw["ean"])


def drop(folder: Path, today: dt.date) -> Path:
    def day(n: int, hour: int = 8) -> str:
        return dt.datetime.combine(today - dt.timedelta(days=n), dt.time(hour)).isoformat()

    contacts = []

    def c(who: str, n: int, dept: str = "MED1", specialty: str = "medicine", days: int | None = 2, **extra):
        contacts.append({
            "contact_id": f"{who}{len(contacts)}", "cpr": CPR[who], "hospital_unit": "OUH", "course_department": dept,
            "contact_department": dept, "specialty": specialty, "priority": "acute", "contact_type": "physical",
            "start": day(n), "end": "" if days is None else day(n - days, 12), "action_diagnosis": "DR069", **extra})

    c("P", 60), c("P", 20)  # two acute contacts at OUH: the admission notified today makes three
    c("Q", 90), c("Q", 30), c("Q", 2, days=None)  # on MED1's nightly list
    c("R", 100), c("R", 50), c("R", 1, days=None)
    c("G", 80, "GER", "geriatrics"), c("G", 40, "GER", "geriatrics"), c("G", 3, "GER", "geriatrics", days=None)
    c("U", 70), c("U", 40, "GER", "geriatrics")  # notified into geriatrics: that list, not MED1's
    c("V", 30)  # one earlier contact: not in the target group however admitted
    c("W", 50), c("W", 25)  # like P: admitted today, then carried into a run published later today
    persons = [{"cpr": CPR[p], "name": name, "birth_date": f"19{40 + i}-01-01", "sex": "F", "municipality_code": "461",
                "region_code": "1083", "gp_provider_number": "012345", "residence_type": "own_home", "death_date": ""}
               for i, (p, name) in enumerate(PEOPLE.items())]
    return write_drop(folder, persons, contacts)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    home = tmp_path_factory.mktemp("hospital_notification") / "home"
    today = dt.datetime.now(LOCAL).date()
    with start_server(home) as server:
        server.run_opspor("ingest", str(drop(home.parent / "drop", today)), check=True)
        server.run_opspor("lists", "run", "--as-of", today.isoformat(), check=True)
        server.run_opspor("web", "publish", check=True)
        server.run_opspor("web", "demo-users", check=True)
        server.users = {u["username"]: u for u in json.loads((home / "demo-users.json").read_text())}
        server.token = server.run_opspor("messages", "token", "OUH MED1", "--organisation", "OUH/MED1", "--kind",
                                         "department", check=True).stdout.strip()
        server.gp_token = server.run_opspor("messages", "token", "Lægehuset", "--organisation", "012345",
                                            check=True).stdout.strip()
        yield server


def notification(who: str, *, department: str = "OUH/MED1", activity: str = "admit-inpatient", status: str = "in-progress",
                 episode: str | None = None, start: dt.datetime | None = None, end: dt.datetime | None = None,
                 leave_start: dt.datetime | None = None, encounter_class: str = "IMP") -> dict:
    now = dt.datetime.now(LOCAL)
    stay = medcom.Stay(episode=episode or f"urn:uuid:{uuid.uuid4()}", status=status, encounter_class=encounter_class,
                       start=start or now - dt.timedelta(minutes=5), end=end, leave_start=leave_start)
    return medcom.hospital_notification(
        message_id=str(uuid.uuid4()), sent_at=now, sender=_party("department", "OUH/MED1"),
        receiver=_party("sender", "1083"), service_provider=_party("department", department),
        patient=medcom.Patient(CPR[who], *PEOPLE[who].split(" ", 1)), stay=stay, activity=activity, fhir_base=BASE)


def _html(site, user: str) -> str:
    browser = Browser(site)
    browser.log_in(user, site.users[user]["password"])
    status, _, html = browser.request("/lister/")
    assert status == 200
    return html


def _block(html: str, name: str) -> str:
    """The worklist's article of the patient called ``name`` ('' if not on the list)."""
    at = html.find(f">{name}</h2>")
    return "" if at < 0 else html[html.rfind("<article", 0, at):html.find("</article>", at)]


def test_an_admission_puts_a_target_group_patient_on_the_list_within_a_minute(site, page):
    med1, ger = site.users["speciallaege"], site.users["speciallaege2"]
    assert "MED1" in med1["organisation"] and "GER" in ger["organisation"], (med1, ger)
    before = _html(site, "speciallaege")
    assert _block(before, PEOPLE["Q"]) and not _block(before, PEOPLE["P"])  # the nightly list; P not on it

    message = notification("P", episode="urn:uuid:stay-pia")
    sent = time.monotonic()
    status, headers, answer = post(site, message, site.token)
    assert status == 200 and headers["X-Opspor-Status"] == "accepted", answer
    assert medcom.acknowledged_id(answer) == (message["id"], "ok")

    page.goto(f"{site.url}/konto/log-ind/")
    page.get_by_label("Brugernavn").fill("speciallaege")
    page.get_by_label("Adgangskode").fill(med1["password"])
    page.get_by_role("button", name="Log ind").click()
    page.goto(f"{site.url}/lister/")
    pia = page.locator("article.patient", has=page.get_by_role("heading", name=PEOPLE["P"]))
    badge = pia.get_by_test_id("added-intraday")
    badge.wait_for(timeout=60_000)
    assert time.monotonic() - sent < 60
    assert "Tilføjet i løbet af dagen" in badge.inner_text()
    assert "Ny i dag" in pia.inner_text()
    assert pia.locator("tbody tr").count() == 3  # the admission and the two earlier contacts
    assert "stadig indlagt" in pia.inner_text()
    quinn = page.locator("article.patient", has=page.get_by_role("heading", name=PEOPLE["Q"]))
    assert quinn.get_by_test_id("added-intraday").count() == 0  # the nightly lines stay as published
    assert not _block(_html(site, "speciallaege2"), PEOPLE["P"])  # geriatrics' list is not MED1's
    # the department list's export marks the added line with the badge's words (worklists/queries.added_label)
    browser = Browser(site)
    browser.log_in("speciallaege", med1["password"])
    export = re.search(r'href="(/lister/\d+/eksport\.csv)"', browser.request("/lister/")[2]).group(1)
    rows = list(csv.reader(io.StringIO(browser.request(export)[2].lstrip("\ufeff")), delimiter=";"))
    column = rows[0].index("Tilføjet i løbet af dagen")
    marked = {r[column] for r in rows[1:] if r[1] == PEOPLE["P"] and r[column]}
    assert marked == {badge.inner_text().strip()}, (marked, badge.inner_text())


def test_the_rule_decides_and_the_department_is_the_notified_one(site):
    status, _, _ = post(site, notification("V"), site.token)  # one earlier contact: not in the target group
    assert status == 200
    status, _, _ = post(site, notification("U", department="OUH/GER"), site.token)
    assert status == 200
    med1, ger = _html(site, "speciallaege"), _html(site, "speciallaege2")
    assert not _block(med1, PEOPLE["V"]) and not _block(ger, PEOPLE["V"])
    assert _block(ger, PEOPLE["U"]) and 'data-testid="added-intraday"' in _block(ger, PEOPLE["U"])
    assert not _block(med1, PEOPLE["U"])


def test_leave_discharge_and_cancellation_update_the_list_exactly_once(site):
    episode = "urn:uuid:stay-rita-2"
    now = dt.datetime.now(LOCAL)
    admitted = now - dt.timedelta(minutes=30)
    # R is on MED1's nightly list; a second stay today adds its line, marked, without a second block
    admit = notification("R", episode=episode, start=admitted)
    assert post(site, admit, site.token)[0] == 200
    status, headers, _ = post(site, admit, site.token)  # delivered again: nothing changes
    assert status == 200 and headers["X-Opspor-Status"] == "duplicate"
    rita = _block(_html(site, "speciallaege"), PEOPLE["R"])
    assert rita.count("<tbody>") == 1 and rita.count("<tr><td>") == 4 and 'data-testid="added-intraday"' in rita

    leave = notification("R", episode=episode, start=admitted, activity="start-leave-inpatient", status="onleave",
                         leave_start=now - dt.timedelta(minutes=10))
    assert post(site, leave, site.token)[0] == 200
    assert "på orlov siden" in _block(_html(site, "speciallaege"), PEOPLE["R"])
    end = notification("R", episode=episode, start=admitted, activity="discharge-inpatient-home", status="finished",
                       end=now - dt.timedelta(minutes=1))
    assert post(site, end, site.token)[0] == 200
    rita = _block(_html(site, "speciallaege"), PEOPLE["R"])
    assert "udskrevet" in rita and rita.count("<tr><td>") == 4


def test_a_cancelled_admission_takes_the_patient_off_again(site):
    episode = "urn:uuid:stay-in-error"
    start = dt.datetime.now(LOCAL) - dt.timedelta(minutes=20)
    assert post(site, notification("U", department="OUH/GER", episode="urn:uuid:ulla-geriatrics"), site.token)[0] == 200
    admit = notification("U", department="OUH/MED1", episode=episode, start=start)
    assert post(site, admit, site.token)[0] == 200
    assert _block(_html(site, "speciallaege"), PEOPLE["U"])
    cancel = notification("U", department="OUH/MED1", episode=episode, start=start, activity="cancel-admit-inpatient",
                          status="entered-in-error")
    assert post(site, cancel, site.token)[0] == 200
    assert not _block(_html(site, "speciallaege"), PEOPLE["U"])
    assert _block(_html(site, "speciallaege2"), PEOPLE["U"])  # the geriatric stay stands


def test_malformed_notifications_are_refused_with_the_element_and_the_fix(site):
    good = notification("P")
    no_leave = notification("P", activity="start-leave-inpatient", status="onleave")
    status, headers, outcome = post(site, no_leave, site.token)
    assert status == 400 and headers["X-Opspor-Status"] == "refused"
    assert outcome["issue"][0]["expression"] == ["Encounter.extension(leavePeriod).valuePeriod.start"]

    no_activity = copy.deepcopy(good)
    no_activity["entry"][-1]["resource"]["activity"]["coding"][0]["code"] = "new-message"
    status, _, outcome = post(site, no_activity, site.token)
    assert status == 400 and outcome["issue"][0]["expression"] == ["Provenance.activity"]

    unknown_class = notification("P", encounter_class="HH")
    status, _, outcome = post(site, unknown_class, site.token)
    assert status == 422 and outcome["issue"][0]["expression"] == ["Encounter.class"]
    assert "intraday.yaml" in outcome["issue"][0]["diagnostics"]

    elsewhere = copy.deepcopy(good)
    ref = elsewhere["entry"][2]["resource"]["serviceProvider"]["reference"]
    provider = next(e["resource"] for e in elsewhere["entry"] if f"Organization/{e['resource']['id']}" == ref)
    provider["identifier"][0]["value"] = "990000000099999"
    status, _, outcome = post(site, elsewhere, site.token)
    assert status == 422 and outcome["issue"][0]["expression"] == ["Encounter.serviceProvider"]
    assert "recipients.department" in outcome["issue"][0]["diagnostics"]

    from_gp = notification("P")
    status, _, _ = post(site, from_gp, site.gp_token)
    assert status == 403  # not the SOR code of the practice's token
    assert CPR["P"] not in site.log()

    secretariat = Browser(site)
    secretariat.log_in("sekretariat", site.users["sekretariat"]["password"])
    status, _, html = secretariat.request("/meddelelser/indbakke/?status=refused")
    assert status == 200 and "Encounter.serviceProvider" in html


def test_the_folder_reader_takes_notifications(site, tmp_path):
    inbox = tmp_path / "ind"
    inbox.mkdir()
    good = notification("V", episode="urn:uuid:vera-folder")
    bad = copy.deepcopy(good)
    bad["id"] = bad["entry"][0]["resource"]["id"] = str(uuid.uuid4())
    del bad["entry"][2]["resource"]["period"]
    (inbox / "a.json").write_text(json.dumps(good))
    (inbox / "b.json").write_text(json.dumps(good))
    (inbox / "c.json").write_text(json.dumps(bad))
    done = site.run_opspor("messages", "receive", str(inbox))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 received, 1 already received (nothing changed), 1 refused" in done.stdout
    assert "Encounter.period.start: missing" in (inbox / "refused" / "c.json.reason.txt").read_text()


def test_a_run_published_later_keeps_the_patients_notified_since_its_cut_off(site):
    assert post(site, notification("W", episode="urn:uuid:willy"), site.token)[0] == 200
    assert 'data-testid="added-intraday"' in _block(_html(site, "speciallaege"), PEOPLE["W"])
    today = dt.datetime.now(LOCAL).date()
    site.run_opspor("lists", "run", "--as-of", today.isoformat(), check=True)
    site.run_opspor("web", "publish", check=True)  # the snapshot knows nothing of today's stay
    willy = _block(_html(site, "speciallaege"), PEOPLE["W"])
    assert 'data-testid="added-intraday"' in willy and willy.count("<tr><td>") == 3
    assert _block(_html(site, "speciallaege"), PEOPLE["Q"])  # the new run's nightly lines
