"""Every page of the staff and the citizens, opened by every kind of user with hostile query
parameters, answers a page (200) or a clear refusal (400, 403, 404), never a server error: each
URL pattern of the app with its ids filled from the test world, every query parameter name the
views read set to a value that is none of its values."""

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


def _urls(person, case) -> list[str]:
    """The app's URL patterns with their ids filled (a person's public id, a case, 1 for others)."""
    out = set()
    for route in _routes():
        if "<path:" in route or "(?P" in route or "log-ud" in route or "logout" in route:
            continue
        route = re.sub(r"<uuid:\w+>", str(person.public_id), route)
        route = re.sub(r"<int:pk>", str(case.pk), route)
        route = re.sub(r"<int:\w+>", "1", route)
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
