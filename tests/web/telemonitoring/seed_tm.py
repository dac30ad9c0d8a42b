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

from opspor.web.accounts.organisations import ensure_reference_organisations  # noqa: E402
from opspor.web.audit.models import AuditEntry  # noqa: E402
from opspor.web.people.models import Person  # noqa: E402
from opspor.web.telemonitoring.models import Measurement  # noqa: E402

PERSONS = {"ane": ("0103451234", "461"), "bo": ("0204561235", "461"), "cai": ("0305671236", "330")}


def persons() -> None:
    ensure_reference_organisations()
    out = {}
    for name, (cpr, municipality) in PERSONS.items():
        person = Person.objects.create(
            person_key=hashlib.sha256(f"tm-{name}".encode()).hexdigest(), cpr=cpr, name=f"Test {name.title()} Hansen",
            birth_date=dt.date(1945, 3, 1), sex="F", municipality_code=municipality,
            region_code="1083" if municipality == "461" else "1085", gp_provider_number="012345")
        out[name] = {"public_id": str(person.public_id), "cpr": cpr, "key": person.person_key}
    print(json.dumps(out))


def measurements() -> None:
    for m in Measurement.objects.select_related("person").order_by("id"):
        print(json.dumps({"person": m.person.person_key, "kind": m.kind, "value": m.value, "value2": m.value2,
                          "identifier": m.identifier_value, "version": m.version, "status": m.status,
                          "effective": m.effective.isoformat(), "source": m.source, "sender": m.sender}))


def audit() -> None:
    for e in AuditEntry.objects.filter(what__startswith="telemonitoring").order_by("id"):
        print(json.dumps({"what": e.what, "user": e.username, "person": e.person_key, "detail": e.detail}))


if __name__ == "__main__":
    {"persons": persons, "measurements": measurements, "audit": audit}[sys.argv[1]]()
