"""Places of the service directory booked from the MDT conference through HTTP (Django test
client, real database; issue 16 item 2): the department searches the directory on the page after
the MDT, sees only offers of the citizen's municipality and region with a free place, books one
for the citizen (the directory's capacity counts it, audited with the conference as its source),
the booking shows on the conference's page and in the shared plan, and the department releases it
(audited). Refused: another department, a role that does not hold MDT conferences, an offer of
another municipality, a full offer, a place booked elsewhere."""

from __future__ import annotations

import pytest

from tests.web.careplan.test_careplan_http import world  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


def _offer(key, owner_kind, owner_code, kind="acute_bed", capacity=2, region="1083"):
    from opspor.web.directory.models import Offer

    return Offer.objects.create(key=key, owner_kind=owner_kind, owner_code=owner_code, owner_name=f"Ejer {owner_code}",
                                region_code=region, kind=kind, name=f"Tilbud {key}", referrers=["hospital"],
                                opening_hours="Døgnet rundt", how_to_book="Ring", phone="11223344",
                                capacity=capacity)


@pytest.fixture
def offers(db):
    return {"odense": _offer("odense-akutpladser", "municipality", "461"),
            "vejle": _offer("vejle-akutpladser", "municipality", "630"),
            "region": _offer("ouh-subakut", "region", "1083", kind="subacute_slot", capacity=1),
            "other_region": _offer("aarhus-iv", "region", "1082", kind="iv_treatment", region="1082")}


def test_the_department_books_a_place_from_the_mdt_and_releases_it(world, offers, login):  # noqa: F811
    from opspor.web.audit.models import AuditEntry
    from opspor.web.directory import actions as directory
    from opspor.web.directory.models import Booking

    users, persons, conferences = world
    mdt = conferences["odense"]
    c = login(users["specialist"])
    page = c.get(f"/samarbejde/mdt/{mdt.pk}/").content.decode()
    # the citizen's municipality's and region's offers; not another municipality's or region's
    assert 'data-offer="odense-akutpladser"' in page and 'data-offer="ouh-subakut"' in page
    assert "vejle-akutpladser" not in page and "aarhus-iv" not in page
    searched = c.get(f"/samarbejde/mdt/{mdt.pk}/", {"q": "subakut"}).content.decode()
    assert 'data-offer="ouh-subakut"' in searched and 'data-offer="odense-akutpladser"' not in searched
    assert c.get(f"/samarbejde/mdt/{mdt.pk}/", {"kind": "acute_bed"}).content.decode().count("data-offer=") == 1

    r = c.post(f"/samarbejde/mdt/{mdt.pk}/plads/", {"offer": "odense-akutpladser"})
    assert r.status_code == 302 and r["Location"].endswith("#places")
    booking = Booking.objects.get()
    assert booking.person == persons["odense"] and booking.source == f"worklists.mdt:{mdt.pk}"
    assert directory.free_places(offers["odense"]) == 1
    entry = AuditEntry.objects.get(what="directory.book")
    assert entry.person_key == "k-odense" and entry.username == "specialist"
    assert entry.detail["checked_by"] == "careplan.mdt" and entry.detail["source"] == booking.source
    page = c.get(f"/samarbejde/mdt/{mdt.pk}/").content.decode()
    assert "Plads booket i Tilbud odense-akutpladser." in page
    booked = page.split('id="booked-places"')[1].split("</table>")[0]
    assert "Tilbud odense-akutpladser" in booked and "Frigiv" in booked
    # twice for the same citizen: refused with the reason
    c.post(f"/samarbejde/mdt/{mdt.pk}/plads/", {"offer": "odense-akutpladser"})
    assert Booking.objects.count() == 1
    # the shared plan shows the place to the sectors that read it (the municipality: by its task)
    c.post(f"/samarbejde/mdt/{mdt.pk}/tjekliste/", {"items": ["follow_home_meeting"]})
    plan = login(users["odense"]).get(f"/samarbejde/plan/{persons['odense'].public_id}/").content.decode()
    assert "Tilbud odense-akutpladser" in plan.split('id="plan-places"')[1].split("</section>")[0]

    c = login(users["specialist"])
    r = c.post(f"/samarbejde/mdt/{mdt.pk}/plads/{booking.pk}/frigiv/")
    assert r.status_code == 302
    booking.refresh_from_db()
    assert booking.released_at is not None and booking.released_by == users["specialist"]
    assert directory.free_places(offers["odense"]) == 2
    released = AuditEntry.objects.get(what="directory.release")
    assert released.person_key == "k-odense" and released.detail["checked_by"] == "careplan.mdt"
    assert "Frigiv" not in c.get(f"/samarbejde/mdt/{mdt.pk}/").content.decode().split('id="booked-places"')[1].split(
        "</table>")[0]
    assert c.post(f"/samarbejde/mdt/{mdt.pk}/plads/{booking.pk}/frigiv/").status_code == 302  # already released
    assert AuditEntry.objects.filter(what="directory.release").count() == 1
    plan = login(users["odense"]).get(f"/samarbejde/plan/{persons['odense'].public_id}/").content.decode()
    assert "Tilbud odense-akutpladser" not in plan.split('id="plan-places"')[1].split("</section>")[0]


def test_booking_from_the_mdt_is_refused_outside_its_scope(world, offers, login):  # noqa: F811
    from opspor.web.directory import actions as directory
    from opspor.web.directory.models import Booking

    users, persons, conferences = world
    mdt = conferences["odense"]
    url = f"/samarbejde/mdt/{mdt.pk}/plads/"
    # another department, a municipality user, the acute team: not this conference's
    assert login(users["other_department"]).post(url, {"offer": "odense-akutpladser"}).status_code == 404
    assert login(users["odense"]).post(url, {"offer": "odense-akutpladser"}).status_code == 403
    assert login(users["acute"]).post(url, {"offer": "odense-akutpladser"}).status_code == 403
    c = login(users["specialist"])
    # an offer of another municipality or region for Odense's citizen
    assert c.post(url, {"offer": "vejle-akutpladser"}).status_code == 403
    assert c.post(url, {"offer": "aarhus-iv"}).status_code == 403
    assert c.post(url, {"offer": "no-such-offer"}).status_code == 404
    assert not Booking.objects.exists()
    # a full offer: refused with the reason, nothing booked
    assert c.post(f"/samarbejde/mdt/{conferences['vejle'].pk}/plads/", {"offer": "ouh-subakut"}).status_code == 302
    page = c.post(url, {"offer": "ouh-subakut"}, follow=True).content.decode()
    assert "Ingen ledig plads" in page and Booking.objects.count() == 1
    # a place booked by the acute team cannot be released from the conference
    held = directory.book(users["acute"], offers["odense"], person=persons["odense"], source="acute.referral:1")
    assert c.post(f"{url}{held.pk}/frigiv/").status_code == 404
    # a place of another conference neither
    vejle_place = Booking.objects.get(source=f"worklists.mdt:{conferences['vejle'].pk}")
    assert c.post(f"{url}{vejle_place.pk}/frigiv/").status_code == 404
    assert login(users["other_department"]).post(
        f"/samarbejde/mdt/{conferences['vejle'].pk}/plads/{vejle_place.pk}/frigiv/").status_code == 404
    assert Booking.objects.in_force().count() == 2
