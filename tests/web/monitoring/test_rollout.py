"""Rollout pages from the web app's own rows: the package (lists and screenings) and Aktiv
Patientstøtte (cases and sessions), counted by opspor.monitor.rollout. Aggregates only."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support.clock import local_today
from tests.web.exports_kit import csv_dicts
from tests.web.factories import *
from tests.web.factories import aware, make_case

pytestmark = pytest.mark.django_db


def _csv(response) -> list[dict]:
    return csv_dicts(response, "en")


def test_package_per_department_and_week(users, as_user, published):
    from opspor.web.worklists.models import ListEntry, Screening

    entries = list(ListEntry.objects.filter(run=published).select_related("department", "person"))
    persons = {(e.department_id, e.person_id): e for e in entries}
    first = next(iter(persons.values()))
    Screening.objects.create(person=first.person, department=first.department, run=published, decision="no_action",
                             decided_by=users["med1"])
    Screening.objects.create(person=first.person, department=first.department, run=published, decision="include",
                             decided_by=users["med1"])  # the newer decision is in force
    rows = _csv(as_user(users["secretariat"]).get("/overvaagning/udrulning/weeks.csv"))
    week = f"{published.as_of.isocalendar()[0]}-W{published.as_of.isocalendar()[1]:02d}"
    by_dept = {r["Department"]: r for r in rows}
    assert all(r["Week"] == week for r in rows)
    assert sum(int(r["Listed"]) for r in rows) == len(persons)
    mine = by_dept[first.department.name]
    assert (mine["Screened"], mine["Included"], mine["No action"]) == ("1", "1", "0")
    html = as_user(users["lead"]).get("/overvaagning/udrulning/").content.decode()
    assert "<svg" in html and first.department.name in html
    assert first.person.name not in html and first.person.cpr not in html  # no persons


def test_aps_funnel_nurses_intake_and_sessions(world, as_user):
    from opspor.web.aps.models import Case, Session

    u, p = world.users, world.persons
    today = local_today()
    a = make_case(p["p1"], u["nina"], u["pia"], "active", invited_at=aware(today - dt.timedelta(days=60)),
                  answered_at=aware(today - dt.timedelta(days=50)), started_at=aware(today - dt.timedelta(days=40)))
    make_case(p["p2"], u["nina"], u["pia"], "refused", answered_at=aware(today - dt.timedelta(days=5)))
    make_case(p["p3"], u["ole"], u["pia"], "consented", answered_at=aware(today - dt.timedelta(days=2)))
    ended = make_case(p["p4"], u["ole"], u["pia"], "ended", answered_at=aware(today - dt.timedelta(days=90)),
                      started_at=aware(today - dt.timedelta(days=80)))
    Case.objects.filter(pk=ended.pk).update(ended_at=aware(today - dt.timedelta(days=1)))
    make_case(p["q1"], u["nora"], u["lone"], "active", started_at=aware(today - dt.timedelta(days=3)))  # other region
    Session.objects.create(case=a, kind="startup", planned_for=aware(today - dt.timedelta(days=40)), status="held",
                           held_at=aware(today - dt.timedelta(days=40)))
    Session.objects.create(case=a, kind="phone", planned_for=aware(today - dt.timedelta(days=10)), status="missed")
    Session.objects.create(case=a, kind="phone", planned_for=aware(today + dt.timedelta(days=10)))  # not yet due
    client = as_user(u["pia"])
    nurses = {r["Nurse"]: r for r in _csv(client.get("/overvaagning/udrulning/nurses.csv"))}
    assert set(nurses) == {"Nina Sygeplejerske", "Ole Sygeplejerske"}  # not region 1085's nurse
    nina, ole = nurses["Nina Sygeplejerske"], nurses["Ole Sygeplejerske"]
    assert (nina["Invited"], nina["Consented"], nina["Declined"], nina["Started"], nina["Active"],
            nina["Capacity"]) == ("2", "1", "1", "1", "1", "2")
    assert (ole["Consented"], ole["Started"], ole["Active"], ole["Ended"]) == ("2", "1", "0", "1")
    sessions = _csv(client.get("/overvaagning/udrulning/sessions.csv"))
    assert [(s["Nurse"], s["Planned"], s["Held"], s["Missed"]) for s in sessions] == [
        ("Nina Sygeplejerske", "2", "1", "1")]
    intake = _csv(client.get("/overvaagning/udrulning/intake.csv"))
    assert intake[-1]["Started (cumulative)"] == "2"
    # the plan (rollout.yaml): 14,194 over 2016-2019, the region's share by population
    from opspor import reference as ref

    munis = ref.municipalities()
    share = sum(m.population for m in munis if m.region_code == "1083") / sum(m.population for m in munis)
    assert float(intake[-1]["Planned (cumulative)"]) == pytest.approx(round(14194 * share), abs=0.05)
    html = client.get("/overvaagning/udrulning/").content.decode()
    assert html.count("<svg") == 2  # the APS funnel and the intake; no list published in this world
    assert "Test P1 Hansen" not in html
    assert client.get("/overvaagning/udrulning/nonsense.csv").status_code == 404
    assert as_user(u["odense"]).get("/overvaagning/udrulning/").status_code == 403


def test_rollout_config_errors_name_the_file_key_and_fix(tmp_path):
    from opspor.rules import RuleConfigError
    from opspor.web.monitoring.rollout import load_config

    default = load_config()
    assert (default.plan.total, default.plan.start, default.split) == (14194, dt.date(2016, 1, 1), "population")
    own = tmp_path / "own.yaml"
    own.write_text("version: 2\nsplit: none\nintake: {total: 3000, start: 2026-01-01, end: 2029-12-31, "
                   "source: Regionsrådet}\n", encoding="utf-8")
    mine = load_config(own)
    assert (mine.plan.total, mine.plan_for("1083").total) == (3000, 3000)
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nsplit: by_size\n", encoding="utf-8")
    with pytest.raises(RuleConfigError, match=r"bad.yaml: at split: unknown split 'by_size'. Fix: write one of"):
        load_config(bad)
    bad.write_text("version: 1\nintake: {total: 3000, start: 2026-01-01, end: 2025-12-31, source: x}\n",
                   encoding="utf-8")
    with pytest.raises(RuleConfigError, match=r"at intake.end: 2025-12-31 is before the start"):
        load_config(bad)


def test_rollout_exports_in_danish(world, login):
    from opspor.web.aps.models import Session

    u, p = world.users, world.persons
    today = local_today()
    a = make_case(p["p1"], u["nina"], u["pia"], "active", started_at=aware(today - dt.timedelta(days=40)))
    Session.objects.create(case=a, kind="phone", planned_for=aware(today - dt.timedelta(days=12)), status="held",
                           held_at=aware(today - dt.timedelta(days=12)))
    for n in range(2):
        Session.objects.create(case=a, kind="phone", planned_for=aware(today - dt.timedelta(days=10 - n)),
                               status="missed")
    client = login(u["pia"])
    sessions = csv_dicts(client.get("/overvaagning/udrulning/sessions.csv"), "da")
    assert sessions == [{"Region": "Region Syddanmark", "Sygeplejerske": "Nina Sygeplejerske", "Planlagt": "3",
                         "Holdt": "1", "Ikke holdt": "2", "Holdt (%)": "33,3"}]
    intake = csv_dicts(client.get("/overvaagning/udrulning/intake.csv"), "da")
    assert list(intake[0]) == ["Måned", "Månedens sidste dag", "Planlagt (samlet)", "Startet (samlet)",
                               "Samtykket (samlet)", "Andel af plan (%)"]
    assert all(r["Månedens sidste dag"][2] == "-" and r["Månedens sidste dag"][5] == "-" for r in intake)
    assert "," in intake[-1]["Planlagt (samlet)"] and "." not in intake[-1]["Planlagt (samlet)"]
    # the page names the months as Danish readers do ("marts 2024", not "2024-03")
    page = client.get("/overvaagning/udrulning/").content.decode()
    names = ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober",
             "november", "december")
    assert f"<td>{names[today.month - 1]} {today.year}</td>" in page
    assert f"<td>{today:%Y-%m}</td>" not in page


def test_the_secretariat_sets_the_regions_own_intake_plan_per_year(world, login):
    """Issue 19 item 7: the shipped plan covers 2016-2019, so every current month showed 0 % of
    plan; the secretariat sets the region's own plan on the rollout page, a number of patients for
    each year of its period (validated in Danish, audited, history kept), and the intake figures,
    the export and the page use it: each month gets its share of its year's number."""
    from opspor.web.audit.models import AuditEntry
    from opspor.web.monitoring.models import IntakePlan

    u, p = world.users, world.persons
    today = local_today()
    y = today.year
    make_case(p["p1"], u["nina"], u["pia"], "active", started_at=aware(today - dt.timedelta(days=3)))
    client = login(u["sara"])  # the region's secretariat, Danish
    page = client.get("/overvaagning/udrulning/").content.decode()
    assert "Fastsæt regionens egen plan for optag" in page and "udrulningsplanens version" in page
    assert all(f'name="year_{year}"' in page for year in range(y, y + 4))  # a new plan: this year and three on
    assert f"Planlagte patienter i {y}" in page
    before = csv_dicts(client.get("/overvaagning/udrulning/intake.csv"), "da")[-1]
    assert before["Andel af plan (%)"] == "0,0"  # 1 started against the whole of the published 2016-2019 plan
    start, end = dt.date(y, 1, 1), dt.date(y + 2, 12, 31)
    period = {"start": start.strftime("%d-%m-%Y"), "end": end.strftime("%d-%m-%Y")}

    def post(years: dict[int, str], **fields):
        return client.post("/overvaagning/udrulning/plan/",
                           {**period, "source": "Regionsrådet 20-11-2025", **fields,
                            **{f"year_{year}": n for year, n in years.items()}})

    bad = post({y: "-1"}, end="31-12-2020", source="")
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "Planens slutdato skal ligge på eller efter dens startdato." in text
    assert "Dette felt er påkrævet." in text  # the source, in Danish
    assert "Denne værdi skal være større end eller lig 0." in text  # Django's own Danish message
    assert "<details id=\"intake-plan\" open>" in text  # the form open with its errors
    # a year of the period left empty, a number for a year outside it: both refused, nothing dropped
    bad = post({y: "1200", y + 2: "3600", y + 5: "10"})
    assert bad.status_code == 400
    text = bad.content.decode()
    assert f'name="year_{y + 1}"' in text and f'id="id_year_{y + 1}-error"' in text
    assert f"{y + 5} ligger uden for planens periode: tøm feltet, eller ret perioden." in text
    assert post({y: "0", y + 1: "0", y + 2: "0"}).content.decode().count(
        "Skriv antallet af planlagte patienter, mindst 1 i alt.") == 1
    assert not IntakePlan.objects.exists()
    ok = post({y: "1200", y + 1: "2400", y + 2: "3600"})
    assert ok.status_code == 302
    plan = IntakePlan.objects.get()
    assert (plan.region_code, plan.total, plan.start, plan.end, plan.set_by) == ("1083", 7200, start, end, u["sara"])
    assert [(r.year, r.patients) for r in plan.years.all()] == [(y, 1200), (y + 1, 2400), (y + 2, 3600)]
    entry = AuditEntry.objects.filter(what="monitoring.plan").get()
    assert entry.username == "sara" and entry.detail["old"] is None
    assert (entry.detail["new"]["total"], entry.detail["new"]["by_year"]) == (
        7200, {str(y): 1200, str(y + 1): 2400, str(y + 2): 3600})
    page = client.get("/overvaagning/udrulning/").content.decode()
    assert f"Regionens egen plan: 7.200 patienter fra {start:%d-%m-%Y} til {end:%d-%m-%Y}." in page
    assert f"Pr. år: {y}: 1.200, {y + 1}: 2.400, {y + 2}: 3.600." in page
    assert "Regionsrådet 20-11-2025" in page
    assert f'name="year_{y + 1}" value="2400"' in page  # the form shows the plan in force
    # this year's months: each its days' share of this year's 1,200 (not of 7,200 over three years)
    days = (dt.date(y, 12, 31) - start).days + 1
    rows = csv_dicts(client.get("/overvaagning/udrulning/intake.csv"), "da")
    assert rows[0]["Måned"] == f"{y}-01"
    for row in rows:
        month_end = dt.date.fromisoformat(_iso(row["Månedens sidste dag"]))
        planned = 1200 * ((month_end - start).days + 1) / days
        assert float(row["Planlagt (samlet)"].replace(",", ".")) == pytest.approx(round(planned, 1), abs=0.05)
    assert float(rows[-1]["Andel af plan (%)"].replace(",", ".")) == pytest.approx(round(100 / planned, 1), abs=0.05)
    # a second plan replaces it; the first is kept, the change logged with before and after
    post({y: "200", y + 1: "200", y + 2: "200"}, source="Regionsrådet 2026")
    assert IntakePlan.objects.count() == 2
    assert AuditEntry.objects.filter(what="monitoring.plan").latest("pk").detail["old"]["by_year"][str(y)] == 1200
    assert "Regionens egen plan: 600 patienter" in client.get("/overvaagning/udrulning/").content.decode()
    # only the secretariat: the programme lead sees the figures, not the form, and may not post
    lead = login(u["pia"])
    assert "Fastsæt regionens egen plan" not in lead.get("/overvaagning/udrulning/").content.decode()
    assert lead.post("/overvaagning/udrulning/plan/", {"start": "01-01-2026", "end": "02-01-2026", "year_2026": "1",
                                                       "source": "x"}).status_code == 403
    assert IntakePlan.objects.count() == 2
    # the other region's figures keep their own (configured) plan
    assert ro_plan_of("1085").total != 600


def test_plans_set_before_the_years_get_the_numbers_their_even_spread_gave():
    """Migration 0004: a plan of one total spread evenly gets that spread's number per year, whole
    patients, the total kept."""
    import importlib

    years = importlib.import_module("opspor.web.monitoring.migrations.0004_intake_plan_years")._years
    assert years(1200, dt.date(2029, 1, 1), dt.date(2031, 12, 31)) == [(2029, 400), (2030, 400), (2031, 400)]
    # 1 July 2026 - 30 June 2027: 184 and 181 of 365 days
    assert years(1000, dt.date(2026, 7, 1), dt.date(2027, 6, 30)) == [(2026, 504), (2027, 496)]
    assert sum(n for _, n in years(7, dt.date(2025, 3, 5), dt.date(2028, 2, 1))) == 7


def _iso(day: str) -> str:
    d, m, y = day.split("-")
    return f"{y}-{m}-{d}"


def ro_plan_of(region: str):
    from opspor.web.monitoring import rollout as ro

    return ro.rollout(region).plan
