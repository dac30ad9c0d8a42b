"""The acute function through HTTP (Django test client, real database): a GP refers, the team
decides, books a free place from the directory, records a change that goes to the doctor
responsible now, closes the stay and the GP's message is delivered once to a loopback receiver;
the clarification phase's reminders through the CLI; who reaches a referral by URL."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.web import web_kit
from tests.web.messaging.msg_kit import Receiver

pytestmark = pytest.mark.django_db
CPR_ODENSE, CPR_VEJLE, CPR_OTHER_GP = "0101401234", "0202411234", "0303421234"


def last_saturday_evening() -> dt.datetime:
    """The latest Saturday 17:30 (Copenhagen) that has passed."""
    from django.utils import timezone

    now = timezone.localtime()
    day = now.date() - dt.timedelta(days=(now.weekday() - 5) % 7)
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(17, 30)))
    return moment if moment <= now else moment - dt.timedelta(days=7)


@pytest.fixture
def world(db):
    from opspor.web.accounts import organisations
    from opspor.web.accounts.models import Organisation
    from opspor.web.accounts.roles import OrgKind, Role
    from opspor.web.audit.actions import system
    from opspor.web.directory import actions, loader
    from opspor.web.people.models import Person

    organisations.ensure_reference_organisations()
    actions.load_file(system("opspor web directory-load"), loader.read(loader.EXAMPLE_FILE))
    org = {(o.kind, o.code): o for o in Organisation.objects.all()}
    practice = Organisation.objects.create(kind=OrgKind.GP_PRACTICE, code="012345", name="Lægehuset", region_code="1083")
    other_practice = Organisation.objects.create(kind=OrgKind.GP_PRACTICE, code="000001", name="Lægepraksis 1",
                                                 region_code="1083")
    mk = web_kit.make_user
    users = {
        "gp": mk("gp", Role.MUNICIPALITY, practice, last_name="Læge"),
        "gp_other": mk("gp_other", Role.MUNICIPALITY, other_practice),
        "acute_odense": mk("acute_odense", Role.ACUTE_NURSE, org[(OrgKind.MUNICIPALITY, "461")], last_name="Akut"),
        "acute_vejle": mk("acute_vejle", Role.ACUTE_NURSE, org[(OrgKind.MUNICIPALITY, "630")]),
        "municipality": mk("municipality", Role.MUNICIPALITY, org[(OrgKind.MUNICIPALITY, "461")]),
        "on_call": mk("on_call", Role.DOCTOR, org[(OrgKind.REGION, "1083")]),
        "on_call_other": mk("on_call_other", Role.DOCTOR, org[(OrgKind.REGION, "1085")]),
        "specialist": mk("specialist", Role.SPECIALIST, organisations.department("OUH", "MED1")),
    }
    persons = {
        "odense": Person.objects.create(person_key="k-odense", cpr=CPR_ODENSE, name="Ida Odense", municipality_code="461",
                                        region_code="1083", gp_provider_number="012345"),
        "vejle": Person.objects.create(person_key="k-vejle", cpr=CPR_VEJLE, name="Vagn Vejle", municipality_code="630",
                                       region_code="1083", gp_provider_number="012345"),
        "other_gp": Person.objects.create(person_key="k-other", cpr=CPR_OTHER_GP, name="Otto Anden",
                                          municipality_code="461", region_code="1083", gp_provider_number="000001"),
    }
    return users, persons


def form(called_at: dt.datetime, **over) -> dict:
    from django.utils import timezone

    data = {"cpr": CPR_ODENSE[:6] + "-" + CPR_ODENSE[6:], "called": "on",
            "called_at": timezone.localtime(called_at).strftime("%Y-%m-%dT%H:%M"),
            "reason": "KOL-exacerbation: iltmætning 2 gange dagligt, prednisolon 37,5 mg i 5 dage",
            "horizon_days": "5", "phone": "66 11 22 33"}
    data.update(over)
    return data


def refer(client, called_at, **over):
    from opspor.web.acute.models import Referral

    response = client.post("/akut/henvis/", form(called_at, **over))
    assert response.status_code == 302, response.content.decode()[:3000]
    return Referral.objects.get(public_id=response["Location"].split("/")[-2])


def entries(what: str):
    from opspor.web.audit.models import AuditEntry

    return list(AuditEntry.objects.filter(what=what).order_by("id"))


def test_a_gp_refers_on_saturday_evening_and_the_on_call_service_is_named(world, login):
    users, persons = world
    client = login(users["gp"])
    referral = refer(client, last_saturday_evening())
    assert (referral.responsible, referral.responsible_rule, referral.referrer_kind) == ("on_call", "gp_out_of_hours", "gp")
    assert referral.team_name == "Akutteam Odense" and referral.municipality_code == "461"
    page = client.get(f"/akut/henvisning/{referral.public_id}/").content.decode()
    call = re.search(r'id="responsible-call">([^<]*)<', page).group(1)
    assert call == "Lægevagten: Lægevagten, Region Syddanmark, telefon 70 11 07 07"
    assert CPR_ODENSE not in page and "Ida Odense" in page and "010140-1234" in page  # identity, never as written in a URL
    [refer_entry] = entries("acute.refer")
    assert refer_entry.person_key == "k-odense" and refer_entry.detail["rule"] == "gp_out_of_hours"
    assert refer_entry.detail["rules_version"] == referral.rules_version
    assert CPR_ODENSE not in str(refer_entry.detail)


def test_a_gp_referral_in_the_day_names_the_gp(world, login):
    from django.utils import timezone

    from opspor.dates import public_holiday

    users, _ = world
    now = timezone.localtime()
    day = now.date() - dt.timedelta(days=1)
    while day.weekday() > 4 or public_holiday(day) or f"{day:%m-%d}" in ("12-24", "12-31"):
        day -= dt.timedelta(days=1)
    referral = refer(login(users["gp"]), timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0))))
    assert (referral.responsible, referral.responsible_rule) == ("referring_gp", "gp_daytime")
    page = login(users["acute_odense"]).get(f"/akut/henvisning/{referral.public_id}/").content.decode()
    assert re.search(r'id="responsible-call">([^<]*)<', page).group(1) == \
        "Henvisende praktiserende læge: Gp Læge, Lægehuset, telefon 66 11 22 33"


@pytest.mark.parametrize(("over", "field_error"), [
    ({"called": ""}, "Ring til akutteamet, før du henviser"),
    ({"cpr": CPR_OTHER_GP}, "opspor kender ingen af dine patienter med dette CPR-nummer."),
    ({"cpr": "12345"}, "Skriv CPR-nummeret som 10 cifre"),
    ({"horizon_days": "31"}, "Aftal en tidshorisont på 1 til 30 dage med akutteamet."),
    ({"reason": ""}, "Dette felt er påkrævet."),
])
def test_a_bad_referral_is_refused_naming_the_field(world, login, over, field_error):
    from django.utils import timezone

    from opspor.web.acute.models import Referral

    users, _ = world
    response = login(users["gp"]).post("/akut/henvis/", form(timezone.now(), **over))
    assert response.status_code == 400 and field_error in response.content.decode()
    assert not Referral.objects.exists()


def test_the_call_cannot_be_in_the_future_or_too_old(world, login):
    from django.utils import timezone

    users, _ = world
    client = login(users["gp"])
    future = client.post("/akut/henvis/", form(timezone.now() + dt.timedelta(hours=2)))
    assert future.status_code == 400 and "Telefonopkaldet kan ikke ligge i fremtiden." in future.content.decode()
    old = client.post("/akut/henvis/", form(timezone.now() - dt.timedelta(days=8)))
    assert old.status_code == 400 and "Telefonopkaldet er mere end 168 timer gammelt" in old.content.decode()


def test_who_may_refer(world, login):
    users, _ = world
    assert login(users["municipality"]).get("/akut/henvis/").status_code == 403  # a municipality is not a GP
    assert login(users["on_call"]).get("/akut/henvis/").status_code == 403  # the on-call doctor cannot (001 4418)
    assert login(users["acute_odense"]).get("/akut/henvis/").status_code == 403
    assert login(users["gp"]).get("/akut/henvis/").status_code == 200


def test_scope_another_municipality_or_practice_cannot_reach_the_referral_by_url(world, login):
    users, _ = world
    referral = refer(login(users["gp"]), last_saturday_evening())
    url = f"/akut/henvisning/{referral.public_id}/"
    assert login(users["acute_vejle"]).get(url).status_code == 404
    assert login(users["acute_vejle"]).post(url + "beslut/", {"decision": "accept"}).status_code == 404
    assert login(users["gp_other"]).get(url).status_code == 404
    assert login(users["on_call_other"]).get(url).status_code == 404
    assert login(users["specialist"]).get(url).status_code == 404
    assert login(users["acute_odense"]).get(url).status_code == 200
    assert login(users["on_call"]).get(url).status_code == 200  # the region's on-call service, while open
    # the referrer reads it but cannot act as the team
    assert login(users["gp"]).post(url + "beslut/", {"decision": "accept"}).status_code == 403
    # the person page follows the same scope
    person = referral.person
    assert login(users["acute_odense"]).get(f"/personer/{person.public_id}/").status_code == 200
    assert login(users["acute_vejle"]).get(f"/personer/{person.public_id}/").status_code == 404
    # the team's list shows only its own municipality's referrals
    assert str(referral.public_id) in login(users["acute_odense"]).get("/akut/").content.decode()
    assert str(referral.public_id) not in login(users["acute_vejle"]).get("/akut/").content.decode()


def test_decline_needs_a_reason_and_is_audited(world, login):
    users, _ = world
    referral = refer(login(users["gp"]), last_saturday_evening())
    team = login(users["acute_odense"])
    url = f"/akut/henvisning/{referral.public_id}/"
    bare = team.post(url + "beslut/", {"decision": "decline", "reason": ""})
    assert bare.status_code == 400 and "Angiv grunden til afvisningen" in bare.content.decode()
    assert team.post(url + "beslut/", {"decision": "decline", "reason": "Indlægges i stedet"}).status_code == 302
    referral.refresh_from_db()
    assert referral.state == "declined" and referral.decision_reason == "Indlægges i stedet"
    assert entries("acute.decline")[0].detail["reason"] == "Indlægges i stedet"
    again = team.post(url + "beslut/", {"decision": "accept"})
    assert again.status_code == 400 and "det kan ikke gøres nu" in again.content.decode()


def test_the_whole_stay_book_change_close_and_the_gp_gets_the_message_once(world, login):
    from django.utils import timezone

    from opspor.web.acute import routing
    from opspor.web.directory.models import Booking, Offer
    from opspor.web.messaging import delivery
    from opspor.web.messaging.models import OutboundMessage

    users, persons = world
    referral = refer(login(users["gp"]), last_saturday_evening())
    team = login(users["acute_odense"])
    url = f"/akut/henvisning/{referral.public_id}/"
    assert team.post(url + "beslut/", {"decision": "accept", "reason": "Aftalt i telefonen"}).status_code == 302
    page = team.get(url).content.decode()
    assert 'value="odense-akutpladser"' in page and 'value="odense-akutteam"' not in page
    assert team.post(url + "book/", {"offer": "odense-akutpladser"}).status_code == 302
    [booking] = Booking.objects.filter(person=persons["odense"])
    assert booking.source == referral.source and booking.released_at is None
    assert entries("directory.book")[0].person_key == "k-odense"
    twice = team.post(url + "book/", {"offer": "odense-akutpladser"})
    assert twice.status_code == 400 and "Borgeren har allerede en plads booket" in twice.content.decode()
    # every other place taken: the next booking from a referral is refused with the reason
    offer = Offer.objects.get(key="odense-akutpladser")
    for i in range(offer.capacity - 1):
        Booking.objects.create(offer=offer, note=f"held {i}", starts_on=timezone.localdate(), booked_by=users["acute_odense"])
    # a change in condition goes to the doctor responsible now
    assert team.post(url + "aendring/", {"text": "Feber 39,2, respirationsfrekvens 28"}).status_code == 302
    [change] = referral.changes.all()
    route = routing.rules().responsible("gp", change.recorded_at)
    assert change.responsible == route.responsible
    expected = {"on_call": ("on_call", "1083"), "referring_gp": ("gp_practice", "012345")}[route.responsible]
    assert (change.message.recipient_kind, change.message.recipient_id, change.message.state) == (*expected, "queued")
    assert change.message.event == "acute_change" and "Feber 39,2" in str(change.message.payload)
    assert entries("acute.change")[0].detail["message"] == str(change.message.message_id)
    # close: the place is released and the GP gets a CareCommunication
    assert team.post(url + "afslut/", {"outcome": "everyday", "note": "Klarer sig selv igen"}).status_code == 302
    referral.refresh_from_db()
    booking.refresh_from_db()
    assert referral.state == "closed" and booking.released_at is not None
    closure = referral.closure_message
    assert (closure.event, closure.recipient_kind, closure.recipient_id, closure.state) == (
        "acute_closed", "gp_practice", "012345", "queued")
    text = str(closure.payload)
    assert "Tilbage til hverdagen som før" in text and "Patientansvaret overgår til egen læge" in text
    assert entries("directory.release")[0].person_key == "k-odense"
    receiver = Receiver()
    try:
        settings = delivery.Settings(adapter="http", folder=None, url=receiver.url, ack_folder=None, timeout=5,
                                     max_attempts=5, backoff=10, backoff_max=600, ack_timeout=600)
        assert delivery.send(settings).acknowledged == 2
        assert delivery.send(settings).attempted == 0
        assert receiver.posts.count(str(closure.message_id)) == 1 and receiver.duplicates == 0
    finally:
        receiver.stop()
    assert OutboundMessage.objects.get(pk=closure.pk).state == "acknowledged"
    assert "Kvitteret" in team.get(url).content.decode() or "Acknowledged" in team.get(url).content.decode()


def test_a_place_from_the_referral_is_refused_when_none_is_free(world, login):
    from django.utils import timezone

    from opspor.web.directory.models import Booking, Offer

    users, _ = world
    referral = refer(login(users["gp"]), last_saturday_evening())
    team = login(users["acute_odense"])
    url = f"/akut/henvisning/{referral.public_id}/"
    team.post(url + "beslut/", {"decision": "accept"})
    offer = Offer.objects.get(key="odense-akutpladser")
    for i in range(offer.capacity):
        Booking.objects.create(offer=offer, note=f"held {i}", starts_on=timezone.localdate(), booked_by=users["acute_odense"])
    assert 'value="odense-akutpladser"' not in team.get(url).content.decode()  # only offers with a free place
    full = team.post(url + "book/", {"offer": "odense-akutpladser"})
    assert full.status_code == 400
    assert "Ingen ledig plads: alle 6 pladser i “Akutpladser, Odense Kommune” er booket." in full.content.decode()
    assert not Booking.objects.filter(person=referral.person).exists()


def test_reminders_through_the_cli_and_the_team_list(world, login):
    from django.utils import timezone
    from typer.testing import CliRunner

    from opspor.cli.web import app
    from opspor.web.acute.models import Referral

    users, _ = world
    gp = login(users["gp"])
    soon = refer(gp, timezone.now() - dt.timedelta(hours=3, minutes=30))  # due in 30 minutes: reminded
    later = refer(gp, timezone.now(), cpr=CPR_VEJLE)  # due in 4 hours: not yet
    assert soon.reminded_at is None and later.team_name == "Akutfunktionen, Vejle"
    result = CliRunner().invoke(app, ["acute-reminders"])
    assert result.exit_code == 0, result.output
    assert "1 referral(s) reminded: Akutteam Odense due" in result.output
    soon.refresh_from_db()
    later.refresh_from_db()
    assert soon.reminded_at is not None and later.reminded_at is None
    assert Referral.objects.filter(reminded_at__isnull=False).count() == 1
    [entry] = entries("acute.reminder")
    assert entry.username == "opspor web acute-reminders" and entry.person_key == "k-odense"
    again = CliRunner().invoke(app, ["acute-reminders"])
    assert "0 referral(s) reminded." in again.output
    page = login(users["acute_odense"]).get("/akut/").content.decode()
    assert "Påmindelse" in page and str(soon.public_id) in page
    assert entries("acute.team")[0].person_key == "k-odense"


def test_a_hospital_doctor_refers_and_stays_responsible_around_the_clock(world, login):
    """A specialist refers a patient of the department's list: the hospital doctor is responsible
    at the call and now, whatever the hour, and a change goes to the department."""
    from django.utils import timezone

    from opspor.web.worklists.models import ListEntry
    from tests.web.factories import make_run

    users, persons = world
    specialist = users["specialist"]
    ListEntry.objects.create(run=make_run("r1", timezone.localdate()), department=specialist.organisation,
                             person=persons["odense"], position=1, contact_id="c1", contact_start=timezone.now(),
                             counted=True, new_today=True)
    assert login(users["gp_other"]).post("/akut/henvis/", form(timezone.now(), cpr=CPR_VEJLE)).status_code == 400
    referral = refer(login(specialist), last_saturday_evening())
    assert (referral.referrer_kind, referral.responsible, referral.responsible_rule) == ("hospital", "referring_doctor",
                                                                                          "hospital")
    page = login(specialist).get(f"/akut/henvisning/{referral.public_id}/").content.decode()
    assert re.search(r'id="responsible-now">([^<]*)<', page).group(1).startswith("Henvisende hospitalslæge: Specialist")
    team = login(users["acute_odense"])
    url = f"/akut/henvisning/{referral.public_id}/"
    team.post(url + "beslut/", {"decision": "accept"})
    assert team.post(url + "aendring/", {"text": "Blodtryk 85/50"}).status_code == 302
    [change] = referral.changes.all()
    message = change.message
    assert (change.responsible, message.recipient_kind, message.recipient_id) == ("referring_doctor", "department", "OUH/MED1")
    assert message.state == "queued" and message.recipient_name == "OUH Medicinsk afdeling 1 (syntetisk)"
