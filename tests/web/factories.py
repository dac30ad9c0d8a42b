"""A small Aktiv Patientstøtte world made directly with the ORM (no drop, no lists run), for
the tests/web/test_aps_*.py tests. Import the fixture by name: ``from factories import world``.

Region Syddanmark (1083): lead ``pia``, nurses ``nina`` (capacity 2) and ``ole`` (capacity 5),
specialist ``sofie`` (OUH/MED1), municipality users ``odense`` (461) and ``vejle`` (630),
secretariat ``sara``. Region Sjælland (1085): lead ``lone``, nurse ``nora``.

Persons of the newest eligibility run (``p1`` … ``p6``; ``q1`` lives in 1085):

====  ==========  ===========  ========  ==========================================
name  region      municipality  acute     eligibility
====  ==========  ===========  ========  ==========================================
p1    1083        461          5         eligible (diagnosis, repeated_admissions)
p2    1083        461          3         eligible (diagnosis)
p3    1083        630          1         eligible (elderly_preventable_or_readmission)
p4    1083        461          0         eligible (diagnosis)
p5    1083        461          4         excluded (dementia)
p6    1083        461          –         not eligible (no entry)
q1    1085        330          2         eligible in 1085
====  ==========  ===========  ========  ==========================================

An older run also has ``p6`` as eligible: only the newest run counts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

import pytest

from tests.web import web_kit

PASSWORD = web_kit.PASSWORD

# The fixtures, for the test modules' ``from factories import *`` (importing fixtures by name
# would shadow them in the test functions' arguments).
__all__ = ["as_user", "world"]

PERSONS = {
    # name: (region, municipality, birth date, sex, acute admissions, routes, exclusions or None if no entry)
    "p1": ("1083", "461", dt.date(1948, 3, 1), "F", 5, ["diagnosis", "repeated_admissions"], []),
    "p2": ("1083", "461", dt.date(1955, 6, 15), "M", 3, ["diagnosis"], []),
    "p3": ("1083", "630", dt.date(1940, 1, 20), "F", 1, ["elderly_preventable_or_readmission"], []),
    "p4": ("1083", "461", dt.date(1970, 11, 2), "M", 0, ["diagnosis"], []),
    "p5": ("1083", "461", dt.date(1938, 8, 8), "F", 4, ["diagnosis"], ["dementia"]),
    "p6": ("1083", "461", dt.date(1960, 2, 29), "M", 0, None, None),
    "q1": ("1085", "330", dt.date(1950, 5, 5), "F", 2, ["diagnosis"], []),
}


def person_key(name: str) -> str:
    return hashlib.sha256(f"aps-test-{name}".encode()).hexdigest()


def cpr_of(name: str) -> str:
    born = PERSONS[name][2]
    return f"{born:%d%m%y}{1000 + list(PERSONS).index(name):04d}"


@dataclass
class World:
    users: dict = field(default_factory=dict)
    persons: dict = field(default_factory=dict)
    run: object = None
    old_run: object = None


def make_person(name: str, region: str, municipality: str, born: dt.date, sex: str, **extra):
    from opspor.web.people.models import Person

    return Person.objects.create(person_key=person_key(name), cpr=cpr_of(name) if name in PERSONS else "0101011234",
                                 name=f"Test {name.upper()} Hansen", birth_date=born, sex=sex,
                                 municipality_code=municipality, region_code=region,
                                 gp_provider_number="012345", **extra)


def make_run(run_id: str, as_of: dt.date):
    from opspor.web.worklists.models import ListRun

    return ListRun.objects.create(run_id=run_id, as_of=as_of, snapshot_id="test-snapshot")


def make_entry(run, person, *, acute: int = 0, routes=("diagnosis",), exclusions=()):
    from opspor.web.aps.models import EligibilityEntry

    return EligibilityEntry.objects.create(run=run, person=person, region_code=person.region_code,
                                           municipality_code=person.municipality_code, routes=list(routes),
                                           excluded=bool(exclusions), exclusion_reasons=list(exclusions),
                                           acute_admissions_12m=acute)


def build_world() -> World:
    from opspor.web.accounts.models import Organisation
    from opspor.web.accounts.organisations import department, ensure_reference_organisations
    from opspor.web.accounts.roles import OrgKind, Role

    ensure_reference_organisations()
    org = {code: Organisation.objects.get(kind=OrgKind.REGION, code=code) for code in ("1083", "1085")}
    odense = Organisation.objects.get(kind=OrgKind.MUNICIPALITY, code="461")
    vejle = Organisation.objects.get(kind=OrgKind.MUNICIPALITY, code="630")
    mk = web_kit.make_user
    w = World()
    w.users = {
        "pia": mk("pia", Role.PROGRAMME_LEAD, org["1083"], last_name="Programleder"),
        "nina": mk("nina", Role.NURSE, org["1083"], capacity=2, last_name="Sygeplejerske"),
        "ole": mk("ole", Role.NURSE, org["1083"], capacity=5, last_name="Sygeplejerske"),
        "sofie": mk("sofie", Role.SPECIALIST, department("OUH", "MED1")),
        "odense": mk("odense", Role.MUNICIPALITY, odense),
        "vejle": mk("vejle", Role.MUNICIPALITY, vejle),
        "sara": mk("sara", Role.SECRETARIAT, org["1083"]),
        "lone": mk("lone", Role.PROGRAMME_LEAD, org["1085"]),
        "nora": mk("nora", Role.NURSE, org["1085"], capacity=5),
    }
    w.old_run = make_run("old-run", dt.date(2026, 1, 5))
    w.run = make_run("new-run", dt.date(2026, 3, 4))
    for name, (region, muni, born, sex, acute, routes, exclusions) in PERSONS.items():
        person = make_person(name, region, muni, born, sex)
        w.persons[name] = person
        if routes is not None:
            make_entry(w.run, person, acute=acute, routes=routes, exclusions=exclusions)
    make_entry(w.old_run, w.persons["p6"], acute=9)  # eligible only on the older run
    return w


@pytest.fixture
def world(db) -> World:
    return build_world()


def make_case(person, nurse, lead, state: str = "invited", *, invited_at: dt.datetime | None = None,
              started_at: dt.datetime | None = None, answered_at: dt.datetime | None = None):
    """A case in ``state`` made directly (for fixed dates); the actions are tested elsewhere."""
    from opspor.web.aps.models import Case

    case = Case.objects.create(person=person, region_code=person.region_code, nurse=nurse, invited_by=lead,
                               state=state)
    values = {"invited_at": invited_at, "started_at": started_at, "answered_at": answered_at}
    values = {k: v for k, v in values.items() if v is not None}
    if values:
        Case.objects.filter(pk=case.pk).update(**values)
        case.refresh_from_db()
    return case


def aware(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    from django.utils import timezone

    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timezone.get_current_timezone())


@pytest.fixture
def as_user(login, settings):
    """``as_user(user)``: the test client logged in as ``user`` (through the real log-in form),
    with English texts so that assertions do not depend on the Danish catalogue."""

    def do(user):
        client = login(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return do
