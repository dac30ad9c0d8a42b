"""Contact details (issue 14 item 5) through HTTP on the real database: the data drop's phone and
e-mail carried into the web app by the real publisher; the citizen's own phone, e-mail and
channel for invitations (audited without the values); the nurse's day view with the number to
call as a tel: link; the invitations going by the channel and to the address the citizen chose
(a real SMTP server on loopback)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from opspor.web.aps import actions
from opspor.web.aps.models import QuestionnaireRequest, Session
from opspor.web.audit.models import AuditEntry
from opspor.web.people.models import ContactChoice, Person
from opspor.web.signin import actions as signin
from tests.support import receivers
from tests.web import web_kit
from tests.web.factories import *  # noqa: F403 (the fixture world)
from tests.web.factories import make_case
from tests.web.test_citizen_page import as_user, text  # noqa: F401 (a fixture: two browsers at once)

pytestmark = pytest.mark.django_db

SITE = "https://opspor.region.test"


def test_the_publisher_carries_the_drops_phone_and_email_into_the_web_app(published):
    a = Person.objects.get(cpr=web_kit.CPR["A"])
    assert (a.phone, a.email) == ("+4521222324", "anna@eksempel.dk")
    assert (a.contact_phone, a.contact_phone_display) == ("+4521222324", "21 22 23 24")
    others = Person.objects.exclude(pk=a.pk)
    assert others.exists() and set(others.values_list("phone", "email")) == {("", "")}


@pytest.fixture
def story(world):
    w = world
    p1 = w.persons["p1"]
    p1.phone, p1.email = "+4531313131", "register@eksempel.dk"  # as published from the drop
    p1.save(update_fields=["phone", "email"])
    case = make_case(p1, w.users["nina"], w.users["pia"], "active", started_at=timezone.now())
    citizen = signin.link_local_citizen(p1, "borger-p1", web_kit.PASSWORD)
    neighbour = signin.link_local_citizen(w.persons["p2"], "borger-p2", web_kit.PASSWORD)
    return w, case, citizen, neighbour


def test_the_day_view_shows_the_number_to_call_as_a_tel_link(story, as_user):
    w, case, citizen, _n = story
    when = timezone.localtime().replace(hour=11, minute=0, second=0, microsecond=0)
    Session.objects.create(case=case, kind=Session.Kind.PHONE, planned_for=when)
    nurse = as_user(w.users["nina"])
    day = text(nurse.get(f"/aps/min-dag/?dato={when.date().isoformat()}"))
    assert '<a href="tel:+4531313131">31 31 31 31' in day
    # the citizen's own number comes before the drop's
    assert as_user(citizen).post("/borger/kontakt/", {"phone": "22 33 44 55", "email": "", "channel": ""}).status_code == 302
    day = text(nurse.get(f"/aps/min-dag/?dato={when.date().isoformat()}"))
    assert '<a href="tel:+4522334455">22 33 44 55' in day and "31 31 31 31" not in day


def test_the_citizen_updates_their_contact_and_channel_audited_without_the_values(story, as_user):
    w, _case, citizen, neighbour = story
    client = as_user(citizen)
    page = text(client.get("/borger/"))
    assert "31 31 31 31" in page and "register@eksempel.dk" in page and "/borger/kontakt/" in page
    form = text(client.get("/borger/kontakt/"))
    assert 'value="31 31 31 31"' in form and 'value="register@eksempel.dk"' in form

    bad = client.post("/borger/kontakt/", {"phone": "1234", "email": "ikke en adresse", "channel": "sms"})
    assert bad.status_code == 400
    assert "8 digits" in text(bad) and "e-mail address, e.g. navn@eksempel.dk" in text(bad)
    assert not ContactChoice.objects.exists() and not AuditEntry.objects.filter(what="citizen.contact").exists()

    done = client.post("/borger/kontakt/", {"phone": "+45 22 33 44 55", "email": "mig@eksempel.dk", "channel": "sms"})
    assert done.status_code == 302
    choice = ContactChoice.objects.get(person=w.persons["p1"])
    assert (choice.phone, choice.email, choice.channel, choice.updated_by) == ("+4522334455", "mig@eksempel.dk", "sms",
                                                                               citizen)
    entry = AuditEntry.objects.get(what="citizen.contact")
    assert entry.person_key == w.persons["p1"].person_key and entry.action == "change" and entry.role == "citizen"
    assert entry.detail["changed"] == ["phone", "email", "channel"] and entry.detail["channel"] == "sms"
    assert "22334455" not in str(entry.detail) and "mig@" not in str(entry.detail)
    assert "by SMS, as you chose" in text(client.get("/borger/"))
    # the same again changes nothing and writes no entry
    client.post("/borger/kontakt/", {"phone": "22334455", "email": "mig@eksempel.dk", "channel": "sms"})
    assert AuditEntry.objects.filter(what="citizen.contact").count() == 1
    # e-mail chosen with no address anywhere is refused
    w.persons["p1"].email = ""
    w.persons["p1"].save(update_fields=["email"])
    refused = client.post("/borger/kontakt/", {"phone": "", "email": "", "channel": "email"})
    assert refused.status_code == 400 and "the invitations should go to" in text(refused)

    # nobody else changes it: staff and relatives are kept off, another citizen changes only their own
    assert as_user(w.users["nina"]).get("/borger/kontakt/").status_code in (403, 404)
    as_user(neighbour).post("/borger/kontakt/", {"phone": "20000000", "email": "", "channel": ""})
    choice.refresh_from_db()
    assert choice.phone == "+4522334455"
    assert ContactChoice.objects.get(person=w.persons["p2"]).phone == "+4520000000"


def test_invitations_go_by_the_citizens_channel_to_their_address(story, as_user, monkeypatch):
    w, case, citizen, _n = story
    client = as_user(citizen)
    assert client.post("/borger/kontakt/", {"phone": "", "email": "valgt@eksempel.dk", "channel": "email"}).status_code == 302
    nurse = as_user(w.users["nina"])
    form = text(nurse.get(f"/aps/forloeb/{case.pk}/"))
    assert 'value="valgt@eksempel.dk"' in form  # the schedule form starts as the citizen chose
    # scheduled by SMS to the drop's number; the citizen's choice moves the open invitations
    assert nurse.post(f"/aps/forloeb/{case.pk}/spoergeskema/send/", {
        "channel": "sms", "address": "31313131", "first_day": timezone.localdate().isoformat(),
        "timepoints": ["baseline", "3m"]}).status_code == 302
    assert client.post("/borger/kontakt/", {"phone": "", "email": "ny@eksempel.dk", "channel": "email"}).status_code == 302
    requests = list(QuestionnaireRequest.objects.filter(case=case))
    assert {(r.channel, r.address) for r in requests} == {("email", "ny@eksempel.dk")}
    moved = AuditEntry.objects.filter(what="citizen.contact").latest("id")
    assert sorted(moved.detail["questionnaires"]) == sorted(str(r.public_id) for r in requests)
    with receivers.smtp_server() as smtp:
        for key, value in {**smtp.env(), "OPSPOR_PUBLIC_URL": SITE}.items():
            monkeypatch.setenv(key, value)
        done = actions.questionnaire_round()
        assert len(done.invited) == 1 and not done.failed
        (mail,) = smtp.wait_for("ny@eksempel.dk")
        assert "/borger/skema/" in mail.get_content()
    # a later schedule starts from the citizen's channel; the answered are left alone
    assert ScheduleDefaults.of(w.persons["p1"]) == {"channel": "email", "address": "ny@eksempel.dk"}


class ScheduleDefaults:
    @staticmethod
    def of(person):
        from opspor.web.aps.forms import ScheduleQuestionnaireForm

        return ScheduleQuestionnaireForm.reach(Person.objects.get(pk=person.pk))


def test_no_number_known_says_so_on_the_day_view(story, as_user):
    w, case, *_ = story
    p1 = w.persons["p1"]
    p1.phone = ""
    p1.save(update_fields=["phone"])
    when = timezone.localtime() + dt.timedelta(days=1)
    Session.objects.create(case=case, kind=Session.Kind.PHONE, planned_for=when)
    day = text(as_user(w.users["nina"]).get(f"/aps/min-dag/?dato={when.date().isoformat()}"))
    assert "no number" in day and "tel:" not in day
