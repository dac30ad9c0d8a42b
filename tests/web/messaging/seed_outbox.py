"""Run as a script with the sender's environment. ``seed_outbox.py N``: put N consenting
patients into the web database through the real action (``aps.actions.record_consent``), which
queues 2 N messages (GP and municipality); prints the number queued. ``seed_outbox.py states``:
the outbox's rows as JSON lines."""

from __future__ import annotations

import datetime as dt
import hashlib
import sys

import django

django.setup()

from opspor.web.accounts.models import Organisation, User
from opspor.web.accounts.organisations import ensure_reference_organisations
from opspor.web.accounts.roles import OrgKind, Role
from opspor.web.aps import actions
from opspor.web.aps.models import Case
from opspor.web.messaging.models import OutboundMessage
from opspor.web.people.models import Person


def main(n: int) -> None:
    ensure_reference_organisations()
    region = Organisation.objects.get(kind=OrgKind.REGION, code="1083")
    nurse = User.objects.create_user(username="kill-nurse", password="x" * 20, role=Role.NURSE, organisation=region,
                                     first_name="Nina", last_name="Sygeplejerske", capacity=n)
    lead = User.objects.create_user(username="kill-lead", password="x" * 20, role=Role.PROGRAMME_LEAD,
                                    organisation=region)
    for i in range(n):
        person = Person.objects.create(
            person_key=hashlib.sha256(f"kill-{i}".encode()).hexdigest(), cpr=f"0101{50 + i % 40:02d}{1000 + i:04d}",
            name=f"Test Person{i} Hansen", birth_date=dt.date(1950 + i % 40, 1, 1), sex="F",
            municipality_code="461", region_code="1083", gp_provider_number="012345")
        case = Case.objects.create(person=person, region_code="1083", nurse=nurse, invited_by=lead)
        actions.record_consent(nurse, case)
    print(OutboundMessage.objects.filter(state="queued").count())


def states() -> None:
    import json

    for m in OutboundMessage.objects.order_by("id"):
        print(json.dumps({"message_id": str(m.message_id), "state": m.state, "attempts": m.attempts}))


if __name__ == "__main__":
    states() if sys.argv[1] == "states" else main(int(sys.argv[1]))
