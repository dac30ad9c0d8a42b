"""The demo's citizen and relative: a local citizen account (user name ``borger``) linked to one
synthetic person of the demo region, and a local relative (``paaroerende``) whom that citizen
lets see the whole page for 90 days; printed beside the staff users (``opspor web demo-users``).
In a real installation citizens and relatives log in through MitID (docs/citizen.md), never with
a local password."""

from __future__ import annotations

import datetime as dt
import secrets

from django.db.models import Count, Q
from django.utils import timezone

from opspor.web.accounts.demo import DemoUser
from opspor.web.accounts.roles import Role
from opspor.web.people.models import Person
from opspor.web.signin import actions as signin
from opspor.web.signin.models import RelativeGrant

USERNAME, RELATIVE = "borger", "paaroerende"
RELATIVE_NAME = "Pia Pårørende"
GRANT_DAYS = 90


def _person(region_code: str) -> Person | None:
    """A person of the region with a case in the programme if there is one, else the eligible,
    not excluded person with the most acute admissions (the programme's likely next invitation);
    ties by pseudonym, so a second demo picks the same."""
    linked = Person.objects.filter(citizen_link__user__username=USERNAME).first()
    if linked is not None:
        return linked
    persons = (Person.objects.filter(region_code=region_code, death_date__isnull=True, citizen_link__isnull=True)
               .annotate(cases=Count("aps_cases"))
               .filter(Q(cases__gt=0) | Q(eligibility__excluded=False)).distinct())
    return persons.order_by("-cases", "-eligibility__acute_admissions_12m", "person_key").first()


def ensure_demo_citizen(region_code: str, saved: dict[str, str]) -> list[DemoUser]:
    person = _person(region_code)
    if person is None:
        return []
    password = saved.get(USERNAME) or secrets.token_urlsafe(12)
    citizen = signin.link_local_citizen(person, USERNAME, password)
    relative_password = saved.get(RELATIVE) or secrets.token_urlsafe(12)
    _user, key = signin.local_relative(RELATIVE, relative_password, RELATIVE_NAME)
    today = timezone.localdate()
    if not RelativeGrant.objects.filter(person=person, relative_key=key, revoked_at__isnull=True,
                                        until__gte=today).exists():
        signin.grant_relative(citizen, person, key=key, name=RELATIVE_NAME, parts=list(RelativeGrant.PARTS),
                              until=today + dt.timedelta(days=GRANT_DAYS))
    return [DemoUser(USERNAME, password, str(Role.CITIZEN.label), "", person.name),
            DemoUser(RELATIVE, relative_password, str(Role.RELATIVE.label), "", RELATIVE_NAME)]
