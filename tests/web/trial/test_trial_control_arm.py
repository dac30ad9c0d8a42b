"""The control arm after consent: usual care (no start-up, sessions, goals or plan), the outcome
questionnaire at its time points (day view and caseload show only that task), no support place
taken from the nurse's capacity, and the follow-up "completed" from 6 months after consent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from opspor.web.aps import queries
from opspor.web.aps.models import Case, QuestionnaireResponse
from opspor.web.trial.models import Allocation
from tests.web.factories import *  # the fixture as_user
from tests.web.trial.trial_kit import cases_of, invite

pytestmark = pytest.mark.django_db

WHO5 = {f"item_q{i}": "3" for i in range(1, 6)}


def _consented_pair(w, as_user, nurse_name="tina"):
    """(control case, intervention case), both consented by the nurse."""
    persons = [w.persons[f"s{i:02d}"] for i in range(1, 9)]
    invite(as_user(w.users["pia"]), persons, w.users[nurse_name])
    cases = cases_of(persons)
    control = next(c for c in cases if c.allocation.arm == "control")
    intervention = next(c for c in cases if c.allocation.arm == "intervention")
    nurse = as_user(w.users[nurse_name])
    for c in (control, intervention):
        assert nurse.post(f"/aps/forloeb/{c.pk}/samtykke/", {"confirmed": "1"}).status_code == 302
    return control, intervention, nurse


def test_the_control_arm_gets_no_support_but_records_questionnaires(trial_on, tworld, as_user):
    control, intervention, nurse = _consented_pair(tworld, as_user)
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    tomorrow = (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    refused_msg = "control group (usual care): no support sessions"
    for url, data in ((f"/aps/forloeb/{control.pk}/opstart/", {"held_at": now}),
                      (f"/aps/forloeb/{control.pk}/samtaler/planlaeg/startup/", {"planned_for": tomorrow}),
                      (f"/aps/forloeb/{control.pk}/samtaler/planlaeg/phone/", {"planned_for": tomorrow}),
                      (f"/aps/forloeb/{control.pk}/maal/", {"text": "Gå en tur hver dag"}),
                      (f"/aps/forloeb/{control.pk}/plan/", {"text": "Plan"})):
        response = nurse.post(url, data)
        assert response.status_code == 400 and refused_msg in response.content.decode(), url
    control.refresh_from_db()
    assert control.state == Case.State.CONSENTED and not control.sessions.exists() and not control.goals.exists()
    page = nurse.get(f"/aps/forloeb/{control.pk}/").content.decode()
    assert 'id="sec-startup"' not in page and 'id="sec-goals"' not in page and 'id="sec-questionnaires"' in page
    assert "Next questionnaire: baseline" in page
    # the intervention case goes on as without a trial
    assert nurse.post(f"/aps/forloeb/{intervention.pk}/opstart/", {"held_at": now}).status_code == 302
    intervention.refresh_from_db()
    assert intervention.state == Case.State.ACTIVE

    day = nurse.get("/aps/min-dag/").content.decode()
    control_name = control.person.name
    assert 'id="bucket-questionnaires_due"' in day
    bucket = day.split('id="bucket-questionnaires_due"')[1].split("</section>")[0]
    assert control_name in bucket and intervention.person.name not in bucket
    assert control_name not in day.split('id="bucket-questionnaires_due"')[0].split('id="bucket-new_invitations"')[0]
    startup = day.split('id="bucket-startup_to_plan"')[1].split("</section>")[0] if "bucket-startup_to_plan" in day else ""
    assert control_name not in startup

    response = nurse.post(f"/aps/forloeb/{control.pk}/spoergeskema/", {
        "instrument": "who5", "timepoint": "baseline", "taken_on": timezone.localdate().isoformat(), **WHO5})
    assert response.status_code == 302
    assert QuestionnaireResponse.objects.get(case=control).score == 60
    assert control_name not in nurse.get("/aps/min-dag/").content.decode()  # nothing due until 6 months
    six_months = (timezone.localdate() + dt.timedelta(days=190)).isoformat()
    later = nurse.get(f"/aps/min-dag/?dato={six_months}").content.decode()
    assert control_name in later.split('id="bucket-questionnaires_due"')[1].split("</section>")[0]
    caseload = nurse.get("/aps/forloeb/").content.decode()
    assert "questionnaire 6m" in caseload


def test_a_control_case_takes_no_support_place(trial_on, tworld, as_user):
    w = tworld
    lead = as_user(w.users["pia"])
    ole = w.users["ole"]  # capacity 5
    persons = [w.persons[f"s{i:02d}"] for i in range(1, 6)]
    invite(lead, persons, ole)
    assert queries.open_case_count(ole) == 5
    response = lead.post("/aps/program/inviter/", {"persons": [w.persons["s06"].public_id], "nurse": ole.pk}, follow=True)
    assert "has 0 free places" in response.content.decode()
    cases = cases_of(persons)
    nurse = as_user(ole)
    for c in cases:
        assert nurse.post(f"/aps/forloeb/{c.pk}/samtykke/", {"confirmed": "1"}).status_code == 302
    n_control = Allocation.objects.filter(person__in=persons, arm="control").count()
    assert 0 < n_control < 5
    assert queries.open_case_count(ole) == 5 - n_control
    assert f"{5 - n_control} open cases (invited, consented, active) of a capacity of 5" in nurse.get(
        "/aps/forloeb/").content.decode()
    lead = as_user(w.users["pia"])
    more = [w.persons[f"s{i:02d}"] for i in range(6, 6 + n_control)]
    invite(lead, more, ole)
    assert all(c is not None for c in cases_of(more))


def test_the_control_follow_up_completes_six_months_after_consent(trial_on, tworld, as_user):
    control, _intervention, nurse = _consented_pair(tworld, as_user)
    response = nurse.post(f"/aps/forloeb/{control.pk}/afslut/", {"confirmed": "1", "reason": "completed"})
    assert response.status_code == 400 and "follow-up runs 6 months from consent" in response.content.decode()
    Case.objects.filter(pk=control.pk).update(answered_at=timezone.now() - dt.timedelta(days=190))
    assert nurse.post(f"/aps/forloeb/{control.pk}/afslut/", {"confirmed": "1", "reason": "completed"}).status_code == 302
    control.refresh_from_db()
    assert control.state == Case.State.ENDED and control.end_reason == "completed"


def test_the_programme_rollout_leaves_out_control_cases_once_revealed(trial_on, tworld, as_user):
    """The rollout counts the programme's cases; a consented control case gets usual care."""
    from opspor.web.monitoring.rollout import enrolment_rows

    control, intervention, _nurse = _consented_pair(tworld, as_user)
    invited = Case.objects.filter(region_code="1083").count()
    rows = enrolment_rows("1083")
    assert len(rows) == invited - 1  # every case but the revealed control case
    assert sum(r.consented_on is not None for r in rows) == 1  # the intervention case
