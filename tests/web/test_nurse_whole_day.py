"""A nurse's whole day (issue 19 item 6), through HTTP on the real database with the Danish
catalogue: search and sort in "Mine forløb", the week of planned calls, a call that did not reach
the patient ("ikke truffet") with its new try, consent and end of support confirmed before they
are recorded, the timeline in the order things happened, and a person referred by a GP or a
department outside the criteria taken in with the referral recorded, audited and counted apart."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.utils import timezone

from opspor.web.aps import actions, rules
from opspor.web.aps.models import Case, Session
from opspor.web.audit.models import AuditEntry
from tests.web.factories import *  # the fixture world
from tests.web.factories import aware, cpr_of, make_case

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def names_in_order(page: str) -> list[str]:
    return re.findall(r"Test (P\d) Hansen", page)


@pytest.fixture
def caseload(world):
    """nina's cases: p1 (born 1948, invited 10 days ago), p2 (1955, active), p3 (1940, invited),
    p4 (1970, consented)."""
    nina, pia = world.users["nina"], world.users["pia"]
    now = timezone.now()
    cases = {
        "p1": make_case(world.persons["p1"], nina, pia, "invited", invited_at=now - dt.timedelta(days=10)),
        "p2": make_case(world.persons["p2"], nina, pia, "active", invited_at=now - dt.timedelta(days=30),
                        answered_at=now - dt.timedelta(days=29), started_at=now - dt.timedelta(days=28)),
        "p3": make_case(world.persons["p3"], nina, pia, "invited", invited_at=now - dt.timedelta(days=2)),
        "p4": make_case(world.persons["p4"], nina, pia, "consented", invited_at=now - dt.timedelta(days=5),
                        answered_at=now - dt.timedelta(days=4)),
    }
    return cases


# --- search and sort --------------------------------------------------------------------------

def test_search_and_sort_my_caseload(world, caseload, login):
    client = login(world.users["nina"])
    page = text(client.get("/aps/forloeb/"))
    assert names_in_order(page) == ["P1", "P2", "P3", "P4"]  # by name
    assert 'aria-sort="ascending"' in page and "Søg navn eller CPR-nummer" in page
    # by a part of the name, any case; by the CPR number's digits (with the dash)
    assert names_in_order(text(client.get("/aps/forloeb/", {"q": "p3 hans"}))) == ["P3"]
    cpr = cpr_of("p4")
    assert names_in_order(text(client.get("/aps/forloeb/", {"q": f"{cpr[:6]}-{cpr[6:8]}"}))) == ["P4"]
    nothing = text(client.get("/aps/forloeb/", {"q": "Jensen"}))
    assert names_in_order(nothing) == [] and "Intet forløb matcher “Jensen”." in nothing
    # sort by age, oldest first (descending), then by invitation, newest first
    assert names_in_order(text(client.get("/aps/forloeb/", {"sort": "-age"}))) == ["P3", "P1", "P2", "P4"]
    by_invited = text(client.get("/aps/forloeb/", {"sort": "-invited"}))
    assert names_in_order(by_invited) == ["P3", "P4", "P1", "P2"] and 'aria-sort="descending"' in by_invited
    # search, state and order together, and the tabs keep the search
    both = text(client.get("/aps/forloeb/", {"q": "hansen", "state": "invited", "sort": "-invited"}))
    assert names_in_order(both) == ["P3", "P1"] and "?state=consented&q=hansen&sort=-invited" in both
    # a bad order is a 400 naming the parameter; the reads are audited with what was asked
    bad = client.get("/aps/forloeb/", {"sort": "cpr"})
    assert bad.status_code == 400 and "sort" in text(bad)
    entry = AuditEntry.objects.filter(what="aps.caseload").order_by("-id")[1]
    assert entry.detail == {"state": "invited", "search": True, "sort": "-invited"}


# --- the week ---------------------------------------------------------------------------------

def test_a_week_of_planned_calls(world, caseload, login):
    nina, ole = world.users["nina"], world.users["ole"]
    monday = timezone.localdate() + dt.timedelta(days=7 - timezone.localdate().weekday())  # next week
    actions.plan_session(nina, caseload["p2"], "phone", aware(monday + dt.timedelta(days=2), 14, 30))
    actions.plan_session(nina, caseload["p2"], "phone", aware(monday + dt.timedelta(days=2), 9, 0))
    actions.plan_session(nina, caseload["p4"], "startup", aware(monday + dt.timedelta(days=4), 10, 0))
    actions.plan_session(nina, caseload["p2"], "phone", aware(monday + dt.timedelta(days=8), 10, 0))  # week after
    other = make_case(world.persons["p6"], ole, world.users["pia"], "active", started_at=timezone.now())
    actions.plan_session(ole, other, "phone", aware(monday + dt.timedelta(days=2), 11, 0))  # not nina's
    client = login(nina)
    page = text(client.get("/aps/min-uge/", {"dato": (monday + dt.timedelta(days=3)).isoformat()}))
    week = monday.isocalendar().week
    assert f"Min uge {week} · {monday:%d-%m-%Y} til {monday + dt.timedelta(days=6):%d-%m-%Y}" in page
    assert "3 opkald planlagt i denne uge." in page
    days = re.findall(r'data-testid="week-day".*?</section>', page)
    assert len(days) == 7
    assert re.search(r"09:00<.*Test P2 Hansen.*14:30<.*Test P2 Hansen", days[2])  # Wednesday, by time
    assert "Test P4 Hansen" in days[4] and "Fysisk opstartssamtale" in days[4]
    assert "Test P6" not in page and "Ingen opkald." in days[0]
    assert f"?dato={monday + dt.timedelta(days=7):%Y-%m-%d}" in page  # next week
    read = AuditEntry.objects.filter(what="aps.week")
    assert set(read.values_list("person_key", flat=True)) == {world.persons["p2"].person_key,
                                                              world.persons["p4"].person_key}
    assert read.first().detail == {"week_of": monday.isoformat()}
    assert client.get("/aps/min-uge/", {"dato": "31-02-2026"}).status_code == 400
    assert "/aps/min-uge/" in text(client.get("/aps/min-dag/"))  # reached from the day view and the menu


# --- not reached: a new try, no refusal -------------------------------------------------------

def _next_working_day(day: dt.date) -> dt.date:
    from opspor.dates import public_holiday

    day += dt.timedelta(days=1)
    while day.weekday() >= 5 or public_holiday(day):
        day += dt.timedelta(days=1)
    return day


@pytest.mark.parametrize(("missed", "days", "retry"), [
    ("2026-04-01 10:15", 1, "2026-04-07 10:15"),  # Wednesday before Easter: not Maundy Thursday .. Easter Monday
    ("2026-05-13 09:00", 1, "2026-05-15 09:00"),  # Ascension Day (Thursday 14 May) skipped
    ("2026-12-24 13:30", 1, "2026-12-28 13:30"),  # Christmas Day (Friday), then the weekend
    ("2026-12-23 08:00", 2, "2026-12-28 08:00"),  # two working days: 24 December, then Monday 28
    ("2026-06-04 11:00", 1, "2026-06-05 11:00"),  # Friday 5 June (Constitution Day) is no public holiday
])
def test_a_new_try_skips_weekends_and_danish_public_holidays(monkeypatch, missed, days, retry):
    monkeypatch.setitem(rules.programme(), "missed_call_retry_days", days)
    when = rules.retry_on(timezone.make_aware(dt.datetime.fromisoformat(missed)))
    assert timezone.localtime(when).strftime("%Y-%m-%d %H:%M") == retry


def test_a_call_that_did_not_reach_the_person_plans_a_new_try(world, caseload, login):
    case = caseload["p1"]
    client = login(world.users["nina"])
    page = text(client.get(f"/aps/forloeb/{case.pk}/"))
    assert "Registrér: ikke truffet" in page and "Kunne ikke træffes" not in page  # not among refusal reasons
    response = client.post(f"/aps/forloeb/{case.pk}/ikke-truffet/", {"note": "telefonsvarer"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == Case.State.INVITED  # still an open invitation
    missed, retry = Session.objects.filter(case=case).order_by("id")
    assert (missed.kind, missed.status, missed.note) == ("invitation", "missed", "telefonsvarer")
    assert (retry.kind, retry.status, retry.retry_of_id) == ("invitation", "planned", missed.pk)
    local = timezone.localtime(retry.planned_for)
    assert local.date() == _next_working_day(timezone.localdate())  # missed_call_retry_days: 1, Mon-Fri
    assert (local.hour, local.minute) == (timezone.localtime(missed.planned_for).hour,
                                          timezone.localtime(missed.planned_for).minute)
    page = text(client.get(f"/aps/forloeb/{case.pk}/"))
    assert f"Nyt forsøg planlagt:</strong> {local:%d-%m-%Y %H:%M}" in page and "Ikke truffet 1 gang:" in page
    assert "Opkald om invitationen</strong> · ikke truffet" in page  # in the timeline
    # the new try is on the day view of its day, among the calls
    day = text(client.get("/aps/min-dag/", {"dato": local.date().isoformat()}))
    calls = day.split('id="bucket-calls"')[1].split("</section>")[0]
    assert "Test P1 Hansen" in calls and "Opkald om invitationen" in calls
    entry = AuditEntry.objects.filter(what="aps.not_reached").get()
    assert entry.detail == {"case": case.pk, "session": missed.pk, "retry": retry.pk}
    # "could not be reached" is no refusal any more
    refused = client.post(f"/aps/forloeb/{case.pk}/afslag/", {"reason": "no_contact"})
    assert refused.status_code == 400
    case.refresh_from_db()
    assert case.state == Case.State.INVITED
    # reached at the new try: the consent cancels the call still planned
    assert client.post(f"/aps/forloeb/{case.pk}/samtykke/", {"confirmed": "1"}).status_code == 302
    retry.refresh_from_db()
    assert retry.status == Session.Status.CANCELLED and retry.recorded_at is not None


def test_a_session_not_reached_gets_a_new_try_of_its_kind(world, caseload, login, monkeypatch):
    nina = world.users["nina"]
    session = actions.plan_session(nina, caseload["p2"], "phone", timezone.localtime().replace(hour=13, minute=15))
    client = login(nina)
    url = f"/aps/forloeb/{caseload['p2'].pk}/samtaler/{session.pk}/"
    assert client.post(url, {"status": "missed", "note": ""}).status_code == 302
    retry = Session.objects.get(retry_of=session)
    assert (retry.kind, retry.status) == ("phone", "planned")
    assert timezone.localtime(retry.planned_for).date() == _next_working_day(timezone.localdate())
    assert timezone.localtime(retry.planned_for).strftime("%H:%M") == timezone.localtime(session.planned_for).strftime("%H:%M")
    # a programme file without missed_call_retry_days plans no new try (the nurse plans one)
    monkeypatch.setitem(rules.programme(), "missed_call_retry_days", None)
    assert client.post(f"/aps/forloeb/{caseload['p2'].pk}/samtaler/{retry.pk}/", {"status": "missed"}).status_code == 302
    assert not Session.objects.filter(retry_of=retry).exists()


# --- confirmation -----------------------------------------------------------------------------

def test_consent_asks_for_confirmation_first(world, caseload, login):
    case = caseload["p3"]
    client = login(world.users["nina"])
    first = client.post(f"/aps/forloeb/{case.pk}/samtykke/")
    page = text(first)
    assert first.status_code == 200 and "Bekræft samtykke" in page and "Ja, registrér samtykke" in page
    assert 'name="confirmed" value="1"' in page and "Nej, tilbage til forløbet" in page
    case.refresh_from_db()
    assert case.state == Case.State.INVITED and not AuditEntry.objects.filter(what="aps.consent").exists()
    assert client.post(f"/aps/forloeb/{case.pk}/samtykke/", {"confirmed": "1"}).status_code == 302
    case.refresh_from_db()
    assert case.state == Case.State.CONSENTED and AuditEntry.objects.filter(what="aps.consent").count() == 1


def test_end_of_support_asks_for_confirmation_first(world, caseload, login):
    case = caseload["p2"]
    client = login(world.users["nina"])
    first = client.post(f"/aps/forloeb/{case.pk}/afslut/", {"reason": "withdrew", "note": "Flytter til datter"})
    page = text(first)
    assert first.status_code == 200 and "Bekræft afslutning af forløbet" in page
    assert "Afslut forløbet med årsagen “Patienten trak sig”?" in page and "Flytter til datter" in page
    assert 'name="reason" value="withdrew"' in page
    case.refresh_from_db()
    assert case.state == Case.State.ACTIVE
    # an end that cannot be recorded gets its error at once, not a confirmation
    early = client.post(f"/aps/forloeb/{case.pk}/afslut/", {"reason": "completed"})
    assert early.status_code == 400 and "Bekræft" not in text(early) and "kan registreres fra" in text(early)
    done = client.post(f"/aps/forloeb/{case.pk}/afslut/", {"confirmed": "1", "reason": "withdrew",
                                                          "note": "Flytter til datter"})
    assert done.status_code == 302
    case.refresh_from_db()
    assert (case.state, case.end_reason, case.end_note) == ("ended", "withdrew", "Flytter til datter")


# --- the timeline -----------------------------------------------------------------------------

def test_the_timeline_is_in_the_order_things_happened(world, caseload, login):
    """A session planned for next week and cancelled by today's end of support is shown when it
    was cancelled (before the end), not at next week's date; times are shown."""
    nina = world.users["nina"]
    case = caseload["p2"]
    actions.plan_session(nina, case, "phone", timezone.now() + dt.timedelta(days=7))
    actions.end_support(nina, case, "withdrew")
    page = text(login(nina).get(f"/aps/forloeb/{case.pk}/"))
    timeline = page.split('id="case-timeline"')[1].split("</section>")[0]
    items = re.findall(r"<li>(.*?)</li>", timeline)
    whats = [re.sub(r"<[^>]+>", "", i) for i in items]
    assert [w.split(" · ")[0].split(" ", 2)[-1] for w in whats] == [
        "Inviteret", "Samtykket", "Telefonsamtale", "Forløb afsluttet"]
    assert "aflyst" in whats[2]
    now = timezone.localtime()
    assert re.search(rf"{now:%d-%m-%Y} \d\d:\d\d", whats[-1])  # the time, not only the day


# --- a referred person ------------------------------------------------------------------------

def referral(world, **changes):
    return {"cpr": cpr_of("p6"), "source": "gp", "referrer": "Lægerne i Bolbro", "referred_on": "01-12-2026",
            "reason": "Hyppige kontakter, bor alene", "nurse": world.users["ole"].pk, **changes}


def test_a_referred_person_is_taken_in_with_the_referral_recorded(world, login):
    pia = world.users["pia"]
    p6 = world.persons["p6"]  # not eligible on the newest run: outside the criteria
    client = login(pia)
    assert "Optag en henvist person" in text(client.get("/aps/program/"))
    day = min(dt.date(2026, 12, 1), timezone.localdate())
    response = client.post("/aps/program/henvist/", referral(world, referred_on=f"{day:%d-%m-%Y}"))
    assert response.status_code == 302
    case = Case.objects.get(person=p6)
    assert (case.intake, case.referral_source, case.referrer, case.referred_on, case.nurse) == (
        "referral", "gp", "Lægerne i Bolbro", day, world.users["ole"])
    assert case.referral_reason == "Hyppige kontakter, bor alene" and case.allocation_id is None
    entry = AuditEntry.objects.get(what="aps.referral")
    assert entry.username == "pia" and entry.person_key == p6.person_key
    assert entry.detail == {"case": case.pk, "nurse": "ole", "source": "gp", "referred_on": day.isoformat()}
    # shown on the case, to the lead and to the nurse; marked in the nurse's caseload
    page = text(client.get(f"/aps/forloeb/{case.pk}/"))
    assert f"af Lægerne i Bolbro (Praktiserende læge) den {day:%d-%m-%Y}, uden for programmets kriterier" in page
    assert "Hyppige kontakter, bor alene" in page
    ole = login(world.users["ole"])
    assert 'data-testid="referred"' in text(ole.get("/aps/forloeb/"))
    assert "henvist af Lægerne i Bolbro" in text(ole.get(f"/aps/forloeb/{case.pk}/"))
    # counted apart: the programme page and the rollout page
    client = login(pia)
    assert re.search(r'data-testid="count-referred">1<', text(client.get("/aps/program/")))
    rollout = text(client.get("/overvaagning/udrulning/"))
    routes = rollout.split('data-testid="intake-routes"')[1].split("</table>")[0]
    assert re.search(r"Henvist af praktiserende læge</td><td class=\"num\">1</td><td class=\"num\">0</td>", routes)
    assert re.search(r"Fundet ved programmets kriterier</td><td class=\"num\">0</td>", routes)


@pytest.mark.parametrize(("changes", "error"), [
    ({"cpr": cpr_of("q1")}, "Ingen med dette CPR-nummer bor i din region"),  # lives in region 1085
    ({"source": ""}, "Dette felt er påkrævet."),
    ({"referred_on": "12/01/2026"}, "Skriv datoen som dd-mm-åååå"),
    ({"reason": ""}, "Dette felt er påkrævet."),
])
def test_a_referral_with_a_mistake_changes_nothing(world, login, changes, error):
    response = login(world.users["pia"]).post("/aps/program/henvist/", referral(world, **changes))
    assert response.status_code == 400 and error in text(response)
    assert not Case.objects.exists() and not AuditEntry.objects.filter(what="aps.referral").exists()


def test_a_referral_when_the_data_cannot_be_read_says_so(world, login, tmp_path, monkeypatch):
    """A CPR number not in the web database is looked up in the current snapshot; without one
    (no store here) the lead is told so in Danish, with no file path or class name."""
    monkeypatch.setenv("OPSPOR_HOME", str(tmp_path / "empty-home"))
    response = login(world.users["pia"]).post("/aps/program/henvist/", referral(world, cpr="010150-1234"))
    page = text(response)
    assert response.status_code == 400 and "De nyeste data kan ikke læses" in page
    assert "empty-home" not in page and "Snapshot" not in page and not Case.objects.exists()


def test_a_referral_is_the_leads_own_and_checks_the_person(world, login):
    pia = world.users["pia"]
    make_case(world.persons["p6"], world.users["nina"], pia)  # already an open case
    response = login(pia).post("/aps/program/henvist/", referral(world))
    assert response.status_code == 400 and "har allerede et åbent forløb" in text(response)
    assert login(world.users["nina"]).get("/aps/program/henvist/").status_code == 403
    assert login(world.users["lone"]).post("/aps/program/henvist/", referral(world)).status_code == 400


# --- questionnaire reminders for every case ---------------------------------------------------

def test_every_started_case_is_reminded_of_its_3_and_6_month_questionnaires(world, login):
    """Not only a trial's control cases: the programme's questionnaire (`questionnaires:` of
    programme.yaml, who5 at 3 and 6 months after the start-up) is due on the day view, until it
    is recorded or sent to the citizen to answer at home."""
    nina, pia = world.users["nina"], world.users["pia"]
    today = timezone.localdate()
    started = timezone.now() - dt.timedelta(days=100)  # past 3 months, not 6
    case = make_case(world.persons["p1"], nina, pia, "active", started_at=started, answered_at=started)
    recent = make_case(world.persons["p2"], nina, pia, "active", started_at=timezone.now() - dt.timedelta(days=20),
                       answered_at=timezone.now() - dt.timedelta(days=20))
    client = login(nina)

    def due_names(day=None) -> str:
        page = text(client.get("/aps/min-dag/", {"dato": (day or today).isoformat()}))
        if 'id="bucket-questionnaires_due"' not in page:
            return ""
        return page.split('id="bucket-questionnaires_due"')[1].split("</section>")[0]

    bucket = due_names()
    assert "Spørgeskemaer der skal udfyldes" in text(client.get("/aps/min-dag/"))
    assert "Test P1 Hansen" in bucket and "Test P2 Hansen" not in bucket  # 20 days: nothing due yet
    three = rules.add_months(timezone.localdate(started), 3)
    assert f"{three:%d-%m-%Y}" in bucket  # since the day it fell due
    answers = {f"q{i}": 3 for i in range(1, 6)}
    actions.record_questionnaire(nina, case, "who5", "3m", answers, today)
    assert "Test P1 Hansen" not in due_names()
    in_seven_months = today + dt.timedelta(days=215)
    later = due_names(in_seven_months)
    assert "Test P1 Hansen" in later and "Test P2 Hansen" in later  # P1's 6 months, P2's 3 months
    # sent to the citizen to answer at home: no reminder to record it
    actions.schedule_questionnaires(nina, recent, channel="email", address="borger@example.org",
                                    first_day=today, timepoints=["3m"])
    assert "Test P2 Hansen" not in due_names(rules.add_months(today, 4))
