"""The citizen's own page through HTTP on the real database: status, contact person, next call,
goals and plan (with a comment), messages with the nurse and read receipts on both sides, "who
has looked at my data" (the auditor's report of the same person), and a citizen reaching nobody
else's data by URL or form."""

from __future__ import annotations

import datetime as dt
import html as htmllib

import pytest
from django.utils import timezone

from opspor.web.aps.models import CaseMessage, Goal, Plan, Session
from opspor.web.audit.models import AuditEntry
from opspor.web.signin import actions as signin
from tests.web import web_kit
from tests.web.factories import *  # the fixture world
from tests.web.factories import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(settings):
    """``as_user(user)``: a client of its own logged in as ``user`` through the real log-in form
    (English texts), so that the citizen and the nurse are two browsers at once."""
    from django.test import Client

    def do(user):
        client = Client()
        response = client.post("/konto/log-ind/", {"username": user.username, "password": web_kit.PASSWORD})
        assert response.status_code == 302, response.content.decode()[:2000]
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return do


def text(response) -> str:
    return htmllib.unescape(response.content.decode())


@pytest.fixture
def story(world):
    """p1 in an active case with Nina (a goal, a plan, a planned call); p2 invited to Ole; the
    citizen account of p1."""
    w = world
    p1, p2 = w.persons["p1"], w.persons["p2"]
    case = make_case(p1, w.users["nina"], w.users["pia"], "active", started_at=timezone.now() - dt.timedelta(days=10))
    other = make_case(p2, w.users["ole"], w.users["pia"], "active", started_at=timezone.now())
    Goal.objects.create(case=case, text="Gå en tur hver dag")
    plan = Plan.objects.create(case=case, text="Ring til lægen ved åndenød", written_by=w.users["nina"])
    Session.objects.create(case=case, kind=Session.Kind.PHONE, planned_for=timezone.now() + dt.timedelta(days=2))
    citizen = signin.link_local_citizen(p1, "borger-p1", web_kit.PASSWORD)
    return w, case, other, plan, citizen


def test_the_citizen_sees_their_course_contact_call_goals_and_plan(story, as_user):
    w, _case, _other, _plan, citizen = story
    client = as_user(citizen)
    assert client.get("/", follow=False)["Location"] == "/borger/"
    html = text(client.get("/borger/"))
    assert "You are taking part in Aktiv Patientstøtte" in html
    assert "Nina Sygeplejerske" in html and "Gå en tur hver dag" in html and "Ring til lægen ved åndenød" in html
    assert "Your nurse will call you on" in html
    assert w.persons["p2"].name not in html and w.persons["p1"].cpr not in html
    read = AuditEntry.objects.get(what="citizen.page")
    assert read.person_key == w.persons["p1"].person_key and read.role == "citizen" and read.action == "read"


def test_messages_and_read_receipts_both_ways(story, as_user):
    w, case, _other, plan, citizen = story
    client = as_user(citizen)
    assert client.post("/borger/besked/", {"text": "Jeg har fået mere åndenød"}).status_code == 302
    assert client.post("/borger/besked/", {"text": "Kan vi tale om punkt 2?", "plan": plan.pk}).status_code == 302
    sent = list(CaseMessage.objects.order_by("id"))
    assert [(m.from_citizen, m.plan_id, m.read_at) for m in sent] == [(True, None, None), (True, plan.pk, None)]
    assert text(client.get("/borger/")).count("Not read yet") == 2
    # the nurse's day shows that the citizen wrote (so that no message is overlooked)
    nurse = as_user(w.users["nina"])
    day = text(nurse.get("/aps/min-dag/"))
    assert "Messages from citizens" in day and f'/aps/forloeb/{case.pk}/#sec-messages' in day
    # the nurse opens the case: the citizen's messages are read; she answers
    page = text(nurse.get(f"/aps/forloeb/{case.pk}/"))
    assert "Jeg har fået mere åndenød" in page and "comment on the plan" in page
    assert all(m.read_at for m in CaseMessage.objects.filter(from_citizen=True))
    assert nurse.post(f"/aps/forloeb/{case.pk}/beskeder/", {"text": "Jeg ringer i morgen kl. 10"}).status_code == 302
    assert "Not read yet" in text(nurse.get(f"/aps/forloeb/{case.pk}/"))
    # the citizen reads the answer (and sees that the nurse read theirs)
    html = text(client.get("/borger/"))
    assert "Jeg ringer i morgen kl. 10" in html and html.count("Read by your nurse") == 2
    answer = CaseMessage.objects.get(from_citizen=False)
    assert answer.read_at is not None
    assert "Read by the citizen" in text(nurse.get(f"/aps/forloeb/{case.pk}/"))
    assert "Messages from citizens" not in text(nurse.get("/aps/min-dag/"))
    events = list(AuditEntry.objects.filter(action="change", what__startswith="citizen.").order_by("id")
                  .values_list("what", "username"))
    assert events == [("citizen.message", "borger-p1"), ("citizen.comment", "borger-p1"),
                      ("citizen.message.read", "nina"), ("citizen.message", "nina"),
                      ("citizen.message.read", "borger-p1")]


def test_an_empty_message_or_an_old_plan_changes_nothing(story, as_user):
    _w, _case, _other, plan, citizen = story
    client = as_user(citizen)
    assert "Write a message." in text(client.post("/borger/besked/", {"text": "  "}, follow=True))
    assert "The plan has changed" in text(client.post("/borger/besked/", {"text": "x", "plan": plan.pk + 99}, follow=True))
    assert not CaseMessage.objects.exists()


def test_who_has_looked_at_my_data_is_the_auditors_report_less_my_own_visits(story, as_user):
    w, case, _other, _plan, citizen = story
    as_user(w.users["nina"]).get(f"/aps/forloeb/{case.pk}/")
    client = as_user(citizen)
    client.get("/borger/")
    html = text(client.get("/borger/indsigt/"))
    mine = list(AuditEntry.objects.access_report(w.persons["p1"].person_key).exclude(user=citizen))
    assert html.count('data-testid="access-entry"') == len(mine) >= 1
    assert "Nina Sygeplejerske" in html and "Aktiv Patientstøtte case" in html
    assert "Citizen's own page" not in html  # the citizen's own visits are left out


def test_a_citizen_reaches_nobody_elses_data(story, as_user):
    w, _case, other, _plan, citizen = story
    client = as_user(citizen)
    for person in w.persons.values():
        assert client.get(f"/personer/{person.public_id}/").status_code == 404
    for path in (f"/aps/forloeb/{other.pk}/", "/aps/forloeb/", "/aps/min-dag/", "/revision/indsigt/", "/lister/"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/aps/forloeb/{other.pk}/beskeder/", {"text": "x"}).status_code == 404
    # a plan of another case named in the comment form is refused; nothing is written
    other_plan = Plan.objects.create(case=other, text="andens plan", written_by=w.users["ole"])
    client.post("/borger/besked/", {"text": "x", "plan": other_plan.pk})
    assert not CaseMessage.objects.exists()
    assert "andens plan" not in text(client.get("/borger/"))


def test_the_staff_cannot_use_the_citizens_page_and_a_nurse_writes_only_to_her_cases(story, as_user):
    w, _case, other, _plan, _citizen = story
    assert as_user(w.users["nina"]).get("/borger/").status_code == 403
    assert as_user(w.users["pia"]).get("/borger/indsigt/").status_code == 403
    response = as_user(w.users["nina"]).post(f"/aps/forloeb/{other.pk}/beskeder/", {"text": "x"})
    assert response.status_code in (403, 404)
    assert not CaseMessage.objects.exists()


def test_a_citizen_not_in_a_course_sees_so(world, as_user):
    citizen = signin.link_local_citizen(world.persons["p3"], "borger-p3", web_kit.PASSWORD)
    html = text(as_user(citizen).get("/borger/"))
    assert "You are not in a course with us right now." in html and "Send message" not in html
