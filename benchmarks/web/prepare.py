"""Users and caseloads for the web load benchmark, on a published demo home.

Run with the project's Python and OPSPOR_HOME/OPSPOR_SECRET_KEY set (bench_web.py does it):
50 specialists spread over the region's departments with the most listed patients, and 25
support nurses with 30 active cases each (start-up held, telephone sessions planned for today
and some overdue), made through the app's own actions. Writes users.json for the locustfile.
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
from django.utils import timezone  # noqa: E402

from opspor.web.accounts.models import Organisation, User  # noqa: E402
from opspor.web.accounts.roles import OrgKind, Role  # noqa: E402
from opspor.web.aps import actions  # noqa: E402
from opspor.web.aps.models import Case, EligibilityEntry, Session  # noqa: E402
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
    lead, created = User.objects.get_or_create(username="bench_lead", defaults={"role": Role.PROGRAMME_LEAD, "organisation": region})
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
    with open(out_path, "w") as f:
        json.dump(users, f)
    print(f"{len(users['specialists'])} specialists in {len(departments)} departments, "
          f"{len(users['nurses'])} nurses with {Case.objects.filter(nurse__username__startswith='bench_nurse_').count()} cases")


if __name__ == "__main__":
    main(sys.argv[1])
