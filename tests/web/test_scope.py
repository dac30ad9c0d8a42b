"""Nobody sees a person they have no relation to: each role tries the persons it must not reach."""

from __future__ import annotations

import pytest

from opspor.web.people.models import Person
from opspor.web.people.scope import visible_persons
from opspor.web.worklists import actions
from tests.web import web_kit
from tests.web.web_kit import NAMES

pytestmark = pytest.mark.django_db


def _person(letter: str) -> Person:
    return Person.objects.get(person_key=web_kit.key_of(letter))


def _keys(user) -> set[str]:
    return {p.person_key for p in visible_persons(user)}


def test_scope_of_each_role(users, published):
    a, c, d = _person("A"), _person("C"), _person("D")
    assert _keys(users["med1"]) == {a.person_key, c.person_key}
    assert _keys(users["ger"]) == {d.person_key}
    assert _keys(users["lead"]) == {a.person_key, d.person_key}  # eligible; B, C and E are excluded
    assert _keys(users["lead_other"]) == set()
    for name in ("nurse", "odense", "vejle", "gp", "secretariat", "auditor", "admin"):
        assert _keys(users[name]) == set(), name
    # the municipality and the GP see their citizen once the specialist includes her
    actions.screen(users["med1"], person=a, department=users["med1"].organisation, run=published,
                   decision="include", category="elderly_multimorbid")
    assert _keys(users["odense"]) == {a.person_key}
    assert _keys(users["gp"]) == {a.person_key}
    assert _keys(users["vejle"]) == set()


def test_municipality_pages_show_only_included_citizens(users, login, published):
    a = _person("A")
    client = login(users["odense"])
    assert "Ingen af jeres borgere" in client.get("/borgere/").content.decode()
    assert client.get(f"/personer/{a.public_id}/").status_code == 404
    actions.screen(users["med1"], person=a, department=users["med1"].organisation, run=published,
                   decision="include", category="social")
    html = client.get("/borgere/").content.decode()
    assert NAMES["A"] in html and NAMES["C"] not in html
    assert client.get(f"/personer/{a.public_id}/").status_code == 200
    assert login(users["vejle"]).get(f"/personer/{a.public_id}/").status_code == 404


def test_secretariat_sees_numbers_and_no_persons(users, login, published):
    client = login(users["secretariat"])
    html = client.get("/overblik/").content.decode()
    assert "MED1 (OUH)" in html
    assert not any(name in html for name in NAMES.values())
    for letter in "ACD":
        assert client.get(f"/personer/{_person(letter).public_id}/").status_code == 404


def test_unknown_and_foreign_ids_look_the_same(users, login, published):
    client = login(users["ger"])
    assert client.get(f"/personer/{_person('A').public_id}/").status_code == 404
    assert client.get("/personer/00000000-0000-4000-8000-000000000001/").status_code == 404
