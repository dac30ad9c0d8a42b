"""A world for the trial tests: the APS test world (tests/web/factories.py) plus support nurses
with room (``tina`` in 1083, ``tove`` in 1085) and eligible persons ``s01``… in Region
Syddanmark (1083) and ``z01``… in Region Sjælland (1085)."""

from __future__ import annotations

import datetime as dt
import re

from tests.web import factories, web_kit

N_1083, N_1085 = 40, 16
ARM_TEXT = re.compile(r"Intervention \(Aktiv Patientstøtte\)|Control \(usual care\)|\bintervention\b|\bcontrol\b",
                      re.IGNORECASE)
LABELS = {"intervention": "Intervention (Aktiv Patientstøtte)", "control": "Control (usual care)"}


def build_trial_world():
    from opspor.web.accounts.models import Organisation
    from opspor.web.accounts.roles import OrgKind, Role

    w = factories.build_world()
    org = {code: Organisation.objects.get(kind=OrgKind.REGION, code=code) for code in ("1083", "1085")}
    w.users["tina"] = web_kit.make_user("tina", Role.NURSE, org["1083"], capacity=100, last_name="Trial")
    w.users["tove"] = web_kit.make_user("tove", Role.NURSE, org["1085"], capacity=100, last_name="Trial")
    for prefix, region, muni, n in (("s", "1083", "461", N_1083), ("z", "1085", "330", N_1085)):
        for i in range(1, n + 1):
            name = f"{prefix}{i:02d}"
            person = factories.make_person(name, region, muni, dt.date(1950, 1, 1) + dt.timedelta(days=i), "F")
            factories.make_entry(w.run, person, acute=3)
            w.persons[name] = person
    return w


def invite(client, persons, nurse, expect: int = 302):
    response = client.post("/aps/program/inviter/", {"persons": [p.public_id for p in persons], "nurse": nurse.pk})
    assert response.status_code == expect, response.content.decode()[:1500]
    return response


def cases_of(persons):
    from opspor.web.aps.models import Case

    return [Case.objects.select_related("allocation", "person").filter(person=p).order_by("-pk").first()
            for p in persons]
