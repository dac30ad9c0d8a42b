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


def _form_classes():
    """Every form class of the web app's ``forms`` modules."""
    import importlib
    import inspect
    from pathlib import Path

    from django import forms

    import opspor.web

    root = Path(opspor.web.__file__).parent
    for path in sorted(root.rglob("forms.py")):
        module = importlib.import_module("opspor.web." + ".".join(path.relative_to(root).with_suffix("").parts))
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                yield cls


def test_no_form_of_the_app_uses_the_browsers_date_widget():
    """A native type="date" shows the browser's locale (mm/dd/yyyy on an English PC): every date
    field is the app's dd-mm-åååå field (web/core/date_fields.py)."""
    from django import forms

    from opspor.web.core import date_fields

    seen, native = 0, []
    for cls in _form_classes():
        for name, field in cls.base_fields.items():
            if isinstance(field, forms.DateField | forms.DateTimeField):
                seen += 1
                if not isinstance(field, date_fields.DateField | date_fields.DateTimeField):
                    native.append(f"{cls.__module__}.{cls.__name__}.{name}")
            if getattr(field.widget, "input_type", "") in ("date", "datetime-local") or \
                    field.widget.attrs.get("type") in ("date", "datetime-local"):
                native.append(f"{cls.__module__}.{cls.__name__}.{name} (widget)")
    assert seen >= 5
    assert native == []


def test_a_relative_is_given_access_until_a_danish_date(world, login):
    """The citizen's relatives form: `until` written dd-mm-åååå, shown dd-mm-åååå."""
    from opspor.web.signin import actions as signin
    from opspor.web.signin.models import RelativeGrant
    from tests.web import web_kit

    citizen = signin.link_local_citizen(world.persons["p1"], "borger-p1", web_kit.PASSWORD)
    client = login(citizen)
    page = client.get("/borger/paaroerende/").content.decode()
    field = _input(page, "until")
    assert 'type="text"' in field and 'placeholder="dd-mm-åååå"' in field and 'type="date"' not in page
    day = timezone.localdate() + dt.timedelta(days=10)
    data = {"name": "Bo Hansen", "cpr": "121285-1234", "parts": ["plan"]}
    bad = client.post("/borger/paaroerende/", {**data, "until": f"{day:%m/%d/%Y}"})
    assert bad.status_code == 400 and "Skriv datoen som dd-mm-åååå" in bad.content.decode()
    assert not RelativeGrant.objects.exists()
    assert client.post("/borger/paaroerende/", {**data, "until": f"{day:%d-%m-%Y}"}).status_code == 302
    assert RelativeGrant.objects.get().until == day
    assert f"{day:%d-%m-%Y}" in client.get("/borger/paaroerende/").content.decode()
