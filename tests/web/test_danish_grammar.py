"""Counts in Danish grammar on the pages (issue 19 item 2: '1 nye i dag', '4 invitation(er)'
and their like): one open case reads '1 åbent forløb', one free place '1 ledig plads', one task
'1 opgave'; through HTTP with the Danish catalogue."""

from __future__ import annotations

import html
import re

import pytest

from tests.web.factories import *  # the fixture world
from tests.web.factories import make_case

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


def test_one_open_case_in_the_singular(world, login):
    nina, pia = world.users["nina"], world.users["pia"]
    make_case(world.persons["p1"], nina, pia)
    page = text(login(nina).get("/aps/forloeb/"))
    assert "1 åbent forløb (inviteret, samtykket, aktiv) af en kapacitet på 2." in page
    make_case(world.persons["p2"], nina, pia)
    assert "2 åbne forløb" in text(login(nina).get("/aps/forloeb/"))


def test_one_free_place_in_the_singular(world, login):
    nina, pia = world.users["nina"], world.users["pia"]
    make_case(world.persons["p1"], nina, pia)  # capacity 2: one place left
    client = login(pia)
    persons = [str(world.persons[p].public_id) for p in ("p2", "p3")]
    response = client.post("/aps/program/inviter/", {"persons": persons, "nurse": nina.pk}, follow=True)
    assert "har 1 ledig plads (kapacitet 2) og kan ikke tage 2 mere" in text(response)


def test_capacity_below_one_open_case_in_the_singular(world, login):
    nina, pia = world.users["nina"], world.users["pia"]
    make_case(world.persons["p1"], nina, pia)
    response = login(pia).post(f"/aps/sygeplejersker/{nina.pk}/kapacitet/", {"capacity": 0}, follow=True)
    assert "har 1 åbent forløb, flere end den nye kapacitet på 0" in text(response)


def test_the_day_view_with_a_reminder_of_one_day(world, login, monkeypatch):
    from opspor.web.aps import rules

    make_case(world.persons["p1"], world.users["nina"], world.users["pia"])  # invited today
    monkeypatch.setitem(rules.programme(), "invitation_reminder_days", 1)
    page = text(login(world.users["nina"]).get("/aps/min-dag/"))
    assert "Inviteret inden for den sidste 1 dag: ring" in page
