"""Users and caseloads for the web load benchmark, on a published demo home.

Run with the project's Python and OPSPOR_HOME/OPSPOR_SECRET_KEY set (bench_web.py does it):

    prepare.py users USERS.json      accounts and caseloads (idempotent)
    prepare.py sessions USERS.json N SESSIONS.json   N logged-in sessions spread over the accounts

``users``: 50 specialists spread over the region's departments with the most listed patients, 25
support nurses with 30 active cases each (start-up held, telephone sessions planned for today
and some overdue), 3 programme leads, and municipality and GP-practice users (the 10
municipalities and 10 practices that received the most messages), made through the app's own
actions. ``sessions``: for each simulated user a session logged in the way the log-in page does
it (``django.contrib.auth.login`` through the test client's ``force_login``), in the mix of the
locustfile (45 % specialists, 40 % nurses, 13 % municipal, 2 % leads), several users per account
when N is larger than the accounts (one clinician on several devices).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opspor.web.settings")
django.setup()

from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from opspor.web.accounts.models import Organisation, User  # noqa: E402
from opspor.web.accounts.roles import OrgKind, Role  # noqa: E402
from opspor.web.aps import actions  # noqa: E402
from opspor.web.aps.models import Case, EligibilityEntry, Session  # noqa: E402
from opspor.web.messaging.models import OutboundMessage  # noqa: E402
from opspor.web.worklists.models import ListEntry  # noqa: E402

PASSWORD = "bench-password-not-secret-1234"
REGION = "1083"


def main(out_path: str, specialists: int = 50, nurses: int = 25, cases_each: int = 30) -> None:
    region = Organisation.objects.get(kind=OrgKind.REGION, code=REGION)
    departments = [r["department"] for r in ListEntry.objects.filter(department__region_code=REGION)
                   .values("department").annotate(n=Count("person", distinct=True)).order_by("-n")[:10]]
    users = {"specialists": [], "nurses": [], "password": PASSWORD}
    for i in range(specialists):
        name = f"bench_spec_{i:02d}"
        dept = Organisation.objects.get(pk=departments[i % len(departments)])
        user, created = User.objects.get_or_create(username=name, defaults={"role": Role.SPECIALIST, "organisation": dept})
        if created:
            user.set_password(PASSWORD)
            user.save()
        users["specialists"].append(name)
    lead = User.objects.get(username=_user("bench_lead", Role.PROGRAMME_LEAD, region))
    pool = list(EligibilityEntry.objects.filter(region_code=REGION, excluded=False, person__aps_cases__isnull=True)
                .select_related("person").order_by("-acute_admissions_12m", "person__person_key")[: nurses * cases_each])
    now = timezone.now()
    for i in range(nurses):
        name = f"bench_nurse_{i:02d}"
        nurse, created = User.objects.get_or_create(username=name, defaults={"role": Role.NURSE, "organisation": region})
        if created:
            nurse.set_password(PASSWORD)
            nurse.save()
            actions.set_capacity(lead, nurse, cases_each + 10)
            mine = [e.person for e in pool[i * cases_each:(i + 1) * cases_each]]
            for n, case in enumerate(actions.invite_many(lead, mine, nurse)):
                actions.record_consent(nurse, case)
                actions.hold_startup(nurse, case, timezone.now(), "opstart")
                actions.plan_session(nurse, case, Session.Kind.PHONE, now + dt.timedelta(minutes=n))
        users["nurses"].append(name)
    # every third planned session overdue (set directly: the action refuses to plan in the past)
    overdue = list(Session.objects.filter(case__nurse__username__startswith="bench_nurse_", status="planned")
                   .values_list("pk", flat=True))[::3]
    Session.objects.filter(pk__in=overdue).update(planned_for=now - dt.timedelta(days=2))
    users["leads"] = ["bench_lead"] + [_user(f"bench_lead_{i}", Role.PROGRAMME_LEAD, region) for i in (1, 2)]
    users["municipal"] = _municipal_users()
    with open(out_path, "w") as f:
        json.dump(users, f)
    os.chmod(out_path, 0o600)
    print(f"{len(users['specialists'])} specialists in {len(departments)} departments, "
          f"{len(users['nurses'])} nurses with {Case.objects.filter(nurse__username__startswith='bench_nurse_').count()} cases")


def _user(name: str, role: str, org: Organisation) -> str:
    user, created = User.objects.get_or_create(username=name, defaults={"role": role, "organisation": org})
    if created:
        user.set_password(PASSWORD)
        user.save()
    return name


def _municipal_users(each: int = 10) -> list[str]:
    """Users of the municipalities and GP practices that received the most messages."""
    names = []
    for kind, org_kind in (("municipality", OrgKind.MUNICIPALITY), ("gp_practice", OrgKind.GP_PRACTICE)):
        codes = [r["recipient_id"] for r in OutboundMessage.objects.filter(recipient_kind=kind)
                 .values("recipient_id").annotate(n=Count("id")).order_by("-n", "recipient_id")[:each]]
        for org in Organisation.objects.filter(kind=org_kind, code__in=codes):
            names.append(_user(f"bench_{kind}_{org.code}", Role.MUNICIPALITY, org))
    return names


MIX = {"specialists": 45, "nurses": 40, "municipal": 13, "leads": 2}


def sessions(users_path: str, n: int, out_path: str) -> None:
    """``n`` logged-in sessions in the locustfile's mix, written as {kind: [session key, ...]}."""
    users = json.load(open(users_path))
    out = {}
    for kind, weight in MIX.items():
        accounts = users[kind]
        count = max(1, round(n * weight / sum(MIX.values())))
        keys = []
        for i in range(count):
            client = Client()
            client.force_login(User.objects.get(username=accounts[i % len(accounts)]))
            keys.append(client.cookies["sessionid"].value)
        out[kind] = keys
    with open(out_path, "w") as f:
        json.dump(out, f)
    os.chmod(out_path, 0o600)


if __name__ == "__main__":
    if sys.argv[1] == "users":
        main(sys.argv[2])
    elif sys.argv[1] == "sessions":
        sessions(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        sys.exit("usage: prepare.py users USERS.json | prepare.py sessions USERS.json N SESSIONS.json")
