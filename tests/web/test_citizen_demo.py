"""The demo's citizen with a course (issue 14, "done when": the demo creates a citizen and a
relative log-in beside the staff and prints them): the real command `opspor web demo-users
--citizen-course`, as `opspor demo` runs it, in-process on the test database with the fixture
world's lists: the citizen's person (the eligible person with the most acute admissions) is in
Aktiv Patientstøtte (active, the demo nurse's case), the programme's questionnaire is scheduled,
the relative holds a grant in force, both log-ins are printed, a second run changes nothing, and
the printed citizen log-in shows the course and the contact person."""

from __future__ import annotations

import json

import pytest

from opspor.web.aps.models import Case
from opspor.web.audit.models import AuditEntry
from opspor.web.signin.models import CitizenLink, RelativeGrant
from tests.web.factories import *
from tests.web.test_audit_one_path import _cli


@pytest.fixture
def home(tmp_path, monkeypatch, world):
    monkeypatch.setenv("OPSPOR_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def facts() -> dict:
    person = CitizenLink.objects.get(user__username="borger").person
    case = Case.objects.get(person=person)
    return {"person": person.pk, "case": (case.state, case.nurse.username),
            "requests": list(case.questionnaire_requests.order_by("send_on")
                             .values_list("instrument", "timepoint", "state", "channel")),
            "grants": RelativeGrant.objects.filter(person=person, revoked_at__isnull=True).count(),
            "audited": sorted(AuditEntry.objects.filter(what__startswith="aps.").values_list("what", flat=True))}


def test_the_demo_citizen_has_a_course_a_questionnaire_and_a_relative(home, world, client):
    code, printed = _cli("web", "demo-users", "--citizen-course")
    assert code == 0, printed
    users = {u["username"]: u for u in json.loads((home / "demo-users.json").read_text())}
    for name in ("borger", "paaroerende", "sygeplejerske", "programleder"):
        assert name in printed and users[name]["password"] in printed
    assert "Aktiv Patientstøtte" in printed and "questionnaire-reminders" in printed
    first = facts()
    assert first["person"] == world.persons["p1"].pk  # eligible, the most acute admissions
    assert first["case"] == ("active", "sygeplejerske")
    assert first["requests"] == [("who5", "baseline", "scheduled", "email"), ("who5", "3m", "scheduled", "email"),
                                 ("who5", "6m", "scheduled", "email")]
    assert first["grants"] == 1
    # each step by its audited action
    assert {"aps.invite", "aps.consent", "aps.startup", "aps.questionnaire.schedule"} <= set(first["audited"])
    # the demo again adds nothing
    assert _cli("web", "demo-users", "--citizen-course")[0] == 0
    assert facts() == first

    # the printed citizen log-in shows the course and the nurse
    response = client.post("/konto/log-ind/", {"username": "borger", "password": users["borger"]["password"]})
    assert response.status_code == 302 and response["Location"] in ("/", "/borger/")
    page = client.get("/borger/").content.decode()
    assert world.persons["p1"].name in page and "Nina Sygeplejerske" in page


def test_without_the_option_the_demo_citizen_has_no_course(home, world):
    assert _cli("web", "demo-users")[0] == 0
    person = CitizenLink.objects.get(user__username="borger").person
    assert not Case.objects.filter(person=person).exists()
