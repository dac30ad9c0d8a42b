"""Run as a script with a test server's environment. ``seed_inbound.py world``: organisations,
users (nurses of two regions, two GP practices' users, two municipalities' users, the
secretariat), one patient per region with a consented case (the real action queues the
messages to the GP and the municipality); prints JSON. ``seed_inbound.py rows``: the outbox and
the received messages as JSON."""

from __future__ import annotations

import datetime as dt
import json
import sys

import django

django.setup()

from opspor.web.accounts.models import Organisation, User
from opspor.web.accounts.organisations import ensure_reference_organisations
from opspor.web.accounts.roles import OrgKind, Role
from opspor.web.aps import actions
from opspor.web.aps.models import Case
from opspor.web.audit.models import AuditEntry
from opspor.web.messaging.models import InboundMessage, OutboundMessage
from opspor.web.people.models import Person

PASSWORD = "correct-horse-battery-staple-42"


def world() -> None:
    ensure_reference_organisations()
    org = {(o.kind, o.code): o for o in Organisation.objects.all()}
    practice = Organisation.objects.create(kind=OrgKind.GP_PRACTICE, code="012345", name="Lægehuset", region_code="1083")
    other = Organisation.objects.create(kind=OrgKind.GP_PRACTICE, code="000001", name="Lægepraksis 1", region_code="1083")

    def user(name, role, organisation, **extra):
        return User.objects.create_user(username=name, password=PASSWORD, role=role, organisation=organisation,
                                        first_name=name.title(), **extra)

    nurse = user("nurse", Role.NURSE, org[(OrgKind.REGION, "1083")], last_name="Sygeplejerske", capacity=10)
    nurse_other = user("nurse_other", Role.NURSE, org[(OrgKind.REGION, "1085")], capacity=10)
    lead = user("lead", Role.PROGRAMME_LEAD, org[(OrgKind.REGION, "1083")])
    user("gp", Role.MUNICIPALITY, practice)
    user("gp_other", Role.MUNICIPALITY, other)
    user("odense", Role.MUNICIPALITY, org[(OrgKind.MUNICIPALITY, "461")])
    user("vejle", Role.MUNICIPALITY, org[(OrgKind.MUNICIPALITY, "630")])
    user("secretariat", Role.SECRETARIAT, org[(OrgKind.REGION, "1083")])
    user("akut", Role.ACUTE_NURSE, org[(OrgKind.MUNICIPALITY, "461")])  # Odense's acute team (referrals by message)
    out = {"messages": {}}
    for name, cpr, region, who in (("ida", "0101401234", "1083", nurse), ("sven", "0202411235", "1085", nurse_other)):
        person = Person.objects.create(person_key=f"k-{name}", cpr=cpr, name=f"{name.title()} Hansen",
                                       birth_date=dt.date(1940, 1, 1), sex="F", municipality_code="461",
                                       region_code=region, gp_provider_number="012345")
        case = Case.objects.create(person=person, region_code=region, nurse=who, invited_by=lead)
        actions.record_consent(who, case)
        out[name] = {"case": case.pk, "public_id": str(person.public_id), "cpr": cpr, "key": person.person_key}
    print(json.dumps(out))


def rows() -> None:
    print(json.dumps({
        "outbox": [{"message_id": str(m.message_id), "state": m.state, "recipient": f"{m.recipient_kind}:{m.recipient_id}",
                    "person": m.person.person_key if m.person else "", "payload": m.payload}
                   for m in OutboundMessage.objects.select_related("person").order_by("id")],
        "inbound": [{"key": m.message_key, "status": m.status, "kind": m.kind, "channel": m.channel,
                     "sender": f"{m.sender_kind}:{m.sender_id}", "person": m.person.person_key if m.person else "",
                     "refusal": m.refusal, "text": m.text} for m in InboundMessage.objects.select_related("person").order_by("id")],
        "audit": [{"what": e.what, "person": e.person_key, "detail": e.detail}
                  for e in AuditEntry.objects.filter(what__startswith="message.").order_by("id")],
    }))


if __name__ == "__main__":
    {"world": world, "rows": rows}[sys.argv[1]]()
