"""Run as a script with a test server's environment: ``seed_tm.py persons`` puts the test
patients into the web database and prints {name: {public_id, cpr}} as JSON; ``seed_tm.py
measurements`` prints the stored measurements as JSON lines; ``seed_tm.py audit`` the audit
entries of telemonitoring."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys

import django

django.setup()

from opspor.telemonitoring import protocols  # noqa: E402
from opspor.web.accounts.models import Organisation, User  # noqa: E402
from opspor.web.accounts.organisations import ensure_reference_organisations  # noqa: E402
from opspor.web.accounts.roles import OrgKind, Role  # noqa: E402
from opspor.web.telemonitoring import actions  # noqa: E402
from opspor.web.audit.models import AuditEntry  # noqa: E402
from opspor.web.people.models import Person  # noqa: E402
from opspor.web.telemonitoring.models import Alarm, Measurement  # noqa: E402

PERSONS = {"ane": ("0103451234", "461"), "bo": ("0204561235", "461"), "cai": ("0305671236", "330"),
           "dan": ("0406781237", "461")}
CONDITIONS = {"ane": "copd", "bo": "heart_failure", "cai": "heart_failure"}  # dan is not enrolled
PASSWORD = "correct-horse-battery-staple-42"


def persons() -> None:
    ensure_reference_organisations()
    region = Organisation.objects.get(kind=OrgKind.REGION, code="1083")
    nurse = User.objects.create_user(username="tm-nina", password=PASSWORD, role=Role.NURSE, organisation=region,
                                     first_name="Nina", last_name="Sygeplejerske")
    User.objects.create_user(username="tm-mona", password=PASSWORD, role=Role.MONITORING_NURSE, organisation=region,
                             first_name="Mona", last_name="Monitorering")
    out = {}
    for name, (cpr, municipality) in PERSONS.items():
        person = Person.objects.create(
            person_key=hashlib.sha256(f"tm-{name}".encode()).hexdigest(), cpr=cpr, name=f"Test {name.title()} Hansen",
            birth_date=dt.date(1945, 3, 1), sex="F", municipality_code=municipality,
            region_code="1083" if municipality == "461" else "1085", gp_provider_number="012345")
        out[name] = {"public_id": str(person.public_id), "cpr": cpr, "key": person.person_key}
        if name in CONDITIONS:
            plan = protocols.shipped().conditions[CONDITIONS[name]].plan
            actions.enrol(nurse, person, condition=CONDITIONS[name], source="direct", equipment="Tablet, oximeter, scale",
                          usability_passed=True, usability_note="Measured and sent alone",
                          plan=[actions.PlanChoice(k, p.every_days, p.missing_after_days) for k, p in plan.items()])
    print(json.dumps(out))


def measurements() -> None:
    for m in Measurement.objects.select_related("person").order_by("id"):
        print(json.dumps({"person": m.person.person_key, "kind": m.kind, "value": m.value, "value2": m.value2,
                          "identifier": m.identifier_value, "version": m.version, "status": m.status,
                          "effective": m.effective.isoformat(), "source": m.source, "sender": m.sender,
                          "colour": m.colour, "rule": m.rule}))


def alarms() -> None:
    for a in Alarm.objects.select_related("measurement").order_by("id"):
        print(json.dumps({"category": a.category, "colour": a.colour, "rule": a.rule, "kind": a.kind, "state": a.state,
                          "identifier": a.measurement.identifier_value if a.measurement else None}))


def audit() -> None:
    for e in AuditEntry.objects.filter(what__startswith="telemonitoring").order_by("id"):
        print(json.dumps({"what": e.what, "user": e.username, "person": e.person_key, "detail": e.detail}))


if __name__ == "__main__":
    {"persons": persons, "measurements": measurements, "alarms": alarms, "audit": audit}[sys.argv[1]]()
