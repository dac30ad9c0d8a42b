"""Queueing messages through the real actions and pages: consent, end of support, MDT, data
alerts; the policy (consent, objections), unaddressable recipients, the audit, the outbox page."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.web import web_kit
from tests.web.factories import *  # the fixtures world and as_user

pytestmark = pytest.mark.django_db


def _case(w, name="p1", state="invited"):
    from tests.web.factories import make_case

    return make_case(w.persons[name], w.users["nina"], w.users["pia"], state)


def _audit(what):
    from opspor.web.audit.models import AuditEntry

    return list(AuditEntry.objects.filter(what=what))


def test_consent_queues_gp_and_municipality_messages_with_purpose_in_the_audit(world, as_user):
    from opspor.fhir import profiles
    from opspor.web.messaging.models import OutboundMessage

    case = _case(world)
    client = as_user(world.users["nina"])
    response = client.post(f"/aps/forloeb/{case.pk}/samtykke/", {"confirmed": "1"})
    assert response.status_code in (200, 302), response.content[:500]
    case.refresh_from_db()
    assert case.state == "consented"
    rows = {m.recipient_kind: m for m in OutboundMessage.objects.filter(person=world.persons["p1"])}
    assert set(rows) == {"gp_practice", "municipality"}
    gp, muni = rows["gp_practice"], rows["municipality"]
    assert (gp.recipient_id, muni.recipient_id) == ("012345", "461")
    for m in rows.values():
        assert m.state == "queued" and m.event == "aps_included" and m.next_attempt_at is not None
        assert m.payload["id"] == str(m.message_id) == m.payload["entry"][0]["resource"]["id"]
        assert profiles.findings(m.payload, "medcom-carecommunication") == []
        assert m.legal_basis.startswith("Sundhedsloven § 41") and "legal office" not in m.legal_basis
        text = next(e["resource"] for e in m.payload["entry"] if e["resource"]["resourceType"] == "Communication")
        assert "inkluderet i Aktiv Patientstøtte" in text["payload"][0]["contentString"]
    entries = _audit("message.queue")
    assert len(entries) == 2
    assert {e.why for e in entries} == {gp.purpose, muni.purpose}
    assert all(e.person_key == world.persons["p1"].person_key and e.username == "nina" for e in entries)


def test_consent_again_or_twice_queues_nothing_more(world):
    from opspor.web.aps import actions as aps
    from opspor.web.messaging import actions
    from opspor.web.messaging.models import OutboundMessage

    case = aps.record_consent(world.users["nina"], _case(world))
    again = actions.on_aps_consent(world.users["nina"], case)
    assert OutboundMessage.objects.count() == 2 and {m.pk for m in again} == set(
        OutboundMessage.objects.values_list("pk", flat=True))


def test_unaddressable_gp_is_recorded_blocked_naming_the_file(world, as_user, login, settings):
    """The fix (which file, which key) is kept for the administrator and the audit; users read
    why in Danish, without a server path."""
    from opspor.web.accounts.models import Organisation
    from opspor.web.accounts.roles import OrgKind, Role
    from opspor.web.aps import actions as aps
    from opspor.web.messaging.models import OutboundMessage

    person = world.persons["p2"]
    person.gp_provider_number = "999999"
    person.save()
    aps.record_consent(world.users["nina"], _case(world, "p2"))
    gp = OutboundMessage.objects.get(person=person, recipient_kind="gp_practice")
    assert gp.state == "blocked" and gp.payload == {}
    assert gp.block_reason.startswith("no address for GP practice 999999: add it under `recipients.gp_practice` to ")
    assert gp.block_reason.endswith("addressbook.synthetic.yaml")
    blocked = _audit("message.blocked")
    assert len(blocked) == 1 and blocked[0].detail["reason"] == gp.block_reason
    assert OutboundMessage.objects.get(person=person, recipient_kind="municipality").state == "queued"
    assert gp.block_code == "no_address"
    danish = as_user(world.users["nina"])
    danish.cookies[settings.LANGUAGE_COOKIE_NAME] = "da"
    nurse_page = danish.get(f"/aps/forloeb/{person.aps_cases.get().pk}/").content.decode()
    outbox = as_user(world.users["sara"]).get("/meddelelser/?state=blocked").content.decode()
    for page, why in ((nurse_page, "Modtageren er ikke i adressebogen; administratoren tilføjer den"),
                      (outbox, "The recipient is not in the address book; the administrator adds it")):
        assert why in page
        assert "addressbook" not in page and "add it under" not in page and "recipients." not in page
    # the outbox's filter counts: a number for every state, "(0)" where there is none, never "()"
    assert "()" not in outbox and 'data-count="failed">0<' in outbox and 'data-count="blocked">1<' in outbox
    admin = web_kit.make_user("adm", Role.ADMIN, Organisation.objects.get(kind=OrgKind.REGION, code="1083"))
    assert "recipients.gp_practice" in web_kit.log_in_with_second_factor(login, admin).get("/meddelelser/").content.decode()


def test_objection_on_the_case_page_blocks_queued_and_later_messages(world, as_user):
    from opspor.web.aps import actions as aps
    from opspor.web.messaging.models import Objection, OutboundMessage

    nina = world.users["nina"]
    case = aps.record_consent(nina, _case(world))
    client = as_user(nina)
    page = client.get(f"/aps/forloeb/{case.pk}/").content.decode()
    assert 'data-testid="person-messages"' in page and 'data-testid="objection-form"' in page
    response = client.post(f"/meddelelser/indsigelse/{world.persons['p1'].public_id}/",
                           {"recipient_kind": "gp_practice", "note": "ønsker ikke lægen orienteret",
                            "next": f"/aps/forloeb/{case.pk}/"})
    assert response.status_code == 302 and response["Location"] == f"/aps/forloeb/{case.pk}/"
    assert Objection.objects.filter(person=world.persons["p1"], withdrawn_at__isnull=True).count() == 1
    gp = OutboundMessage.objects.get(event="aps_included", recipient_kind="gp_practice")
    assert gp.state == "blocked" and "objects" in gp.block_reason
    assert _audit("message.objection")[0].detail["blocked_messages"] == [str(gp.message_id)]
    # support ends: the GP message is blocked by the objection, the municipality's goes
    case.refresh_from_db()
    aps.end_support(nina, case, "withdrew")
    ended = {m.recipient_kind: m for m in OutboundMessage.objects.filter(event="aps_ended")}
    assert ended["gp_practice"].state == "blocked" and ended["municipality"].state == "queued"
    page = client.get(f"/aps/forloeb/{case.pk}/").content.decode()
    assert page.count('data-state="blocked"') == 2


def test_objection_needs_a_nurse_or_specialist_who_sees_the_person(world, as_user):
    from opspor.web.messaging.models import Objection

    _case(world)  # nina's case of p1
    for user in ("odense", "sara", "pia"):
        response = as_user(world.users[user]).post(f"/meddelelser/indsigelse/{world.persons['p1'].public_id}/",
                                                   {"recipient_kind": "gp_practice"})
        assert response.status_code in (403, 404)
    response = as_user(world.users["ole"]).post(f"/meddelelser/indsigelse/{world.persons['p1'].public_id}/",
                                                {"recipient_kind": "gp_practice"})
    assert response.status_code == 404  # another nurse's patient
    assert not Objection.objects.exists()


def test_mdt_conclusion_recommending_gp_action_messages_the_gp(world):
    from opspor.web.messaging.models import OutboundMessage
    from opspor.web.worklists import actions as wl
    from opspor.web.worklists.models import ListEntry

    sofie = world.users["sofie"]
    person = world.persons["p3"]
    ListEntry.objects.create(run=world.run, department=sofie.organisation, person=person, position=1,
                             contact_id="c1", contact_start=dt.datetime(2026, 3, 3, 8, tzinfo=dt.UTC),
                             counted=True, new_today=True)
    conference = wl.open_mdt(sofie, person=person, department=sofie.organisation)
    values = {f: "x" for f in ("history", "comorbidity", "clinical_findings", "paraclinical_findings",
                               "functional_level", "social_conditions")}
    values.update(recommendation="Medicingennemgang hos egen læge inden for 14 dage.", action_by_gp=True,
                  conference_date=dt.date(2026, 3, 4))
    wl.save_mdt(sofie, conference, values, conclude=False)
    assert not OutboundMessage.objects.exists()  # saved, not concluded
    wl.save_mdt(sofie, conference, {}, conclude=True)
    message = OutboundMessage.objects.get()
    assert (message.event, message.recipient_kind, message.state) == ("mdt_action", "gp_practice", "queued")
    text = next(e["resource"] for e in message.payload["entry"] if e["resource"]["resourceType"] == "Communication")
    assert "Medicingennemgang hos egen læge" in text["payload"][0]["contentString"]
    role = next(e["resource"] for e in message.payload["entry"] if e["resource"]["resourceType"] == "PractitionerRole")
    assert role["code"][0]["coding"][0]["code"] == "overlaege"


def test_queue_data_alert_is_idempotent_and_person_free(world):
    from opspor.fhir import profiles
    from opspor.web.messaging.actions import queue_data_alert

    args = dict(recipient_kind="municipality", recipient_id="461", month=dt.date(2026, 2, 1),
                indicator="repeated_acute", observed=14, expected=6.2, ratio=2.26, p_value=0.002,
                alert_key="2026-02:municipality:461", reason="Dataalarm: flere gentagne akutte kontakter end forventet")
    first = queue_data_alert(**args)
    second = queue_data_alert(**args)
    assert first.pk == second.pk and first.state == "queued" and first.person is None
    assert first.purpose == args["reason"]
    assert profiles.findings(first.payload, "opspor-data-alert") == []
    entry = _audit("message.queue")
    assert len(entry) == 1 and entry[0].person_key == "" and entry[0].username == "opspor alerts run"
    missing = queue_data_alert(**{**args, "recipient_kind": "gp_practice", "recipient_id": "777777",
                                  "alert_key": "2026-02:gp:777777"})
    assert missing.state == "blocked" and "GP practice 777777" in missing.block_reason
    with pytest.raises(ValueError, match="recipient_kind"):
        queue_data_alert(**{**args, "recipient_kind": "region"})


def test_outbox_page_for_secretariat_without_cpr_and_retry_of_failed(world, as_user):
    from opspor.web.accounts.models import Organisation
    from opspor.web.accounts.roles import OrgKind, Role
    from opspor.web.aps import actions as aps
    from opspor.web.messaging.models import OutboundMessage

    aps.record_consent(world.users["nina"], _case(world))
    failed = OutboundMessage.objects.get(recipient_kind="gp_practice")
    OutboundMessage.objects.filter(pk=failed.pk).update(state="failed", last_error="HTTP 400: bad", attempts=3)
    client = as_user(world.users["sara"])
    page = client.get("/meddelelser/").content.decode()
    assert 'data-testid="outbox"' in page and world.persons["p1"].short_key in page
    for person in world.persons.values():  # the actual numbers: ids on the page are hex, with digit runs
        assert person.cpr not in page and person.cpr_display not in page, "a CPR number on the outbox page"
    assert page.count('data-state="failed"') == 1
    response = client.post(f"/meddelelser/{failed.pk}/send-igen/")
    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.state, failed.attempts) == ("queued", 0)
    assert _audit("message.retry")[0].username == "sara"
    assert _audit("messages.outbox")  # the page's read is audited
    region = Organisation.objects.get(kind=OrgKind.REGION, code="1083")
    admin = web_kit.make_user("adm", Role.ADMIN, region)
    assert admin  # admins reach it too (TOTP gate aside), nurses do not:
    assert as_user(world.users["nina"]).get("/meddelelser/").status_code == 403
    assert as_user(world.users["odense"]).post(f"/meddelelser/{failed.pk}/send-igen/").status_code == 403


def test_person_page_shows_messages_municipality_only_its_own(world, as_user):
    from opspor.web.aps import actions as aps

    aps.record_consent(world.users["nina"], _case(world))
    person = world.persons["p1"]
    nurse_page = as_user(world.users["nina"]).get(f"/personer/{person.public_id}/").content.decode()
    assert nurse_page.count('data-state="queued"') == 2
    odense_page = as_user(world.users["odense"]).get(f"/personer/{person.public_id}/").content.decode()
    assert odense_page.count('data-state="queued"') == 1 and "objection-form" not in odense_page




def test_specialist_records_the_objection_on_the_mdt_page_and_the_conclusion_is_blocked(world, as_user):
    from opspor.web.messaging.models import OutboundMessage
    from opspor.web.worklists import actions as wl
    from opspor.web.worklists.models import ListEntry

    sofie = world.users["sofie"]
    person = world.persons["p4"]
    ListEntry.objects.create(run=world.run, department=sofie.organisation, person=person, position=1,
                             contact_id="c9", contact_start=dt.datetime(2026, 3, 3, 8, tzinfo=dt.UTC),
                             counted=True, new_today=True)
    conference = wl.open_mdt(sofie, person=person, department=sofie.organisation)
    client = as_user(sofie)
    page = client.get(f"/lister/mdt/{conference.pk}/").content.decode()
    assert 'data-testid="objection-form"' in page
    response = client.post(f"/meddelelser/indsigelse/{person.public_id}/", {"recipient_kind": "municipality",
                                                                     "next": f"/lister/mdt/{conference.pk}/"})
    assert response.status_code == 302 and response["Location"] == f"/lister/mdt/{conference.pk}/"
    values = {f: "x" for f in ("history", "comorbidity", "clinical_findings", "paraclinical_findings",
                               "functional_level", "social_conditions")}
    values.update(recommendation="Hjemmesygepleje dagligt i 14 dage.", action_by_gp=True, action_by_municipality=True,
                  conference_date=dt.date(2026, 3, 4))
    wl.save_mdt(sofie, conference, values, conclude=True)
    rows = {m.recipient_kind: m for m in OutboundMessage.objects.filter(person=person)}
    assert rows["municipality"].state == "blocked" and "objects" in rows["municipality"].block_reason
    assert rows["gp_practice"].state == "queued"
    page = client.get(f"/lister/mdt/{conference.pk}/").content.decode()
    assert 'data-state="blocked"' in page and 'data-state="queued"' in page
    assert _audit("message.blocked")[0].why == rows["municipality"].purpose


def test_withdrawn_objection_lets_later_messages_go(world, as_user):
    from opspor.web.aps import actions as aps
    from opspor.web.messaging.models import Objection, OutboundMessage

    nina = world.users["nina"]
    case = _case(world)
    client = as_user(nina)
    client.post(f"/meddelelser/indsigelse/{world.persons['p1'].public_id}/", {"recipient_kind": "municipality"})
    objection = Objection.objects.get()
    again = client.post(f"/meddelelser/indsigelse/{world.persons['p1'].public_id}/", {"recipient_kind": "municipality"},
                        follow=True)
    assert "already recorded" in again.content.decode()
    aps.record_consent(nina, case)
    assert OutboundMessage.objects.get(recipient_kind="municipality").state == "blocked"
    response = client.post(f"/meddelelser/indsigelse/{objection.pk}/tilbagekald/")
    assert response.status_code == 302
    objection.refresh_from_db()
    assert objection.withdrawn_at and objection.withdrawn_by == nina
    assert _audit("message.objection.withdraw")[0].person_key == world.persons["p1"].person_key
    case.refresh_from_db()
    aps.end_support(nina, case, "withdrew")
    ended = OutboundMessage.objects.get(event="aps_ended", recipient_kind="municipality")
    assert ended.state == "queued"
    assert OutboundMessage.objects.get(event="aps_included", recipient_kind="municipality").state == "blocked"
