"""The patient's own part of telemonitoring (issue 15 item 2: measurements "entered by the
patient on their page"): the plan and a form on /borger/maalinger/, through HTTP as the citizen;
an entry is stored, triaged and raises an alarm the way a device's does; impossible numbers are
refused in plain Danish; only while enrolled, only their own."""

from __future__ import annotations

import html

import pytest

from opspor.web.audit.models import AuditEntry
from opspor.web.signin import actions as signin
from opspor.web.telemonitoring.models import Alarm, Measurement
from tests.web import web_kit
from tests.web.factories import *  # noqa: F403 - the fixtures world and as_user
from tests.web.telemonitoring.test_enrolment import enrol_form, tm  # noqa: F401 - tm is a fixture


@pytest.fixture
def citizen(tm, as_user, settings):
    from django.test import Client

    nina = as_user(tm.users["nina"])
    p1 = tm.persons["p1"]
    assert nina.post(f"/telemonitorering/tilmeld/{p1.public_id}/", enrol_form("heart_failure")).status_code == 302
    signin.link_local_citizen(p1, "borger-p1", web_kit.PASSWORD)
    signin.link_local_citizen(tm.persons["p3"], "borger-p3", web_kit.PASSWORD)

    def log_in(username):
        client = Client()
        assert client.post("/konto/log-ind/", {"username": username, "password": web_kit.PASSWORD}).status_code == 302
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "da"
        return client

    return tm, log_in


def page(response) -> str:
    return html.unescape(response.content.decode())


def test_the_citizen_sees_the_plan_and_enters_a_measurement_that_is_triaged(citizen):
    tm, log_in = citizen
    p1 = tm.persons["p1"]
    me = log_in("borger-p1")
    home = page(me.get("/borger/"))
    assert 'id="citizen-measurements"' in home and "Dine hjemmemålinger" in home
    mine = page(me.get("/borger/maalinger/"))
    plan = mine[mine.index('id="citizen-plan"'):mine.index("</ul>", mine.index('id="citizen-plan"'))]
    assert "Vægt (kg): hver dag" in plan, plan
    refused = page(me.post("/borger/maalinger/", {"kind": "weight", "value": "4000"}))
    assert "4.000 kan ikke passe her: tallet skal være mellem" in refused
    assert not Measurement.objects.exists()
    missing = page(me.post("/borger/maalinger/", {"kind": "blood_pressure", "value": "120"}))
    assert "Skriv også det andet tal." in missing
    assert me.post("/borger/maalinger/", {"kind": "weight", "value": "81.5"}).status_code == 302
    assert me.post("/borger/maalinger/", {"kind": "blood_pressure", "value": "85", "value2": "50"}).status_code == 302
    stored = {m.kind: m for m in Measurement.objects.filter(person=p1)}
    assert stored["weight"].value == 81.5 and stored["weight"].source == "patient" and stored["weight"].sender == "citizen"
    assert (stored["blood_pressure"].value, stored["blood_pressure"].value2) == (85, 50)
    assert stored["blood_pressure"].colour  # triaged by the heart-failure protocol like any measurement
    assert Alarm.objects.filter(person=p1).count() == sum(1 for m in stored.values() if m.colour in ("red", "yellow"))
    after = page(me.get("/borger/maalinger/"))
    assert "Indtastet af patienten" in after and "81,5" in after
    assert AuditEntry.objects.filter(what="telemonitoring.receive", person_key=p1.person_key).count() == 2
    assert AuditEntry.objects.filter(what="citizen.measurements", person_key=p1.person_key).exists()


def test_only_while_enrolled_and_not_for_staff(citizen, as_user):
    tm, log_in = citizen
    other = log_in("borger-p3")  # not enrolled
    assert 'id="citizen-measurements"' not in page(other.get("/borger/"))
    assert other.get("/borger/maalinger/").status_code == 404
    assert other.post("/borger/maalinger/", {"kind": "weight", "value": "80"}).status_code == 404
    assert as_user(tm.users["nina"]).get("/borger/maalinger/").status_code in (302, 403)
    assert not Measurement.objects.exists()
