"""Dates are written dd-mm-åååå in every input, whatever the browser's language
(web/core/date_fields.py): text inputs with a pattern and a hint, the server reading dd-mm-åååå
and ISO, and a clear Danish error for anything else."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from opspor.web.aps.models import Session
from tests.web.factories import *  # the fixtures world and as_user
from tests.web.factories import make_case

pytestmark = pytest.mark.django_db


def _input(html: str, name: str) -> str:
    found = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert found, f"no input {name}"
    return found.group(0)


def test_the_day_view_takes_and_shows_dd_mm_yyyy(world, login):
    client = login(world.users["nina"])  # Danish
    html = client.get("/aps/min-dag/", {"dato": "04-05-2026"}).content.decode()
    field = _input(html, "dato")
    assert 'type="text"' in field and 'value="04-05-2026"' in field and 'placeholder="dd-mm-åååå"' in field
    assert "pattern=" in field and 'type="date"' not in html
    iso = client.get("/aps/min-dag/", {"dato": "2026-05-04"}).content.decode()
    assert 'value="04-05-2026"' in _input(iso, "dato")  # ISO links still work
    bad = client.get("/aps/min-dag/", {"dato": "05/04/2026"})
    assert bad.status_code == 400 and "skal være en dato skrevet dd-mm-åååå" in bad.content.decode()


def test_a_session_is_planned_with_a_danish_date_and_time(world, login):
    nina, pia = world.users["nina"], world.users["pia"]
    case = make_case(world.persons["p2"], nina, pia, "active", started_at=timezone.now())
    client = login(nina)
    page = client.get(f"/aps/forloeb/{case.pk}/").content.decode()
    field = _input(page, "planned_for")
    assert 'type="text"' in field and 'placeholder="dd-mm-åååå tt:mm"' in field and "datetime-local" not in page
    url = f"/aps/forloeb/{case.pk}/samtaler/planlaeg/phone/"
    response = client.post(url, {"planned_for": "24/12/2026 09:30"})
    assert response.status_code == 400 and not Session.objects.exists()
    assert "Skriv dato og klokkeslæt som dd-mm-åååå tt:mm" in response.content.decode()
    day = timezone.localdate() + dt.timedelta(days=3)
    assert client.post(url, {"planned_for": f"{day:%d-%m-%Y} 09:30"}).status_code == 302
    session = Session.objects.get()
    assert timezone.localtime(session.planned_for).replace(tzinfo=None) == dt.datetime.combine(day, dt.time(9, 30))
    page = client.get(f"/aps/forloeb/{case.pk}/").content.decode()
    assert f"{day:%d-%m-%Y} 09:30" in page
