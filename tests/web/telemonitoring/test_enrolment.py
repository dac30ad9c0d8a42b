"""Enrolment, thresholds and triage in the web app: a nurse enrols her patient with the usability
check and the plan, adjusts a threshold relative to the patient's baseline with a reason; every
measurement stored is classified with the rule that fired; missing measurements raise alarms;
who reaches which patient."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from opspor.telemonitoring import kinds, observations, protocols
from opspor.web.accounts.models import Organisation
from opspor.web.accounts.roles import OrgKind, Role
from opspor.web.audit.models import AuditEntry
from opspor.web.telemonitoring import actions
from opspor.web.telemonitoring.models import Alarm, Condition, Enrolment, Measurement, Source
from tests.telemonitoring import tm_kit as k
from tests.web import web_kit
from tests.web.factories import *  # the fixtures world and as_user
from tests.web.factories import make_case

CAT = kinds.shipped()


@pytest.fixture
def tm(world):
    """p1 in nurse nina's caseload; a monitoring nurse in 1083 (mona) and one in 1085 (mads)."""
    u = world.users
    make_case(world.persons["p1"], u["nina"], u["pia"], state="active")
    make_case(world.persons["p2"], u["nina"], u["pia"], state="active")
    for name, region in (("mona", "1083"), ("mads", "1085")):
        u[name] = web_kit.make_user(name, Role.MONITORING_NURSE,
                                    Organisation.objects.get(kind=OrgKind.REGION, code=region))
    return world


def enrol_form(condition="copd", **extra):
    data = {"condition": condition, "source": "aps_case", "equipment": "Pulse oximeter Nonin 3230, tablet",
            "usability_passed": "on", "usability_note": "Measured SpO2 and sent it alone"}
    for kind, plan in protocols.shipped().conditions[condition].plan.items():
        data |= {f"plan_{kind}": "on", f"every_{kind}": plan.every_days, f"missing_{kind}": plan.missing_after_days}
    for kind in CAT.kinds:
        data.setdefault(f"every_{kind}", 7)
        data.setdefault(f"missing_{kind}", 10)
    return data | extra


def store(*docs, now=None):
    readings = observations.read_body(CAT, k.body(k.bundle(*docs)), now=now)
    return actions.store(actions.IMPORTER, [readings], source=Source.API, sender="test", catalogue_version=CAT.version)


def test_the_conditions_are_the_protocols():
    assert set(Condition.values) == set(protocols.shipped().conditions)


def test_a_nurse_enrols_with_the_check_and_the_plan_and_red_spo2_raises_an_alarm(tm, as_user):
    p1, nina = tm.persons["p1"], tm.users["nina"]
    client = as_user(nina)
    page = client.get(f"/telemonitorering/tilmeld/{p1.public_id}/?condition=copd").content.decode()
    assert 'name="plan_spo2" checked' in page or 'checked id="id_plan_spo2"' in page or "id_plan_spo2" in page
    refused = client.post(f"/telemonitorering/tilmeld/{p1.public_id}/", enrol_form(usability_passed=""))
    assert refused.status_code == 200 and "must pass the check of using the equipment" in refused.content.decode()
    assert not Enrolment.objects.exists()
    done = client.post(f"/telemonitorering/tilmeld/{p1.public_id}/", enrol_form())
    assert done.status_code == 302
    e = Enrolment.objects.get(person=p1)
    assert (e.condition, e.enrolled_by, e.region_code) == ("copd", nina, "1083")
    assert sorted(e.plan.values_list("kind", flat=True)) == sorted(protocols.shipped().conditions["copd"].plan)
    assert AuditEntry.objects.filter(what="telemonitoring.enrol", person_key=p1.person_key).count() == 1

    who = k.subject(p1.public_id)
    summary = store(k.obs("spo2", 87, "s1", who), k.obs("spo2", 95, "s2", who), k.obs("cat", 24, "s3", who),
                    k.obs("weight", 80, "s4", who))  # weight is not in a COPD plan: stored, not triaged
    assert (summary.stored, summary.alarms) == (4, 2)
    triaged = {m.identifier_value: (m.colour, m.rule, m.threshold) for m in Measurement.objects.all()}
    assert triaged == {"s1": ("red", "spo2_red", 88), "s2": ("green", "", None), "s3": ("yellow", "cat_yellow", 20),
                       "s4": ("", "", None)}
    alarms = {(a.category, a.colour, a.rule) for a in Alarm.objects.all()}
    assert alarms == {("measurement", "red", "spo2_red"), ("questionnaire", "yellow", "cat_yellow")}
    page = client.get(f"/telemonitorering/patient/{p1.public_id}/").content.decode()
    assert "spo2_red" in page and "not in the plan: not triaged" in page


def test_an_adjustment_relative_to_the_baseline_applies_from_then_on_and_is_audited(tm, as_user):
    p1, nina = tm.persons["p1"], tm.users["nina"]
    client = as_user(nina)
    client.post(f"/telemonitorering/tilmeld/{p1.public_id}/", enrol_form())
    who = k.subject(p1.public_id)
    store(k.obs("spo2", 86, "a1", who))
    no_reason = client.post(f"/telemonitorering/patient/{p1.public_id}/taerskel/",
                            {"rule": "spo2_red", "baseline": 89, "offset": -4, "reason": ""})
    assert no_reason.status_code == 302 and not Enrolment.objects.get().adjustments.exists()
    client.post(f"/telemonitorering/patient/{p1.public_id}/taerskel/",
                {"rule": "spo2_red", "baseline": 89, "offset": -4, "reason": "Habitual SpO2 89 % (GOLD 4)"})
    adjustment = Enrolment.objects.get().adjustments.get()
    assert (adjustment.threshold, adjustment.by) == (85, nina)
    entry = AuditEntry.objects.get(what="telemonitoring.threshold")
    assert entry.why == "Habitual SpO2 89 % (GOLD 4)" and entry.detail["protocol_threshold"] == 88
    store(k.obs("spo2", 86, "a2", who))
    colours = dict(Measurement.objects.values_list("identifier_value", "colour"))
    assert colours == {"a1": "red", "a2": "yellow"}  # the first keeps the verdict of its time
    page = client.get(f"/telemonitorering/patient/{p1.public_id}/").content.decode()
    assert "Habitual SpO2 89 % (GOLD 4)" in page
    # the curve: SpO2 with the thresholds in force (the adjusted red one, the protocol's yellow)
    curve = page[page.index('id="curve-spo2"'):]
    curve = curve[:curve.index("</figure>")]
    assert "<svg" in curve and "spo2_red 85" in curve and "spo2_yellow 92" in curve
    assert curve.count("<tr>") == 1 + 2  # its table: the header and the two measurements
    store(k.obs("spo2", 86, "a2", who, status="entered-in-error"))  # withdrawn: off the curve
    page = client.get(f"/telemonitorering/patient/{p1.public_id}/").content.decode()
    curve = page[page.index('id="curve-spo2"'):]
    assert curve[:curve.index("</figure>")].count("<tr>") == 1 + 1


def test_heart_failure_weight_gain_and_missing_measurements(tm, as_user):
    p2 = tm.persons["p2"]
    as_user(tm.users["nina"]).post(f"/telemonitorering/tilmeld/{p2.public_id}/", enrol_form("heart_failure"))
    who = k.subject(p2.public_id)
    start = timezone.now() - dt.timedelta(days=4.5)
    days = [start + dt.timedelta(days=i) for i in range(4)]
    store(*[k.obs("weight", w, f"w{i}", who, at=d.isoformat()) for i, (w, d) in enumerate(zip((80, 80.5, 81.2, 82.4), days, strict=True))])
    assert dict(Measurement.objects.values_list("identifier_value", "rule")) == {
        "w0": "", "w1": "", "w2": "", "w3": "weight_gain_red"}
    assert actions.raise_missing() == 0  # just enrolled; the last weight 1.5 days ago (missing after 2)
    later = timezone.now() + dt.timedelta(days=4)
    raised = actions.raise_missing(now=later)
    missing = sorted(Alarm.objects.filter(category="missing").values_list("kind", "colour"))
    # 4 days on: weight (last 5.5 days before), blood pressure and pulse (none since the enrolment,
    # missing after 3 days); SpO2 is missing only after 10 days
    assert missing == [("blood_pressure", "yellow"), ("pulse", "yellow"), ("weight", "yellow")] and raised == 3
    assert actions.raise_missing(now=later) == 0  # one open alarm per kind


def test_who_reaches_a_telemonitoring_patient(tm, as_user):
    p1 = tm.persons["p1"]
    as_user(tm.users["nina"]).post(f"/telemonitorering/tilmeld/{p1.public_id}/", enrol_form())
    url = f"/telemonitorering/patient/{p1.public_id}/"
    assert as_user(tm.users["mona"]).get(url).status_code == 200  # the region's monitoring centre
    assert as_user(tm.users["mads"]).get(url).status_code == 404  # another region's
    assert as_user(tm.users["ole"]).get(url).status_code == 404  # a nurse with another caseload
    assert as_user(tm.users["sara"]).get(url).status_code == 403  # secretariat: no persons
    assert as_user(tm.users["mads"]).get(f"/telemonitorering/tilmeld/{p1.public_id}/").status_code == 403
    listing = as_user(tm.users["mona"]).get("/telemonitorering/").content.decode()
    assert str(p1.public_id) in listing


def test_measurements_for_a_patient_not_enrolled_are_refused(tm):
    with pytest.raises(observations.Invalid) as caught:
        store(k.obs("spo2", 90, "n1", k.subject(tm.persons["p3"].public_id)))
    assert "no patient enrolled in telemonitoring" in caught.value.errors[0].problem
    assert not Measurement.objects.exists()


def test_the_worklist_orders_red_yellow_missing_and_the_alarm_is_handled_to_closure(tm, as_user):
    from opspor.web.telemonitoring.models import AlarmEvent

    p1, p2 = tm.persons["p1"], tm.persons["p2"]
    nina = as_user(tm.users["nina"])
    nina.post(f"/telemonitorering/tilmeld/{p1.public_id}/", enrol_form())
    nina.post(f"/telemonitorering/tilmeld/{p2.public_id}/", enrol_form("heart_failure"))
    actions.raise_missing(now=timezone.now() + dt.timedelta(days=20))  # everything planned is missing
    store(k.obs("cat", 22, "q1", k.subject(p1.public_id)), k.obs("spo2", 85, "q2", k.subject(p1.public_id)))
    mona = as_user(tm.users["mona"])
    page = mona.get("/telemonitorering/vagt/").content.decode()
    order = [a.pk for a in sorted(Alarm.objects.exclude(state="closed"), key=lambda a: page.index(f"/alarm/{a.pk}/"))]
    kinds_in_order = [(Alarm.objects.get(pk=pk).category, Alarm.objects.get(pk=pk).colour) for pk in order]
    assert kinds_in_order[:2] == [("measurement", "red"), ("questionnaire", "yellow")]
    assert {c for c, _ in kinds_in_order[2:]} == {"missing"} and len(kinds_in_order) == 2 + 5 + 4
    red = Alarm.objects.get(rule="spo2_red")
    url = f"/telemonitorering/alarm/{red.pk}/"
    assert as_user(tm.users["mads"]).get(url).status_code == 404  # another region's centre
    assert as_user(tm.users["nina"]).post(url, {"step": "acknowledge"}).status_code == 403  # reads, does not handle
    mona = as_user(tm.users["mona"])
    mona.post(url, {"step": "close", "text": "too early"})
    assert Alarm.objects.get(pk=red.pk).state == "open"  # refused: acknowledge first
    mona.post(url, {"step": "acknowledge"})
    mona.post(url, {"step": "contact", "text": "Called: inhaler technique reviewed"})
    mona.post(url, {"step": "close", "text": "SpO2 93 % on a new measurement"})
    red.refresh_from_db()
    assert red.state == "closed" and red.acknowledged_by == tm.users["mona"] and red.closed_at
    assert list(AlarmEvent.objects.filter(alarm=red).values_list("kind", flat=True)) == [
        "acknowledged", "contact", "closed"]
    assert [e.what for e in AuditEntry.objects.filter(what__in=(
        "telemonitoring.acknowledge", "telemonitoring.note", "telemonitoring.close")).order_by("id")] == [
        "telemonitoring.acknowledge", "telemonitoring.note", "telemonitoring.close"]
    page = mona.get("/telemonitorering/vagt/").content.decode()
    assert f"/alarm/{red.pk}/" not in page and "median" in page


def test_response_times_in_danish_singular_and_plural(tm, as_user, login):
    """'1 minut', '2 minutter', '1,5 minutter' (issue 19: the worklist said '1 minutter')."""
    import html
    import re

    p1 = tm.persons["p1"]
    as_user(tm.users["nina"]).post(f"/telemonitorering/tilmeld/{p1.public_id}/", enrol_form())
    store(k.obs("spo2", 85, "m1", k.subject(p1.public_id)))
    red = Alarm.objects.get(rule="spo2_red")
    now = timezone.now()
    Alarm.objects.filter(pk=red.pk).update(raised_at=now - dt.timedelta(minutes=1), acknowledged_at=now)
    mona = login(tm.users["mona"])  # Danish, the default

    def line() -> str:
        page = html.unescape(mona.get("/telemonitorering/vagt/").content.decode())
        return re.sub(r"\s+", " ", page.split('id="response-times">')[1].split("</p>")[0])

    assert "median 1 minut, længst 1 minut (1 kvitteret)" in line()
    store(k.obs("spo2", 84, "m2", k.subject(p1.public_id)))
    second = Alarm.objects.exclude(pk=red.pk).get(rule="spo2_red")
    Alarm.objects.filter(pk=second.pk).update(raised_at=now - dt.timedelta(minutes=2), acknowledged_at=now)
    assert "median 1,5 minutter, længst 2 minutter (2 kvitteret)" in line()
