"""The roles of DESIGN.md and what each may reach. One place: views ask these helpers."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SPECIALIST = "specialist", _("Department specialist")
    NURSE = "nurse", _("Support nurse")
    PROGRAMME_LEAD = "programme_lead", _("Programme lead")
    MUNICIPALITY = "municipality", _("Municipality / GP")
    SECRETARIAT = "secretariat", _("Monitoring secretariat")
    AUDITOR = "auditor", _("Auditor")
    ADMIN = "admin", _("Administrator")


class OrgKind(models.TextChoices):
    REGION = "region", _("Region")
    DEPARTMENT = "department", _("Hospital department")
    MUNICIPALITY = "municipality", _("Municipality")
    GP_PRACTICE = "gp_practice", _("GP practice")


# The organisation kind each role belongs to (a user's organisation must be of this kind).
ROLE_ORG_KINDS: dict[str, tuple[str, ...]] = {
    Role.SPECIALIST: (OrgKind.DEPARTMENT,),
    Role.NURSE: (OrgKind.REGION,),
    Role.PROGRAMME_LEAD: (OrgKind.REGION,),
    Role.MUNICIPALITY: (OrgKind.MUNICIPALITY, OrgKind.GP_PRACTICE),
    Role.SECRETARIAT: (OrgKind.REGION,),
    Role.AUDITOR: (OrgKind.REGION,),
    Role.ADMIN: (OrgKind.REGION,),
}

# Roles whose users must use a second factor (TOTP) before they reach anything.
SECOND_FACTOR_REQUIRED = frozenset({Role.ADMIN})
