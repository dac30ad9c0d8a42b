"""Organisations from the shipped reference data (regions, municipalities, departments), and
departments first seen on a list (regions' own department codes need not be in the reference)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from opspor import reference
from opspor.web.accounts.models import Organisation
from opspor.web.accounts.roles import OrgKind
from opspor.web.audit import actions as audit

MIGRATE = audit.system("opspor web migrate")


def department_code(hospital_unit: str, department: str) -> str:
    return f"{hospital_unit}/{department}"


@transaction.atomic
def ensure_reference_organisations(actor=MIGRATE) -> int:
    """Create the reference organisations that do not exist yet, audited as ``actor``'s change;
    returns how many were made."""
    units = {u.code: u for u in reference.hospital_units()}
    wanted = [
        *(Organisation(kind=OrgKind.REGION, code=r.code, name=r.name, region_code=r.code)
          for r in reference.regions()),
        *(Organisation(kind=OrgKind.MUNICIPALITY, code=m.code, name=m.name, region_code=m.region_code)
          for m in reference.municipalities()),
        *(Organisation(kind=OrgKind.DEPARTMENT, code=department_code(d.hospital_unit, d.code),
                       name=f"{d.name} ({d.hospital_unit})", region_code=units[d.hospital_unit].region_code,
                       hospital_unit=d.hospital_unit, department=d.code)
          for d in reference.departments()),
    ]
    existing = set(Organisation.objects.values_list("kind", "code"))
    new = [o for o in wanted if (o.kind, o.code) not in existing]
    Organisation.objects.bulk_create(new)
    if new:
        audit.record(actor, audit.Event.REFERENCE_ORGANISATIONS, action=audit.CHANGE,
                     why=_("Reference organisations added"),
                     detail={"added": len(new), "kinds": sorted({o.kind for o in new})})
    return len(new)


def department(hospital_unit: str, department_name: str) -> Organisation:
    """The department organisation of a list, created when a region's own code is new."""
    units = {u.code: u for u in reference.hospital_units()}
    region = units[hospital_unit].region_code if hospital_unit in units else ""
    org, _ = Organisation.objects.get_or_create(
        kind=OrgKind.DEPARTMENT, code=department_code(hospital_unit, department_name),
        defaults={"name": f"{department_name} ({hospital_unit})", "region_code": region,
                  "hospital_unit": hospital_unit, "department": department_name},
    )
    return org
