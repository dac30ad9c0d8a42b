"""The nurse's day view with fixed dates: every bucket gets exactly its cases."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from opspor.web.aps import queries, rules
from opspor.web.aps.models import Session
from opspor.web.audit.models import AuditEntry
from tests.web.factories import *  # the fixtures world and as_user
from tests.web.factories import aware, make_case, make_person

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 5, 4)  # a Monday


def section(html: str, key: str) -> str:
    found = re.search(rf'<section class="bucket card" id="bucket-{key}".*?</section>', html, re.DOTALL)
    return found.group(0) if found else ""


@pytest.fixture
def day_cases(world):
    nina, ole, pia = world.users["nina"], world.users["ole"], world.users["pia"]

    def person(name):
        return make_person(name, "1083", "461", dt.date(1950, 1, 1), "F")

    def session(case, when, status="planned", kind="phone"):
        return Session.objects.create(case=case, kind=kind, planned_for=when, status=status)

    c = {}
    c["call"] = make_case(person("call"), nina, pia, "active", started_at=aware(DAY - dt.timedelta(days=30)))
    session(c["call"], aware(DAY, 9, 30))
    session(c["call"], aware(DAY - dt.timedelta(days=7)), status="held")
    c["late"] = make_case(person("late"), nina, pia, "active", started_at=aware(DAY - dt.timedelta(days=60)))
    session(c["late"], aware(DAY - dt.timedelta(days=2), 14))
    c["new"] = make_case(person("new"), nina, pia, "invited", invited_at=aware(DAY - dt.timedelta(days=7)))
    c["unanswered"] = make_case(person("unanswered"), nina, pia, "invited", invited_at=aware(DAY - dt.timedelta(days=8)))
    c["consented"] = make_case(person("consented"), nina, pia, "consented", answered_at=aware(DAY - dt.timedelta(days=1)))
    c["startup_planned"] = make_case(person("startup_planned"), nina, pia, "consented")
    session(c["startup_planned"], aware(DAY + dt.timedelta(days=3)), kind="startup")
    c["quiet"] = make_case(person("quiet"), nina, pia, "active", started_at=aware(DAY - dt.timedelta(days=20)))
    c["due"] = make_case(person("due"), nina, pia, "active", started_at=aware(rules.add_months(DAY, -6)))
    session(c["due"], aware(DAY + dt.timedelta(days=10)))
    c["overdue_end"] = make_case(person("overdue_end"), nina, pia, "active", started_at=aware(rules.add_months(DAY, -10)))
    session(c["overdue_end"], aware(DAY + dt.timedelta(days=10)))
    c["ended"] = make_case(person("ended"), nina, pia, "ended")
    session(c["ended"], aware(DAY, 11))  # an ended case's leftover is not a call
    c["oles"] = make_case(person("oles"), ole, pia, "active", started_at=aware(DAY - dt.timedelta(days=5)))
    session(c["oles"], aware(DAY, 10))
    c["tomorrow"] = make_case(person("tomorrow"), nina, pia, "invited", invited_at=aware(DAY + dt.timedelta(days=1)))
    return c


EXPECTED = {
    "calls": ["call"], "overdue": ["late"], "new_invitations": ["new"], "unanswered": ["unanswered"],
    "startup_to_plan": ["consented"], "no_session": ["quiet"], "end_due": ["due"], "end_overdue": ["overdue_end"],
    # started 6 and 10 months ago: the programme's questionnaire (3 and 6 months) is due (issue 19 item 6)
    "questionnaires_due": ["overdue_end", "due"],
}


def test_day_view_buckets(world, day_cases):
    view = queries.day_view(world.users["nina"], DAY)
    names = {key: [row.case.person.name for row in rows] for key, rows in view.buckets}
    assert names == {key: [day_cases[n].person.name for n in cases] for key, cases in EXPECTED.items()}
    assert view.calls[0].session.planned_for == aware(DAY, 9, 30)
    assert view.end_due[0].since == DAY  # exactly 6 months
    assert view.end_overdue[0].since == rules.add_months(rules.add_months(DAY, -10), 9)


def test_day_view_page_shows_the_buckets_and_is_audited(world, day_cases, as_user):
    client = as_user(world.users["nina"])
    html = client.get(f"/aps/min-dag/?dato={DAY.isoformat()}").content.decode()
    for key, cases in EXPECTED.items():
        part = section(html, key)
        assert part, key
        for name, case in day_cases.items():
            inside = case.person.name in part
            assert inside == (name in cases), (key, name)
        for name in cases:
            assert f"/aps/forloeb/{day_cases[name].pk}/" in part
    assert "09:30" in section(html, "calls")
    read = AuditEntry.objects.filter(username="nina", what="aps.day")
    assert read.count() == len({n for v in EXPECTED.values() for n in v})
    assert read.first().detail == {"day": DAY.isoformat()}
    # another day: the invitations of the 5th and later are not there on the 4th
    html = client.get(f"/aps/min-dag/?dato={(DAY - dt.timedelta(days=30)).isoformat()}").content.decode()
    assert day_cases["call"].person.name not in html


def test_an_empty_day_says_so(world, as_user):
    html = as_user(world.users["nina"]).get("/aps/min-dag/").content.decode()
    assert 'data-testid="day-empty"' in html
    response = as_user(world.users["nina"]).get("/aps/min-dag/?dato=not-a-date")
    assert response.status_code == 400  # a bad date is named (tests/web/test_bad_parameters.py)
