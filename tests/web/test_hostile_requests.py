"""Every URL pattern of the app, with its ids filled from the test world, opened by every kind of
user: (1) with hostile query parameters (every name the views read, set to a value that is none of
its values) it answers a page or a clear refusal (200, 302, 400, 403, 404), never a server error;
(2) filled with the ids of a person outside the user's scope (another region's, another
municipality's), no page shows that person's name or CPR number, whatever it answers."""

from __future__ import annotations

import re

import pytest
from django.urls import URLResolver, get_resolver

from opspor.web.aps.models import Case
from tests.web.factories import *  # the fixtures world

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

# every name a view reads from request.GET (grep "request.GET" under src/opspor/web), and more
PARAMS = ("condition dato error filter format instrument kind kommune maaned month next page side sort state "
          "status view vis year q fra til from to region municipality model run horizon uge week dag day "
          "periode indicator unit search").split()
HOSTILE = ("x" * 3000, "٣-\x00'<script>", "2026-02-30", "-1")


def _routes(resolver=None, prefix=""):
    for p in (resolver or get_resolver()).url_patterns:
        if isinstance(p, URLResolver):
            yield from _routes(p, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern)


def _urls(person, case, other: int = 1) -> list[str]:
    """The app's URL patterns with their ids filled (a person's public id, a case, ``other`` for
    the other ids)."""
    out = set()
    for route in _routes():
        if "<path:" in route or "(?P" in route or "log-ud" in route or "logout" in route:
            continue
        route = re.sub(r"<uuid:\w+>", str(person.public_id), route)
        route = re.sub(r"<int:pk>", str(case.pk), route)
        route = re.sub(r"<int:\w+>", str(other), route)
        out.add("/" + re.sub(r"<(?:\w+:)?\w+>", "x", route))
    return sorted(out)


def test_no_page_answers_hostile_parameters_with_a_server_error(world, login):
    p1 = world.persons["p1"]
    case = Case.objects.create(person=p1, region_code=p1.region_code, nurse=world.users["nina"],
                               invited_by=world.users["pia"], state="invited")
    urls = _urls(p1, case)
    assert len(urls) > 100
    opened = 0
    for user in world.users.values():
        client = login(user)
        for url in urls:
            response = client.get(url)  # an exception in a view fails the test here
            assert response.status_code < 500, (user.username, url)
            if response.status_code != 200:
                continue
            opened += 1
            for value in HOSTILE:
                response = client.get(url, {name: value for name in PARAMS})
                assert response.status_code in (200, 302, 400, 403, 404), (user.username, url, value[:20],
                                                                            response.status_code)
    assert opened > 50  # the users reach their pages: the parameters were tried where they count


def test_no_page_shows_a_person_to_a_user_outside_their_scope(world, login):
    """Every URL pattern filled with the ids of a person of another region (and of their case,
    and of their case for every other id) shows nothing of that person — name or CPR number —
    to the users of Region Syddanmark, whatever the page answers; and the other way round."""
    def case_of(person, nurse, lead):
        return Case.objects.create(person=person, region_code=person.region_code, nurse=nurse, invited_by=lead,
                                   state="invited")

    q1, p1 = world.persons["q1"], world.persons["p1"]
    outsiders = {
        q1: (case_of(q1, world.users["nora"], world.users["lone"]),
             [u for u in world.users.values() if u.username not in ("lone", "nora")]),
        p1: (case_of(p1, world.users["nina"], world.users["pia"]), [world.users["lone"], world.users["nora"],
                                                                    world.users["vejle"]]),
    }
    checked = 0
    for person, (case, users) in outsiders.items():
        secrets = {person.name, person.cpr, person.cpr_display}
        urls = _urls(person, case, other=case.pk)
        for user in users:
            client = login(user)
            for url in urls:
                response = client.get(url)
                if response.status_code == 200 and response.get("Content-Type", "").startswith("text/"):
                    checked += 1
                    body = response.content.decode(errors="replace")
                    assert not any(s in body for s in secrets), (user.username, url)
    assert checked > 50
