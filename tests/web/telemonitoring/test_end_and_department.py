"""Issue 15's last parts of the clinical loop: an enrolment names the department responsible for the
condition, and the monitoring centre escalates an alarm to it (or to the GP) as a MedCom message,
once per recipient; a clinician ends the telemonitoring with a reason and a confirmation, after
which measurements are refused, the open alarms are closed with the reason and the worklist is
empty. Through HTTP as each role."""

from __future__ import annotations

import pytest

from opspor.web.accounts.organisations import department
from opspor.web.audit.models import AuditEntry
from opspor.web.messaging.models import OutboundMessage
from opspor.web.telemonitoring.models import Alarm, AlarmEvent, Enrolment
from tests.telemonitoring import tm_kit as k
from tests.web.factories import *  # noqa: F403 - the fixtures world and as_user
from tests.web.telemonitoring.test_enrolment import enrol_form, store, tm  # noqa: F401 - tm is a fixture
from opspor.telemonitoring import observations


@pytest.fixture
def red(tm, as_user):
    """p1 enrolled by nurse nina with OUH's MED1 as responsible department, p2 without one; a red
    SpO2 for each, acknowledged by the monitoring nurse mona."""
    med = department("OUH", "MED1")
    nina = as_user(tm.users["nina"])
    p1, p2 = tm.persons["p1"], tm.persons["p2"]
    page = nina.get(f"/telemonitorering/tilmeld/{p1.public_id}/?condition=copd").content.decode()
    assert f'value="{med.pk}"' in page  # the region's departments are offered
    assert nina.post(f"/telemonitorering/tilmeld/{p1.public_id}/", enrol_form(department=med.pk)).status_code == 302
    assert nina.post(f"/telemonitorering/tilmeld/{p2.public_id}/", enrol_form()).status_code == 302
    store(k.obs("spo2", 85, "r1", k.subject(p1.public_id)), k.obs("spo2", 84, "r2", k.subject(p2.public_id)))
    mona = as_user(tm.users["mona"])
    alarms = {}
    for person in (p1, p2):
        alarm = Alarm.objects.get(person=person, rule="spo2_red")
        mona.post(f"/telemonitorering/alarm/{alarm.pk}/", {"step": "acknowledge"})
        alarms[person.pk] = alarm
    return tm, med, mona, alarms


def test_the_department_is_shown_and_an_alarm_goes_to_it_once_and_to_the_gp(red, as_user):
    tm, med, mona, alarms = red
    p1 = tm.persons["p1"]
    assert Enrolment.objects.get(person=p1).department == med
    page = as_user(tm.users["nina"]).get(f"/telemonitorering/patient/{p1.public_id}/").content.decode()
    assert 'id="tm-department">' + med.name in page
    url = f"/telemonitorering/alarm/{alarms[p1.pk].pk}/"
    mona = as_user(tm.users["mona"])  # one test client: as_user logs it in as that user
    alarm_page = mona.get(url).content.decode()
    assert 'id="escalate-department"' in alarm_page and med.name in alarm_page
    for _ in range(2):  # a second press sends nothing more
        mona.post(url, {"step": "escalate_department", "text": "SpO2 85 %, please assess today"})
    mona.post(url, {"step": "escalate", "text": "For your information"})
    sent = OutboundMessage.objects.filter(event="telemonitoring_alarm", person=p1)
    assert sorted(sent.values_list("recipient_kind", "recipient_id", "state")) == [
        ("department", med.code, "queued"), ("gp_practice", p1.gp_provider_number, sent.get(
            recipient_kind="gp_practice").state)]
    assert sent.get(recipient_kind="department").purpose.startswith("Eskalering af en alarm i telemonitorering til "
                                                                      "den ansvarlige hospitalsafdeling")
    assert Alarm.objects.get(pk=alarms[p1.pk].pk).state == "escalated"
    assert AuditEntry.objects.filter(what="telemonitoring.escalate", person_key=p1.person_key).count() == 3


def test_no_department_no_escalation_to_one(red):
    tm, _, mona, alarms = red
    p2 = tm.persons["p2"]
    url = f"/telemonitorering/alarm/{alarms[p2.pk].pk}/"
    assert 'id="escalate-department"' not in mona.get(url).content.decode()
    answer = mona.post(url, {"step": "escalate_department", "text": "Please assess"}, follow=True).content.decode()
    assert "The enrolment names no responsible department" in answer
    assert not OutboundMessage.objects.filter(person=p2).exists()
    assert Alarm.objects.get(pk=alarms[p2.pk].pk).state == "acknowledged"


def test_ending_asks_for_a_reason_and_a_confirmation_then_closes_everything(red, as_user):
    tm, _, mona, alarms = red
    p1 = tm.persons["p1"]
    url = f"/telemonitorering/patient/{p1.public_id}/afslut/"
    assert mona.get(url).status_code == 403  # the monitoring centre does not end a telemonitoring
    nina = as_user(tm.users["nina"])
    assert 'id="tm-end"' in nina.get(f"/telemonitorering/patient/{p1.public_id}/").content.decode()
    assert 'id="tm-end"' not in as_user(tm.users["mona"]).get(f"/telemonitorering/patient/{p1.public_id}/").content.decode()
    nina = as_user(tm.users["nina"])
    assert 'id="tm-end-confirm"' not in nina.post(url, {"reason": ""}).content.decode()  # no reason: asked again
    asked = nina.post(url, {"reason": "Stable for three months; ends by plan"}).content.decode()
    assert 'id="tm-end-confirm"' in asked and "the open alarm closes" in asked
    assert Enrolment.objects.get(person=p1).state == "active"  # not before the confirmation
    done = nina.post(url, {"reason": "Stable for three months; ends by plan", "confirmed": "1"})
    assert done.status_code == 302
    e = Enrolment.objects.get(person=p1)
    assert (e.state, e.ended_by, e.end_reason) == ("ended", tm.users["nina"], "Stable for three months; ends by plan")
    alarm = Alarm.objects.get(pk=alarms[p1.pk].pk)
    assert alarm.state == "closed" and alarm.closed_at == e.ended_at
    assert AlarmEvent.objects.filter(alarm=alarm, kind="closed").get().text.endswith("ends by plan")
    assert AuditEntry.objects.filter(what="telemonitoring.end", person_key=p1.person_key).count() == 1
    assert f"/alarm/{alarm.pk}/" not in as_user(tm.users["mona"]).get("/telemonitorering/vagt/").content.decode()
    nina = as_user(tm.users["nina"])
    assert nina.get(f"/telemonitorering/patient/{p1.public_id}/").status_code == 404
    assert nina.post(url, {"reason": "again", "confirmed": "1"}).status_code == 404
    with pytest.raises(observations.Invalid):  # measurements after the end are refused
        store(k.obs("spo2", 95, "after", k.subject(p1.public_id)))
    # the patient may be enrolled again later
    assert nina.post(f"/telemonitorering/tilmeld/{p1.public_id}/", enrol_form()).status_code == 302
    assert Enrolment.objects.filter(person=p1).count() == 2
