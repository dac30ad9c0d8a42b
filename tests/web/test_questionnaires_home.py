"""Questionnaires answered at home (issue 14 item 3), through HTTP on the real database with real
receivers on loopback: the nurse schedules the programme's default (WHO-5 at start, 3 and 6
months), the round sends the invitation by e-mail to an SMTP server (aiosmtpd) or by SMS to an
HTTP gateway, reminds, and closes at the deadline; the citizen answers on their page; the
answer is triaged by config/triage.yaml and a red one is on the nurse's day view with the rule
that fired; paper answers stay possible and are marked so; nobody reaches another person's
questionnaire by URL."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from django.utils import timezone

from opspor.dates import add_months
from opspor.web.aps import actions, rules, triage
from opspor.web.aps.models import QuestionnaireRequest, QuestionnaireResponse
from opspor.web.audit.models import AuditEntry
from opspor.web.signin import actions as signin
from tests.support import receivers
from tests.web import web_kit
from tests.web.factories import *  # noqa: F403 (the fixture world)
from tests.web.factories import make_case
from tests.web.test_citizen_page import as_user, text  # noqa: F401 (a fixture: two browsers at once)

pytestmark = pytest.mark.django_db

EMAIL = "borger.p1@eksempel.dk"
SITE = "https://opspor.region.test"
LOW = {"item_q1": "1", "item_q2": "1", "item_q3": "1", "item_q4": "1", "item_q5": "1"}  # raw 5, score 20: red


@pytest.fixture
def story(world):
    """p1 in an active case with Nina, p2 in an active case with Ole; both with a citizen log-in."""
    w = world
    case = make_case(w.persons["p1"], w.users["nina"], w.users["pia"], "active", started_at=timezone.now())
    other = make_case(w.persons["p2"], w.users["ole"], w.users["pia"], "active", started_at=timezone.now())
    citizen = signin.link_local_citizen(w.persons["p1"], "borger-p1", web_kit.PASSWORD)
    neighbour = signin.link_local_citizen(w.persons["p2"], "borger-p2", web_kit.PASSWORD)
    return w, case, other, citizen, neighbour


@pytest.fixture
def smtp(monkeypatch):
    with receivers.smtp_server() as server:
        for key, value in {**server.env(), "OPSPOR_PUBLIC_URL": SITE}.items():
            monkeypatch.setenv(key, value)
        yield server


def schedule(client, case, **data):
    form = {"channel": "email", "address": EMAIL, "first_day": timezone.localdate().isoformat(),
            "timepoints": ["baseline", "3m", "6m"], **data}
    return client.post(f"/aps/forloeb/{case.pk}/spoergeskema/send/", form)


def test_the_nurse_schedules_the_default_and_the_round_invites_reminds_and_closes_by_email(story, as_user, smtp):
    w, case, _other, _citizen, _n = story
    nurse = as_user(w.users["nina"])
    page = text(nurse.get(f"/aps/forloeb/{case.pk}/"))
    assert 'data-testid="schedule-form"' in page
    # the programme file's default schedule is what the form offers, all ticked
    configured = rules.QUESTIONNAIRES
    assert [t for t, _m in configured.timepoints] == ["baseline", "3m", "6m"]
    assert schedule(nurse, case).status_code == 302
    today = timezone.localdate()
    made = list(case.questionnaire_requests.order_by("send_on"))
    assert [(r.timepoint, r.send_on, r.deadline, r.state) for r in made] == [
        (t, add_months(today, m), add_months(today, m) + dt.timedelta(days=configured.answer_days), "scheduled")
        for t, m in configured.timepoints]
    assert AuditEntry.objects.filter(what="aps.questionnaire.schedule", username="nina").count() == 1

    # the round sends today's invitation to the real SMTP server, once
    done = actions.questionnaire_round()
    assert [r.timepoint for r in done.invited] == ["baseline"] and not done.failed
    (mail,) = smtp.wait_for(EMAIL)
    body = mail.get_content()
    first = made[0]
    assert f"{SITE}/borger/skema/{first.public_id}/" in body
    assert "MitID" in body and mail["Subject"] == "Et spørgeskema fra din sygeplejerske"
    person = w.persons["p1"]
    assert person.cpr not in body and person.cpr[:6] not in body and person.name not in body
    first.refresh_from_db()
    assert first.state == "sent" and first.sent_at is not None
    assert actions.questionnaire_round().invited == []  # nothing twice
    assert len(smtp.to(EMAIL)) == 1

    # reminders on the configured days, then the deadline
    days = configured.reminder_days
    assert len(actions.questionnaire_round(today + dt.timedelta(days=days[0] - 1)).reminded) == 0
    assert len(actions.questionnaire_round(today + dt.timedelta(days=days[0])).reminded) == 1
    assert len(actions.questionnaire_round(today + dt.timedelta(days=days[0])).reminded) == 0
    assert len(actions.questionnaire_round(today + dt.timedelta(days=days[1])).reminded) == 1
    reminders = smtp.wait_for(EMAIL, 3)
    assert str(reminders[-1]["Subject"]).strip() == "Påmindelse: et spørgeskema fra din sygeplejerske"
    assert actions.questionnaire_round(first.deadline).expired == []
    assert [r.pk for r in actions.questionnaire_round(first.deadline + dt.timedelta(days=1)).expired] == [first.pk]
    first.refresh_from_db()
    assert (first.state, first.reminders) == ("expired", 2)
    events = list(AuditEntry.objects.filter(detail__request=str(first.public_id)).values_list("what", flat=True))
    assert events.count("aps.questionnaire.invite") == 1 and events.count("aps.questionnaire.remind") == 2
    assert events.count("aps.questionnaire.expire") == 1
    assert set(AuditEntry.objects.filter(what__startswith="aps.questionnaire.").values_list("person_key", flat=True)) \
        == {person.person_key}

    # not answered: on the nurse's day view from the day after the deadline until marked seen
    after = (first.deadline + dt.timedelta(days=1)).isoformat()
    assert 'id="bucket-questionnaires_unanswered"' not in text(nurse.get(f"/aps/min-dag/?dato={first.deadline}"))
    day = text(nurse.get(f"/aps/min-dag/?dato={after}"))
    assert 'id="bucket-questionnaires_unanswered"' in day and person.name in day
    url = f"/aps/forloeb/{case.pk}/spoergeskema/invitation/{first.public_id}/set/"
    assert as_user(w.users["ole"]).post(url).status_code == 404  # not her case
    assert nurse.post(url).status_code == 302
    assert 'id="bucket-questionnaires_unanswered"' not in text(nurse.get(f"/aps/min-dag/?dato={after}"))
    assert nurse.post(url).status_code == 400  # once
    assert AuditEntry.objects.filter(what="aps.questionnaire.review", detail__request=str(first.public_id)).count() == 1

    # a time point already scheduled is refused, nothing added
    refused = schedule(nurse, case, timepoints=["3m"])
    assert refused.status_code == 400 and "already scheduled" in text(refused)
    assert case.questionnaire_requests.count() == 3


def test_the_sms_gateway_gets_the_invitation_and_a_refusal_is_tried_again(story, as_user, monkeypatch):
    w, case, *_ = story
    with receivers.sms_gateway() as gateway:
        monkeypatch.setenv("OPSPOR_SMS_URL", gateway.url)
        monkeypatch.setenv("OPSPOR_SMS_TOKEN", "sms-secret")
        monkeypatch.setenv("OPSPOR_PUBLIC_URL", SITE)
        nurse = as_user(w.users["nina"])
        bad = schedule(nurse, case, channel="sms", address="1234", timepoints=["baseline"])
        assert bad.status_code == 400 and "Danish mobile number" in text(bad)
        assert schedule(nurse, case, channel="sms", address="20 12 34 56", timepoints=["baseline"]).status_code == 302
        (request,) = case.questionnaire_requests.all()
        assert request.address == "+4520123456"

        gateway.status = 503
        done = actions.questionnaire_round()
        assert len(done.failed) == 1 and "HTTP 503" in done.failed[0][1]
        request.refresh_from_db()
        assert request.state == "scheduled" and "HTTP 503" in request.last_error
        assert AuditEntry.objects.filter(what="aps.questionnaire.undelivered").count() == 1

        gateway.status = 200
        assert len(actions.questionnaire_round().invited) == 1
        headers, body = gateway.received[-1]
        assert body["to"] == "+4520123456" and f"{SITE}/borger/skema/{request.public_id}/" in body["text"]
        assert headers["Authorization"] == "Bearer sms-secret"
        assert w.persons["p1"].cpr not in body["text"]
        request.refresh_from_db()
        assert request.state == "sent" and request.last_error == ""


def test_no_public_address_no_invitation(story, as_user, smtp, monkeypatch):
    w, case, *_ = story
    monkeypatch.delenv("OPSPOR_PUBLIC_URL")
    assert schedule(as_user(w.users["nina"]), case, timepoints=["baseline"]).status_code == 302
    done = actions.questionnaire_round()
    assert "OPSPOR_PUBLIC_URL" in done.failed[0][1] and smtp.to(EMAIL) == []


def test_the_citizen_answers_a_red_who5_and_the_nurse_sees_it_on_her_day(story, as_user, smtp):
    w, case, _other, citizen, _n = story
    nurse = as_user(w.users["nina"])
    assert schedule(nurse, case, timepoints=["baseline"]).status_code == 302
    actions.questionnaire_round()
    link = re.search(r"https://\S+", smtp.wait_for(EMAIL)[0].get_content()).group(0)
    path = link.removeprefix(SITE)

    me = as_user(citizen)
    home = text(me.get("/borger/"))
    assert path in home and "Answer WHO-5" in home
    form = me.get(path)
    assert form.status_code == 200 and "1. Over the last two weeks I have felt cheerful" in text(form)
    assert text(form).count('type="radio"') == 5 * 6
    # a question left out: refused with the question named, nothing stored
    missing = me.post(path, {k: v for k, v in LOW.items() if k != "item_q3"})
    assert missing.status_code == 400 and "Answer question 3." in text(missing)
    assert not QuestionnaireResponse.objects.exists()
    assert me.post(path, LOW).status_code == 302

    response = QuestionnaireResponse.objects.get()
    assert (response.source, response.score, response.triage, response.triage_rule) == (
        "citizen", 20.0, "red", "who5_likely_depression")
    assert response.recorded_by == citizen and response.answers == {f"q{n}": 1 for n in range(1, 6)}
    assert response.triage_version == triage.triage().version
    request = QuestionnaireRequest.objects.get()
    assert request.state == "answered" and request.response == response
    assert AuditEntry.objects.filter(what="citizen.questionnaire.answer", username="borger-p1").count() == 1
    assert AuditEntry.objects.filter(what="citizen.questionnaire", username="borger-p1").count() == 1
    # answered: the page says so, a second answer stores nothing
    again = me.post(path, LOW)
    assert "You answered this questionnaire" in text(again) and QuestionnaireResponse.objects.count() == 1
    home = text(me.get("/borger/"))
    assert path not in home and "WHO-5 Well-Being Index" in home and "answered by you here" in home

    # the answer as a FHIR QuestionnaireResponse (checked by the R4B models), an audited export
    fhir_url = f"/aps/forloeb/{case.pk}/spoergeskema/{response.pk}/fhir.json"
    download = nurse.get(fhir_url)
    assert download.status_code == 200 and download["Content-Type"] == "application/fhir+json"
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse as FhirResponse

    body = FhirResponse.model_validate_json(download.content)
    assert body.questionnaire == "urn:opspor:questionnaire:who5|1998" and body.status == "completed"
    assert [(i.linkId, i.answer[0].valueCoding.code) for i in body.item[:5]] == [(f"q{n}", "1") for n in range(1, 6)]
    assert (body.item[5].linkId, float(body.item[5].answer[0].valueDecimal)) == ("score", 20.0)  # the calculated item
    assert body.source.identifier.value == w.persons["p1"].cpr  # answered by the citizen
    assert AuditEntry.objects.filter(what="aps.questionnaire.fhir", action="export", username="nina",
                                     person_key=w.persons["p1"].person_key).count() == 1
    assert as_user(w.users["ole"]).get(fhir_url).status_code == 404
    assert as_user(citizen).get(fhir_url).status_code == 404  # the citizen area only

    # the nurse's day view: red, with the rule that fired, answered by the citizen
    day = text(nurse.get("/aps/min-dag/"))
    assert 'id="bucket-questionnaire_alerts"' in day
    bucket = day[day.index('id="bucket-questionnaire_alerts"'):]
    bucket = bucket[:bucket.index("</section>")]
    assert "Red" in bucket and "WHO-5 of 28 or below: likely depression" in bucket and w.persons["p1"].name in bucket
    assert "Answered by the citizen" in bucket
    # marked seen on the case: gone from the day view, audited
    assert nurse.post(f"/aps/forloeb/{case.pk}/spoergeskema/{response.pk}/set/").status_code == 302
    assert 'id="bucket-questionnaire_alerts"' not in text(nurse.get("/aps/min-dag/"))
    assert AuditEntry.objects.filter(what="aps.questionnaire.review", username="nina").count() == 1
    # another nurse cannot mark it
    assert as_user(w.users["ole"]).post(f"/aps/forloeb/{case.pk}/spoergeskema/{response.pk}/set/").status_code == 404


def test_paper_answers_are_marked_triaged_and_close_the_open_invitation(story, as_user, smtp):
    w, case, *_ = story
    nurse = as_user(w.users["nina"])
    assert schedule(nurse, case, timepoints=["baseline"]).status_code == 302
    actions.questionnaire_round()
    answers = {"instrument": "who5", "timepoint": "baseline", "taken_on": timezone.localdate().isoformat(),
               **{f"item_q{n}": "2" for n in range(1, 6)}}  # raw 10, score 40: yellow
    assert nurse.post(f"/aps/forloeb/{case.pk}/spoergeskema/", answers).status_code == 302
    response = QuestionnaireResponse.objects.get()
    assert (response.source, response.triage, response.triage_rule) == ("paper", "yellow", "who5_reduced")
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse as FhirResponse

    exported = FhirResponse.model_validate_json(nurse.get(f"/aps/forloeb/{case.pk}/spoergeskema/{response.pk}/fhir.json").content)
    assert exported.source is None and exported.author.display == "Nina Sygeplejerske"  # typed in by the nurse
    assert QuestionnaireRequest.objects.get().state == "answered"
    page = text(nurse.get(f"/aps/forloeb/{case.pk}/"))
    assert "Typed in by the nurse (paper or phone)" in page and "WHO-5 below 50" in page
    day = text(nurse.get("/aps/min-dag/"))
    assert "Yellow" in day[day.index('id="bucket-questionnaire_alerts"'):]


def test_nobody_reaches_another_persons_questionnaire_by_url(story, as_user, smtp):
    w, case, other, citizen, neighbour = story
    assert schedule(as_user(w.users["nina"]), case, timepoints=["baseline"]).status_code == 302
    actions.questionnaire_round()
    mine = QuestionnaireRequest.objects.get()
    path = f"/borger/skema/{mine.public_id}/"
    intruder = as_user(neighbour)  # another citizen, with a course of their own
    assert intruder.get(path).status_code == 404
    assert intruder.post(path, LOW).status_code == 404
    assert intruder.get(f"/borger/skema/{uuid.uuid4()}/").status_code == 404
    assert intruder.get("/borger/skema/not-a-uuid/").status_code == 404
    assert as_user(w.users["ole"]).get(path).status_code == 403  # staff: the page is for citizens only
    assert as_user(w.users["nina"]).get(path).status_code == 403  # not even the case's nurse
    assert not QuestionnaireResponse.objects.exists()
    assert not AuditEntry.objects.filter(what__startswith="citizen.questionnaire").exists()
    # the other nurse cannot schedule for Nina's case
    assert schedule(as_user(w.users["ole"]), case).status_code == 404
    # the owner reaches it (and only through the log-in: anonymous is sent to log in with next)
    from django.test import Client

    anonymous = Client().get(path)
    assert anonymous.status_code == 302 and "next=" in anonymous["Location"]
    assert as_user(citizen).get(path).status_code == 200


def test_an_invitation_closes_when_the_course_ends(story, as_user, smtp):
    w, case, *_ = story
    assert schedule(as_user(w.users["nina"]), case, timepoints=["baseline"]).status_code == 302
    actions.end_support(w.users["nina"], case, "withdrew")
    done = actions.questionnaire_round()
    assert len(done.cancelled) == 1 and not done.invited and smtp.to(EMAIL) == []


@pytest.mark.parametrize("body, message", [
    ('version: "1"\ninstruments:\n  who5:\n    - {id: a, level: red, text: {da: x, en: y}}\n',
     "at instruments.who5[0]: no condition. Fix: give exactly one of score_at_most, score_below, no_score"),
    ('version: "1"\ninstruments:\n  who5:\n    - {id: a, level: pink, score_below: 5, text: {da: x, en: y}}\n',
     "at instruments.who5[0].level: unknown level 'pink'"),
    ('version: "1"\ninstruments:\n  who5:\n    - {id: a, level: red, score_below: 5, score_at_most: 3, text: {da: x, en: y}}\n',
     "several conditions: score_at_most, score_below"),
    ('version: "1"\ninstruments:\n  who5:\n    - {id: a, level: red, score_below: lav, text: {da: x, en: y}}\n',
     "at instruments.who5[0].score_below: expected a number, got 'lav'"),
])
def test_a_bad_triage_file_names_the_key_and_the_fix(tmp_path, body, message):
    path = tmp_path / "triage.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(triage.TriageConfigError) as e:
        triage.load(path)
    assert str(e.value).startswith(f"{path}: at ") and message in str(e.value)


def test_a_bad_questionnaire_schedule_names_the_key_and_the_fix(tmp_path):
    base = 'version: "1"\ninvitation_reminder_days: 7\nsupport_months: {min: 6, max: 9}\nmax_capacity: 5\n'
    path = tmp_path / "programme.yaml"
    path.write_text(base + "questionnaires:\n  instrument: who5\n  timepoints: {baseline: 0, 2m: 2}\n"
                    "  answer_days: 14\n  reminder_days: [4]\n", encoding="utf-8")
    with pytest.raises(rules.ProgrammeConfigError, match=r"at questionnaires.timepoints.2m: unknown time point '2m'"):
        rules.load(path)
    path.write_text(base + "questionnaires:\n  instrument: who5\n  timepoints: {baseline: 0}\n"
                    "  answer_days: 7\n  reminder_days: [4, 7]\n", encoding="utf-8")
    with pytest.raises(rules.ProgrammeConfigError, match=r"at questionnaires.reminder_days: a reminder on day 7"):
        rules.load(path)
    path.write_text(base, encoding="utf-8")
    assert rules.load(path)["questionnaires"] is None  # a programme file without questionnaires sends none


def test_the_rollout_page_shows_the_response_rate_per_questionnaire_and_nurse(story, as_user, smtp):
    """Nina: three sent (one answered by the citizen, one on paper, one past the deadline); Ole:
    one past the deadline; not yet sent ones are not counted. The rate counts the closed ones."""
    from tests.web.exports_kit import csv_dicts

    w, case, other, citizen, _n = story
    nina, ole = as_user(w.users["nina"]), as_user(w.users["ole"])
    today = timezone.localdate()
    assert schedule(nina, case, timepoints=["baseline", "3m"]).status_code == 302
    assert schedule(ole, other, address="ole.borger@eksempel.dk", timepoints=["baseline"]).status_code == 302
    actions.questionnaire_round()
    first = case.questionnaire_requests.get(timepoint="baseline")
    assert as_user(citizen).post(f"/borger/skema/{first.public_id}/", LOW).status_code == 302
    # 3 months on: the second goes out, is not answered, passes its deadline
    later = add_months(today, 3)
    actions.questionnaire_round(later)
    second = case.questionnaire_requests.get(timepoint="3m")
    assert actions.questionnaire_round(second.deadline + dt.timedelta(days=1)).expired[0].pk == second.pk
    # a paper answer for a third time point sent today
    assert schedule(nina, case, timepoints=["6m"], first_day=today.isoformat()).status_code == 302
    third = case.questionnaire_requests.get(timepoint="6m")
    QuestionnaireRequest.objects.filter(pk=third.pk).update(send_on=today)
    actions.questionnaire_round()
    answers = {"instrument": "who5", "timepoint": "6m", "taken_on": today.isoformat(),
               **{f"item_q{n}": "4" for n in range(1, 6)}}
    assert nina.post(f"/aps/forloeb/{case.pk}/spoergeskema/", answers).status_code == 302

    rows = {r["Nurse"]: r for r in csv_dicts(as_user(w.users["pia"]).get("/overvaagning/udrulning/questionnaires.csv"), "en")}
    assert set(rows) == {"Nina Sygeplejerske", "Ole Sygeplejerske"}
    n, o = rows["Nina Sygeplejerske"], rows["Ole Sygeplejerske"]
    assert n["Questionnaire"] == "WHO-5 Well-Being Index"
    assert (n["Sent"], n["Answered by the citizen"], n["Answered on paper"], n["Not answered by the deadline"],
            n["Still open"], n["Response rate (%)"]) == ("3", "1", "1", "1", "0", "66.7")
    assert (o["Sent"], o["Not answered by the deadline"], o["Response rate (%)"]) == ("1", "1", "0.0")
    html = text(as_user(w.users["pia"]).get("/overvaagning/udrulning/"))
    assert 'data-testid="questionnaire-rates"' in html and "67 %" in html
    assert w.persons["p1"].name not in html and EMAIL not in html  # numbers only
