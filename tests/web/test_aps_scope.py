"""No programme page returns a person outside the user's scope: nurses see their own cases,
leads their own region, municipalities their consented citizens, other roles nothing."""

from __future__ import annotations

import pytest

from tests.web.factories import *  # the fixtures world and as_user
from tests.web.factories import make_case

pytestmark = pytest.mark.django_db

APS_PAGES = ["/aps/min-dag/", "/aps/forloeb/", "/aps/forloeb/eksport.csv", "/aps/program/",
             "/aps/program/eksport.csv", "/aps/sygeplejersker/"]


@pytest.fixture
def cases(world):
    nina, ole, pia, lone, nora = (world.users[n] for n in ("nina", "ole", "pia", "lone", "nora"))
    return {
        "nina": make_case(world.persons["p1"], nina, pia, "active"),
        "ole": make_case(world.persons["p2"], ole, pia, "invited"),
        "other_region": make_case(world.persons["q1"], nora, lone, "consented"),
    }


def test_a_nurse_gets_404_for_another_nurses_case_and_person(world, cases, as_user):
    client = as_user(world.users["ole"])
    case = cases["nina"]
    assert client.get(f"/aps/forloeb/{case.pk}/").status_code == 404
    assert client.get(f"/personer/{case.person.public_id}/").status_code == 404
    for url in (f"/aps/forloeb/{case.pk}/notater/", f"/aps/forloeb/{case.pk}/afslut/", f"/aps/forloeb/{case.pk}/samtykke/"):
        assert client.post(url, {"text": "x", "reason": "died"}).status_code == 404, url
    for url in ("/aps/forloeb/", "/aps/min-dag/", "/aps/forloeb/eksport.csv"):
        assert case.person.name not in client.get(url).content.decode("utf-8-sig"), url
    # the nurse's own case and person are there
    own = cases["ole"]
    assert client.get(f"/aps/forloeb/{own.pk}/").status_code == 200
    assert client.get(f"/personer/{own.person.public_id}/").status_code == 200
    # the nurse may not use the lead's pages
    for url in ("/aps/program/", "/aps/sygeplejersker/", "/aps/program/eksport.csv"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/aps/program/vis/{own.person.public_id}/", {"reason": "x"}).status_code == 403


def test_a_lead_of_another_region_gets_404(world, cases, as_user):
    client = as_user(world.users["lone"])
    case = cases["nina"]
    assert client.get(f"/aps/forloeb/{case.pk}/").status_code == 404
    assert client.get(f"/personer/{case.person.public_id}/").status_code == 404
    assert client.post(f"/aps/program/vis/{world.persons['p3'].public_id}/", {"reason": "x"}).status_code == 404
    assert client.post(f"/aps/forloeb/{case.pk}/sygeplejerske/", {"nurse": world.users["nora"].pk}).status_code == 404
    assert client.post(f"/aps/sygeplejersker/{world.users['nina'].pk}/kapacitet/", {"capacity": "9"}).status_code == 404
    html = client.get("/aps/program/").content.decode()
    assert world.persons["q1"].short_key in html  # her own region's person
    assert all(world.persons[n].short_key not in html for n in ("p1", "p2", "p3", "p4"))
    assert client.get(f"/aps/forloeb/{cases['other_region'].pk}/").status_code == 200


def test_specialists_secretariat_and_municipalities_have_no_programme_pages(world, cases, as_user):
    case = cases["nina"]
    for name in ("sofie", "sara", "odense"):
        client = as_user(world.users[name])
        for url in APS_PAGES:
            assert client.get(url).status_code == 403, (name, url)
        assert client.get(f"/aps/forloeb/{case.pk}/").status_code == 403
        assert client.post(f"/aps/forloeb/{case.pk}/notater/", {"text": "x"}).status_code == 403
    assert as_user(world.users["sofie"]).get(f"/personer/{case.person.public_id}/").status_code == 404


def test_a_municipality_sees_only_its_consented_citizens(world, cases, as_user):
    odense = as_user(world.users["odense"])
    active, invited = cases["nina"], cases["ole"]  # both live in Odense (461)
    html = odense.get("/borgere/").content.decode()
    assert active.person.name in html and invited.person.name not in html
    assert odense.get(f"/personer/{invited.person.public_id}/").status_code == 404
    html = odense.get(f"/personer/{active.person.public_id}/").content.decode()
    assert "Aktiv Patientstøtte" in html and "Nina Sygeplejerske" in html
    assert f"/aps/forloeb/{active.pk}/" not in html  # the state and the nurse, not the case
    assert as_user(world.users["vejle"]).get(f"/personer/{active.person.public_id}/").status_code == 404


def test_the_person_page_shows_the_programme_section_to_nurse_and_lead(world, cases, as_user):
    case = cases["nina"]
    html = as_user(world.users["nina"]).get(f"/personer/{case.person.public_id}/").content.decode()
    assert f"/aps/forloeb/{case.pk}/" in html and "Active (start-up session held)" in html
    html = as_user(world.users["pia"]).get(f"/personer/{world.persons['p4'].public_id}/").content.decode()
    assert "Eligible on the newest list run" in html  # eligible, no case yet
    html = as_user(world.users["pia"]).get(f"/personer/{case.person.public_id}/").content.decode()
    assert f"/aps/forloeb/{case.pk}/" in html
