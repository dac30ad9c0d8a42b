"""Aktiv Patientstøtte through HTTP on the real database: a nurse's whole journey with one
patient, and the rules that refuse illegal changes (capacity, eligibility, states, 6-9 months)."""

from __future__ import annotations

import datetime as dt
import html as htmllib

import pytest
from django.utils import timezone

from opspor.web.aps.models import Case, Goal, Plan, QuestionnaireResponse, Session
from opspor.web.audit.models import AuditEntry
from tests.web.factories import *  # the fixtures world and as_user
from tests.web.factories import aware, make_case

pytestmark = pytest.mark.django_db


def local_input(when: dt.datetime) -> str:
    return timezone.localtime(when).strftime("%Y-%m-%dT%H:%M")


def text(response) -> str:
    return htmllib.unescape(response.content.decode())


def changes(person) -> list[str]:
    return list(AuditEntry.objects.filter(person_key=person.person_key, action="change")
                .order_by("id").values_list("what", flat=True))


def test_the_nurse_journey_from_invitation_to_end(world, as_user):
    p1, p2 = world.persons["p1"], world.persons["p2"]
    nina = world.users["nina"]

    # the programme lead assigns two invitations to Nina
    lead = as_user(world.users["pia"])
    response = lead.post("/aps/program/inviter/", {"persons": [p1.public_id, p2.public_id], "nurse": nina.pk}, follow=True)
    assert "2 invitations assigned to Nina Sygeplejerske." in text(response)
    case = Case.objects.get(person=p1)
    assert (case.state, case.nurse, case.invited_by, case.region_code) == ("invited", nina, world.users["pia"], "1083")
    invite_entry = AuditEntry.objects.get(person_key=p1.person_key, what="aps.invite")
    assert invite_entry.action == "change" and invite_entry.username == "pia" and invite_entry.detail["nurse"] == "nina"

    # Nina's caseload has both; the case page shows the person and is audited as a read
    client = as_user(nina)
    html = text(client.get("/aps/forloeb/"))
    assert p1.name in html and p2.name in html and p1.cpr_display in html
    html = text(client.get(f"/aps/forloeb/{case.pk}/"))
    assert p1.cpr_display in html and 'data-testid="state">Invited' in html
    assert AuditEntry.objects.filter(person_key=p1.person_key, action="read", what="aps.case").exists()

    # answers: p1 consents, p2 refuses with a reason ("other" needs a note)
    assert client.post(f"/aps/forloeb/{case.pk}/samtykke/", {"confirmed": "1"}).status_code == 302
    case2 = Case.objects.get(person=p2)
    response = client.post(f"/aps/forloeb/{case2.pk}/afslag/", {"reason": "other", "note": ""})
    assert response.status_code == 400 and "Describe the reason" in text(response)
    assert client.post(f"/aps/forloeb/{case2.pk}/afslag/", {"reason": "not_interested"}).status_code == 302
    case2.refresh_from_db()
    assert (case2.state, case2.refusal_reason) == ("refused", "not_interested")
    response = client.post(f"/aps/forloeb/{case2.pk}/samtykke/", {"confirmed": "1"})  # a refused case cannot consent
    assert response.status_code == 400 and "Only an invitation without an answer" in text(response)

    # the start-up session: planned, then held -> active
    tomorrow = timezone.now() + dt.timedelta(days=1)
    assert client.post(f"/aps/forloeb/{case.pk}/samtaler/planlaeg/startup/",
                       {"planned_for": local_input(tomorrow)}).status_code == 302
    response = client.post(f"/aps/forloeb/{case.pk}/opstart/", {"held_at": local_input(tomorrow), "note": "x"})
    assert response.status_code == 400 and "cannot be in the future" in text(response)
    held = timezone.now() - dt.timedelta(hours=1)
    assert client.post(f"/aps/forloeb/{case.pk}/opstart/",
                       {"held_at": local_input(held), "note": "Godt møde"}).status_code == 302
    case.refresh_from_db()
    assert case.state == "active" and case.started_at is not None
    startup = Session.objects.get(case=case, kind="startup")  # the planned one, now held
    assert (startup.status, startup.note) == ("held", "Godt møde")

    # telephone sessions with htmx: the answer is the page, htmx picks the section
    response = client.post(f"/aps/forloeb/{case.pk}/samtaler/planlaeg/phone/",
                           {"planned_for": local_input(tomorrow)}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'id="sec-sessions"' in text(response)
    assert 'role="status">Saved' in text(response)
    call = Session.objects.get(case=case, kind="phone")
    response = client.post(f"/aps/forloeb/{case.pk}/samtaler/{call.pk}/",
                           {"status": "held", "held_at": local_input(held), "note": "Talt om medicin"},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    call.refresh_from_db()
    assert (call.status, call.note) == ("held", "Talt om medicin")
    response = client.post(f"/aps/forloeb/{case.pk}/samtaler/{call.pk}/", {"status": "missed"}, HTTP_HX_REQUEST="true")
    assert "already been recorded" in text(response)  # once only
    client.post(f"/aps/forloeb/{case.pk}/samtaler/planlaeg/phone/", {"planned_for": local_input(tomorrow)})

    # goals, the plan (versions), a note
    assert client.post(f"/aps/forloeb/{case.pk}/maal/", {"text": "Gå en tur hver dag"}).status_code == 302
    goal = Goal.objects.get(case=case)
    assert client.post(f"/aps/forloeb/{case.pk}/maal/{goal.pk}/", {"status": "achieved"},
                       HTTP_HX_REQUEST="true").status_code == 200
    goal.refresh_from_db()
    assert goal.status == "achieved"
    client.post(f"/aps/forloeb/{case.pk}/plan/", {"text": "Ved åndenød: ring til egen læge."})
    client.post(f"/aps/forloeb/{case.pk}/plan/", {"text": "Ved åndenød: brug inhalator, ring til egen læge."})
    response = client.post(f"/aps/forloeb/{case.pk}/plan/", {"text": "Ved åndenød: brug inhalator, ring til egen læge."})
    assert response.status_code == 400 and "unchanged" in text(response)
    assert Plan.objects.filter(case=case).count() == 2
    client.post(f"/aps/forloeb/{case.pk}/notater/", {"text": "Datter deltager næste gang"})
    html = text(client.get(f"/aps/forloeb/{case.pk}/"))
    assert "brug inhalator" in html and "1 earlier version" in html and "Datter deltager" in html

    # WHO-5 through the generated form
    html = text(client.get(f"/aps/forloeb/{case.pk}/?instrument=who5"))
    assert 'name="item_q5"' in html and "cheerful and in good spirits" in html
    answers = {f"item_q{i}": "4" for i in range(1, 6)}
    response = client.post(f"/aps/forloeb/{case.pk}/spoergeskema/",
                           {"instrument": "who5", "timepoint": "baseline", "taken_on": timezone.localdate().isoformat(),
                            **answers})
    assert response.status_code == 302
    r = QuestionnaireResponse.objects.get(case=case)
    assert (r.instrument, r.instrument_version, r.score, r.band, r.answers["q1"]) == ("who5", "1998", 80.0, "good", 4)

    # the end: "completed" only from 6 months after the start; another reason ends it now
    response = client.post(f"/aps/forloeb/{case.pk}/afslut/", {"confirmed": "1", "reason": "completed"})
    assert response.status_code == 400 and "Support runs 6-9 months" in text(response)
    assert client.post(f"/aps/forloeb/{case.pk}/afslut/", {"confirmed": "1", "reason": "withdrew", "note": "Flytter"}).status_code == 302
    case.refresh_from_db()
    assert (case.state, case.end_reason, case.end_note) == ("ended", "withdrew", "Flytter")
    assert not Session.objects.filter(case=case, status="planned").exists()  # cancelled at the end
    assert client.post(f"/aps/forloeb/{case.pk}/maal/", {"text": "x"}).status_code == 400  # closed

    assert changes(p1) == [
        "aps.invite", "aps.consent", "message.queue", "message.queue",  # GP and municipality told (issue 7)
        "aps.session.plan", "aps.startup", "aps.session.plan", "aps.session.record",
        "aps.session.plan", "aps.goal.add", "aps.goal.update", "aps.plan", "aps.plan", "aps.note",
        "aps.questionnaire", "aps.end", "message.queue", "message.queue"]
    assert changes(p2) == ["aps.invite", "aps.refusal"]
    end = AuditEntry.objects.get(person_key=p1.person_key, what="aps.end")
    assert end.username == "nina" and end.why and end.detail["reason"] == "withdrew"


def test_capacity_is_enforced_with_a_clear_message(world, as_user):
    p1, p2, p3 = (world.persons[n] for n in ("p1", "p2", "p3"))
    lead = as_user(world.users["pia"])
    nina = world.users["nina"]  # capacity 2
    response = lead.post("/aps/program/inviter/", {"persons": [p1.public_id, p2.public_id, p3.public_id], "nurse": nina.pk}, follow=True)
    html = text(response)
    assert "Nina Sygeplejerske has 2 free places (capacity 2) and cannot take 3 more." in html
    assert not Case.objects.exists()  # all or none
    lead.post("/aps/program/inviter/", {"persons": [p1.public_id, p2.public_id], "nurse": nina.pk})
    response = lead.post("/aps/program/inviter/", {"persons": [p3.public_id], "nurse": nina.pk}, follow=True)
    assert "has 0 free places" in text(response)
    # raising the capacity (audited) makes room
    assert lead.post(f"/aps/sygeplejersker/{nina.pk}/kapacitet/", {"capacity": "3"}).status_code == 302
    nina.refresh_from_db()
    assert nina.capacity == 3
    entry = AuditEntry.objects.get(what="aps.capacity")
    assert entry.action == "change" and entry.detail == {"nurse": "nina", "old": 2, "new": 3}
    lead.post("/aps/program/inviter/", {"persons": [p3.public_id], "nurse": nina.pk})
    assert Case.objects.filter(nurse=nina).count() == 3
    # a capacity below the open cases is allowed, with a warning
    response = lead.post(f"/aps/sygeplejersker/{nina.pk}/kapacitet/", {"capacity": "1"}, follow=True)
    assert "more than the new capacity of 1" in text(response)
    html = text(lead.get("/aps/sygeplejersker/"))
    assert 'data-testid="free-nina">0' in html and "over capacity" in html


def test_only_eligible_not_excluded_persons_of_the_newest_run_can_be_invited(world, as_user):
    lead = as_user(world.users["pia"])
    ole = world.users["ole"]
    # an excluded person (p5), one not eligible on the newest run (p6) and another region's (q1) are
    # not even visible to the lead: the same answer for each, which does not say "excluded"
    for name in ("p5", "p6", "q1"):
        response = lead.post("/aps/program/inviter/", {"persons": [world.persons[name].public_id], "nurse": ole.pk},
                             follow=True)
        assert "not in your region's programme" in text(response) and "is excluded" not in text(response), name
    # an open case blocks a second invitation; a refused one does not
    lead.post("/aps/program/inviter/", {"persons": [world.persons["p1"].public_id], "nurse": ole.pk})
    response = lead.post("/aps/program/inviter/", {"persons": [world.persons["p1"].public_id], "nurse": ole.pk}, follow=True)
    assert "already has an open case" in text(response)
    Case.objects.filter(person=world.persons["p1"]).update(state="refused")
    lead.post("/aps/program/inviter/", {"persons": [world.persons["p1"].public_id], "nurse": ole.pk})
    assert Case.objects.filter(person=world.persons["p1"]).count() == 2
    # a nurse of another region cannot be chosen
    response = lead.post("/aps/program/inviter/", {"persons": [world.persons["p2"].public_id],
                                                   "nurse": world.users["nora"].pk})
    assert response.status_code == 302 and not Case.objects.filter(person=world.persons["p2"]).exists()
    assert not AuditEntry.objects.filter(person_key=world.persons["p5"].person_key, action="change").exists()


def test_end_of_support_rules_around_six_and_nine_months(world, as_user):
    from opspor.web.aps import rules

    nina, pia = world.users["nina"], world.users["pia"]
    today = timezone.localdate()
    five_months = make_case(world.persons["p1"], nina, pia, "active",
                            started_at=aware(rules.add_months(today, -5)))
    seven_months = make_case(world.persons["p2"], nina, pia, "active",
                             started_at=aware(rules.add_months(today, -7)))
    consented = make_case(world.persons["p3"], world.users["ole"], pia, "consented")
    client = as_user(nina)
    response = client.post(f"/aps/forloeb/{five_months.pk}/afslut/", {"confirmed": "1", "reason": "completed"})
    assert response.status_code == 400
    assert rules.end_due_on(five_months.start_date).strftime("%d-%m-%Y") in text(response)
    assert client.post(f"/aps/forloeb/{five_months.pk}/afslut/", {"confirmed": "1", "reason": "other"}).status_code == 400  # note needed
    assert client.post(f"/aps/forloeb/{seven_months.pk}/afslut/", {"confirmed": "1", "reason": "completed"}).status_code == 302
    seven_months.refresh_from_db()
    assert seven_months.state == "ended"
    assert AuditEntry.objects.get(what="aps.end").detail["months"] == 7
    # before the start-up session "completed" is refused, another reason is fine (Ole's case)
    ole = as_user(world.users["ole"])
    response = ole.post(f"/aps/forloeb/{consented.pk}/afslut/", {"confirmed": "1", "reason": "completed"})
    assert response.status_code == 400 and "before the start-up session" in text(response)
    assert ole.post(f"/aps/forloeb/{consented.pk}/afslut/", {"confirmed": "1", "reason": "died"}).status_code == 302


def test_phone_sessions_need_an_active_case_and_a_date_from_today(world, as_user):
    nina, pia = world.users["nina"], world.users["pia"]
    invited = make_case(world.persons["p1"], nina, pia, "invited")
    active = make_case(world.persons["p2"], nina, pia, "active", started_at=timezone.now())
    client = as_user(nina)
    soon = local_input(timezone.now() + dt.timedelta(hours=2))
    response = client.post(f"/aps/forloeb/{invited.pk}/samtaler/planlaeg/phone/", {"planned_for": soon})
    assert response.status_code == 400 and "once the start-up session has been held" in text(response)
    yesterday = local_input(timezone.now() - dt.timedelta(days=1))
    response = client.post(f"/aps/forloeb/{active.pk}/samtaler/planlaeg/phone/", {"planned_for": yesterday})
    assert response.status_code == 400 and "cannot be planned in the past" in text(response)
    response = client.post(f"/aps/forloeb/{active.pk}/samtaler/planlaeg/phone/", {"planned_for": "not a date"})
    assert response.status_code == 400 and not Session.objects.exists()
    assert client.post(f"/aps/forloeb/{active.pk}/samtaler/planlaeg/phone/", {"planned_for": soon}).status_code == 302


def test_the_lead_reads_the_case_and_reassigns_it_but_cannot_change_it(world, as_user):
    nina, ole, pia = world.users["nina"], world.users["ole"], world.users["pia"]
    case = make_case(world.persons["p1"], nina, pia, "consented")
    lead = as_user(pia)
    html = text(lead.get(f"/aps/forloeb/{case.pk}/"))
    assert "read only" in html and f'action="/aps/forloeb/{case.pk}/samtykke/"' not in html
    assert lead.post(f"/aps/forloeb/{case.pk}/notater/", {"text": "x"}).status_code == 403
    assert lead.post(f"/aps/forloeb/{case.pk}/sygeplejerske/", {"nurse": ole.pk}).status_code == 302
    case.refresh_from_db()
    assert case.nurse == ole
    entry = AuditEntry.objects.get(what="aps.reassign")
    assert entry.detail["old"] == "nina" and entry.detail["new"] == "ole" and entry.person_key == case.person.person_key
    # Nina lost the case: 404 for her now; Ole has it
    assert as_user(nina).get(f"/aps/forloeb/{case.pk}/").status_code == 404
    assert as_user(ole).post(f"/aps/forloeb/{case.pk}/notater/", {"text": "Overtaget"}).status_code == 302
