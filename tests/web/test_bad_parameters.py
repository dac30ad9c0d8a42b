"""A parameter that is not what the page expects is a 400 page in Danish naming it, never a 500
(issue 12 item 13): dates outside the app's years, person ids that are not public ids."""

from __future__ import annotations

import pytest

from opspor.web.aps.models import Case
from tests.web.factories import *  # the fixtures world and as_user

pytestmark = pytest.mark.django_db


def danish(login, user):
    """The test client logged in as ``user`` with the default (Danish) language."""
    return login(user)


def assert_bad_request(response, *names: str) -> str:
    assert response.status_code == 400, response.status_code
    html = response.content.decode()
    assert "Ugyldig forespørgsel" in html
    for name in names:
        assert f"“{name}”" in html, html[-1500:]
    return html


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "2026-02-30", "i-morgen"])
def test_the_nurses_day_with_a_date_out_of_range_or_malformed(world, login, value):
    client = danish(login, world.users["nina"])
    html = assert_bad_request(client.get("/aps/min-dag/", {"dato": value}), "dato")
    assert "Parameteren" in html  # the Danish text, not the English message id


def test_the_nurses_day_with_a_good_date_still_works(world, login):
    client = danish(login, world.users["nina"])
    assert client.get("/aps/min-dag/", {"dato": "2026-05-04"}).status_code == 200
    assert client.get("/aps/min-dag/").status_code == 200


@pytest.mark.parametrize("person_id", ["12345678901234567890123", "-1", "1e3", "٣", "7"])
def test_an_invitation_with_a_person_id_that_is_no_public_id(world, login, person_id):
    client = danish(login, world.users["pia"])
    p1 = world.persons["p1"]
    response = client.post("/aps/program/inviter/", {"persons": [str(p1.public_id), person_id],
                                                     "nurse": str(world.users["nina"].pk)})
    assert_bad_request(response, "persons")
    assert not Case.objects.exists()  # nothing half-done: p1 was not invited either


def test_the_aarshjul_with_a_year_that_is_no_year(world, login):
    client = danish(login, world.users["sara"])
    assert_bad_request(client.get("/overvaagning/opgaver/aarshjul/", {"year": "99999999999999999999999"}), "year")
    assert_bad_request(client.get("/overvaagning/opgaver/aarshjul/", {"year": "1999"}), "year")
    assert client.get("/overvaagning/opgaver/aarshjul/", {"year": "2026"}).status_code == 200


def test_a_filter_that_is_none_of_its_values(world, login):
    nurse = danish(login, world.users["nina"])
    assert_bad_request(nurse.get("/aps/forloeb/", {"state": "nope"}), "state")
    assert_bad_request(nurse.get("/aps/forloeb/eksport.csv", {"state": "nope"}), "state")
    assert nurse.get("/aps/forloeb/", {"state": "active"}).status_code == 200
    secretariat = danish(login, world.users["sara"])
    assert_bad_request(secretariat.get("/meddelelser/", {"state": "nope"}), "state")
    assert secretariat.get("/meddelelser/", {"state": ""}).status_code == 200


def test_a_nul_character_in_a_parameter_is_refused_by_name_before_any_view_reads_it(world, login):
    """PostgreSQL refuses text with NUL: a parameter with one never reaches a query."""
    nurse = danish(login, world.users["nina"])
    html = assert_bad_request(nurse.get("/aps/min-dag/", {"dato": "2026-05-04\x00"}), "dato")
    assert "NUL-tegn" in html
    lead = danish(login, world.users["pia"])
    assert_bad_request(lead.get("/risikomodel/", {"maaned": "\x00"}), "maaned")
    assert_bad_request(lead.post("/aps/program/inviter/", {"persons": ["x\x00"], "nurse": "1"}), "persons")
    assert not Case.objects.exists()
