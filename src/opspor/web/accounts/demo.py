"""Demo users, one per role (two specialists in different departments, two nurses), for the
synthetic region. Passwords are random per installation and kept in
``$OPSPOR_HOME/demo-users.json`` (mode 0600) so a second ``opspor demo`` prints the same log-ins."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from opspor import paths
from opspor.web.accounts.models import Organisation, User
from opspor.web.accounts.organisations import ensure_reference_organisations
from opspor.web.accounts.roles import OrgKind, Role
from opspor.web.audit import actions as audit
from opspor.web.people.models import Person
from opspor.web.worklists.models import ListEntry

FILE_NAME = "demo-users.json"
DEMO_USERS = audit.system("opspor web demo-users")


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    role: str
    organisation: str
    full_name: str


def credentials_file() -> Path:
    return paths.home() / FILE_NAME


def _departments(region_code: str) -> list[Organisation]:
    """The region's departments, most listed patients first (fall back to any department)."""
    ranked = (ListEntry.objects.filter(department__region_code=region_code).values("department")
              .annotate(n=Count("person", distinct=True)).order_by("-n", "department"))
    ids = [r["department"] for r in ranked]
    found = {o.pk: o for o in Organisation.objects.filter(pk__in=ids)}
    out = [found[i] for i in ids]
    if len(out) < 2:
        out += list(Organisation.objects.filter(kind=OrgKind.DEPARTMENT, region_code=region_code)
                    .exclude(pk__in=ids).order_by("code")[: 2 - len(out)])
    return out


def _gp_practice(region_code: str) -> Organisation:
    row = (Person.objects.filter(region_code=region_code).exclude(gp_provider_number="")
           .values("gp_provider_number").annotate(n=Count("id")).order_by("-n").first())
    number = row["gp_provider_number"] if row else "000000"
    org, _ = Organisation.objects.get_or_create(
        kind=OrgKind.GP_PRACTICE, code=number,
        defaults={"name": f"Lægepraksis {number}", "region_code": region_code})
    return org


@transaction.atomic
def ensure_demo_users(region_code: str = "1083", municipality_code: str = "461",
                      more: Callable[[str, dict[str, str]], list[DemoUser]] | None = None) -> list[DemoUser]:
    """The demo users, made or given their kept passwords; ``more(region_code, saved passwords)``
    adds users of the apps above this one (the citizen's log-in, web/citizen/demo.py)."""
    ensure_reference_organisations(DEMO_USERS)
    path = credentials_file()
    saved = {u["username"]: u["password"] for u in json.loads(path.read_text())} if path.exists() else {}
    region = Organisation.objects.get(kind=OrgKind.REGION, code=region_code)
    municipality = Organisation.objects.get(kind=OrgKind.MUNICIPALITY, code=municipality_code)
    dept1, dept2 = _departments(region_code)[:2]
    plan = [
        ("speciallaege", Role.SPECIALIST, dept1, "Sofie", "Speciallæge"),
        ("speciallaege2", Role.SPECIALIST, dept2, "Peter", "Speciallæge"),
        ("sygeplejerske", Role.NURSE, region, "Nina", "Sygeplejerske"),
        ("sygeplejerske2", Role.NURSE, region, "Ole", "Sygeplejerske"),
        ("programleder", Role.PROGRAMME_LEAD, region, "Pia", "Programleder"),
        ("kommune", Role.MUNICIPALITY, municipality, "Karen", "Kommune"),
        ("laegepraksis", Role.MUNICIPALITY, _gp_practice(region_code), "Lars", "Praktiserende læge"),
        ("sekretariat", Role.SECRETARIAT, region, "Sara", "Sekretariat"),
        ("revisor", Role.AUDITOR, region, "Rasmus", "Revisor"),
        ("admin", Role.ADMIN, region, "Anna", "Administrator"),
        # the cross-sector work (issue 16): the directory's keeper, the acute team, the on-call doctor
        ("koordinator", Role.COORDINATOR, region, "Klara", "Koordinator"),
        ("akutsygeplejerske", Role.ACUTE_NURSE, municipality, "Asta", "Akutsygeplejerske"),
        ("vagtlaege", Role.DOCTOR, region, "Viggo", "Vagtlæge"),
        ("monitorering", Role.MONITORING_NURSE, region, "Mona", "Monitoreringssygeplejerske"),
    ]
    users, changed = [], []
    for username, role, org, first, last in plan:
        password = saved.get(username) or secrets.token_urlsafe(12)
        user, created = User.objects.get_or_create(username=username, defaults={
            "role": role, "organisation": org, "first_name": first, "last_name": last,
            "capacity": 40 if role == Role.NURSE else 0,
            "is_staff": role == Role.ADMIN, "is_superuser": role == Role.ADMIN,
        })
        if created or not user.check_password(password):
            user.set_password(password)
            user.save()
            changed.append(username)
        users.append(DemoUser(username, password, str(Role(role).label), str(org), f"{first} {last}"))
    if more is not None:
        users += more(region_code, saved)
    if changed:
        audit.record(DEMO_USERS, audit.Event.DEMO_USERS, action=audit.CHANGE,
                     why=_("Demo users made or their passwords set"), detail={"users": changed})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump([asdict(u) for u in users], f, indent=2, ensure_ascii=False)
    os.replace(tmp, path)
    return users
